// The soak's entry point (bench/soak.ts runs `wrangler dev bench/soak/worker.ts`): the service's own
// worker and Durable Object, unchanged, with D1 and the three queues wrapped in counters, and one extra
// route, GET /__soak/counters, that reads them. Never deployed: wrangler.toml's `main` stays
// src/index.ts. Under `wrangler dev` the worker, its consumers and every Durable Object share one
// isolate, so one set of module-level counters sees all of them (bench/soak.ts checks that the
// objects' calls show up, and that the counters never went back, which a restart would do).
import worker, { WorkspaceDO as ServiceDO } from "../../src/index";

interface Calls {
  calls: number;
  /** D1: statements run (a batch is one call of several); queues: messages sent. */
  items: number;
}

/** Who made a call: the HTTP routes, the cron, a queue's consumer, or a workspace object (whoever called it). */
type Caller = "routes" | "cron" | `queue:${string}` | "object";

const counters = {
  /** D1 calls (run, all, first, raw, batch, exec) by caller. */
  d1: {} as Record<string, Calls>,
  /** Queue sends per producer binding, and by caller. */
  queue_sends: {} as Record<string, Calls>,
  queue_sends_by_caller: {} as Record<string, Calls>,
  /** Consumer invocations and messages per queue, and what the handlers did with them. */
  queue_deliveries: {} as Record<string, { batches: number; messages: number; acked: number; retried: number }>,
  scheduled: 0,
};

const tallyInto = (entry: Calls, items: number) => {
  entry.calls++;
  entry.items += items;
};
const tally = (table: Record<string, Calls>, key: string, items: number) =>
  tallyInto((table[key] ??= { calls: 0, items: 0 }), items);

/** Statements handed out by a counted database → the real ones (a batch must get the real ones back). */
const real = new WeakMap<object, D1PreparedStatement>();

function countStatement(stmt: D1PreparedStatement, calls: () => Calls): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => countStatement(target.bind(...args), calls);
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
        return (...args: unknown[]) => {
          tallyInto(calls(), 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  real.set(proxy, stmt);
  return proxy;
}

function countD1(d1: D1Database, calls: () => Calls): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (query: string) => countStatement(target.prepare(query), calls);
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          tallyInto(calls(), statements.length);
          return target.batch(statements.map((s) => real.get(s) ?? s));
        };
      if (prop === "exec")
        return (query: string) => {
          tallyInto(calls(), 1);
          return target.exec(query);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function countQueue<T>(queue: Queue<T>, name: string, caller: Caller): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "send")
        return (body: T, options?: QueueSendOptions) => {
          tally(counters.queue_sends, name, 1);
          tally(counters.queue_sends_by_caller, caller, 1);
          return target.send(body, options);
        };
      if (prop === "sendBatch")
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          tally(counters.queue_sends, name, list.length);
          tally(counters.queue_sends_by_caller, caller, list.length);
          return target.sendBatch(list, options);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function counted(env: Env, caller: Caller): Env {
  return {
    ...env,
    DB: countD1(env.DB, () => (counters.d1[caller] ??= { calls: 0, items: 0 })),
    FETCH_QUEUE: countQueue(env.FETCH_QUEUE, "FETCH_QUEUE", caller),
    DISPATCH_QUEUE: countQueue(env.DISPATCH_QUEUE, "DISPATCH_QUEUE", caller),
    WEBHOOK_QUEUE: countQueue(env.WEBHOOK_QUEUE, "WEBHOOK_QUEUE", caller),
  };
}

export class WorkspaceDO extends ServiceDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "object"));
  }
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__soak/counters") return Response.json(counters);
    return worker.fetch(request, counted(env, "routes"), ctx);
  },
  scheduled(controller, env, ctx) {
    counters.scheduled++;
    return worker.scheduled(controller, counted(env, "cron"), ctx);
  },
  async queue(batch, env, ctx) {
    const entry = (counters.queue_deliveries[batch.queue] ??= { batches: 0, messages: 0, acked: 0, retried: 0 });
    entry.batches++;
    entry.messages += batch.messages.length;
    for (const message of batch.messages) {
      const ack = message.ack.bind(message);
      const retry = message.retry.bind(message);
      message.ack = () => {
        entry.acked++;
        ack();
      };
      message.retry = (options) => {
        entry.retried++;
        retry(options);
      };
    }
    return worker.queue(batch, counted(env, `queue:${batch.queue}`), ctx);
  },
} satisfies ExportedHandler<Env>;

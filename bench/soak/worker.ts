// The soak's entry point (bench/soak.ts runs `wrangler dev bench/soak/worker.ts`): the service's own
// worker and Durable Object, unchanged, with D1 and the three queues wrapped in counters, and one extra
// route, GET /__soak/counters, that reads them. Never deployed: wrangler.toml's `main` stays
// src/index.ts. Under `wrangler dev` the worker, its consumers and every Durable Object share one
// isolate, so one set of module-level counters sees all of them (the soak checks this by seeing
// D1 calls made inside the objects, which only they make: the fetch's index row).
import worker, { WorkspaceDO as ServiceDO } from "../../src/index";

interface Calls {
  calls: number;
  /** D1: statements run (a batch is one call of several); queues: messages sent. */
  items: number;
}

const counters = {
  started_at: Date.now(),
  /** Where the calls came from: the stateless worker (routes, cron, consumers) or a workspace object. */
  d1: { worker: { calls: 0, items: 0 }, object: { calls: 0, items: 0 } } as Record<"worker" | "object", Calls>,
  /** Sends per producer binding, from the worker and the objects together. */
  queue_sends: {} as Record<string, Calls>,
  /** Consumer invocations and messages per queue, and what the handlers did with them. */
  queue_deliveries: {} as Record<string, { batches: number; messages: number; acked: number; retried: number }>,
  scheduled: 0,
};

const tally = (table: Record<string, Calls>, key: string, items: number) => {
  const entry = (table[key] ??= { calls: 0, items: 0 });
  entry.calls++;
  entry.items += items;
};

/** Statements handed out by a counted database → the real ones (a batch must get the real ones back). */
const real = new WeakMap<object, D1PreparedStatement>();

function countStatement(stmt: D1PreparedStatement, calls: Calls): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "bind")
        return (...args: unknown[]) => countStatement(target.bind(...args), calls);
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
        return (...args: unknown[]) => {
          calls.calls++;
          calls.items++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  real.set(proxy, stmt);
  return proxy;
}

function countD1(d1: D1Database, calls: Calls): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (query: string) => countStatement(target.prepare(query), calls);
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          calls.calls++;
          calls.items += statements.length;
          return target.batch(statements.map((s) => real.get(s) ?? s));
        };
      if (prop === "exec")
        return (query: string) => {
          calls.calls++;
          calls.items++;
          return target.exec(query);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function countQueue<T>(queue: Queue<T>, name: string): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "send")
        return (body: T, options?: QueueSendOptions) => {
          tally(counters.queue_sends, name, 1);
          return target.send(body, options);
        };
      if (prop === "sendBatch")
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          tally(counters.queue_sends, name, list.length);
          return target.sendBatch(list, options);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function counted(env: Env, from: "worker" | "object"): Env {
  return {
    ...env,
    DB: countD1(env.DB, counters.d1[from]),
    FETCH_QUEUE: countQueue(env.FETCH_QUEUE, "FETCH_QUEUE"),
    DISPATCH_QUEUE: countQueue(env.DISPATCH_QUEUE, "DISPATCH_QUEUE"),
    WEBHOOK_QUEUE: countQueue(env.WEBHOOK_QUEUE, "WEBHOOK_QUEUE"),
  };
}

export class WorkspaceDO extends ServiceDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "object"));
  }
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__soak/counters")
      return Response.json({ ...counters, read_at: Date.now() });
    return worker.fetch(request, counted(env, "worker"), ctx);
  },
  scheduled(controller, env, ctx) {
    counters.scheduled++;
    return worker.scheduled(controller, counted(env, "worker"), ctx);
  },
  async queue(batch, env, ctx) {
    const entry = (counters.queue_deliveries[batch.queue] ??= { batches: 0, messages: 0, acked: 0, retried: 0 });
    entry.batches++;
    entry.messages += batch.messages.length;
    for (const message of batch.messages) {
      const { ack, retry } = message;
      message.ack = () => {
        entry.acked++;
        ack.call(message);
      };
      message.retry = (options) => {
        entry.retried++;
        retry.call(message, options);
      };
    }
    return worker.queue(batch, counted(env, "worker"), ctx);
  },
} satisfies ExportedHandler<Env>;

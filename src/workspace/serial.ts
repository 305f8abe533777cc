// Per-key mutual exclusion inside the Durable Object. The object's input gates only hold other
// events around storage operations, not across awaits on D1 or fetch, so the state changes of one
// connection (confirm, disconnect, token commit, fetch commit) are queued here to run one at a time.

export class Serial {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued before it for `key` has settled; its result is the task's. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    // The queue continues whatever this task's outcome; the caller still sees its rejection.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

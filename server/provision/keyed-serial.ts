/**
 * One task at a time per key. Provisioners read-modify-write shared cloud objects (an AWS role's
 * inline revocation policy, a GCP project's IAM policy) whose write would otherwise abort or
 * overwrite a concurrent one from this same process; tasks for different keys still run at once.
 * A failed task does not stop the next one for its key. Only orders work within one broker
 * process: across replicas the cloud's own concurrency control (etags) and the grant lease do.
 */
export type KeyedSerial = <T>(key: string, task: () => Promise<T>) => Promise<T>;

export function createKeyedSerial(): KeyedSerial {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, settled);
    // Forget the key once its last task is done, so the map holds only keys with work queued.
    void settled.then(() => {
      if (tails.get(key) === settled) tails.delete(key);
    });
    return run;
  };
}

/** Polling until a condition holds, for browser drivers and tests. */

export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Polls until `fn` returns a truthy value (returned) or the timeout passes (throws). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  { timeout = 5000, interval = 100, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${errText(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A mutex across the extension's contexts (background, popup, side panel, options): the OAuth
 * refresh takes it, since refresh tokens are single-use (lib/extension/auth-client.ts).
 */

/** `navigator.locks` where the context has it (extension pages, service workers). */
export function webLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request(name, fn) as Promise<T>) : fn();
}

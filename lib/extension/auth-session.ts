/**
 * The stored OAuth session (`unblock.oauth`, trusted contexts only, like the settings: in
 * `browser.storage.local` restricted by `setAccessLevel` in Chrome, in the extension's IndexedDB
 * vault in Firefox, lib/extension/token-vault.ts), bound to the broker URL that issued it: it is
 * never sent to another broker. Beside it, the notice saying why the user was signed out without
 * asking (not a secret: it stays in `storage.local`).
 */
import * as z from 'zod/mini';

export const OAUTH_KEY = 'unblock.oauth';
/** Why the user was signed out without asking (shown once on the options page). */
export const AUTH_NOTICE_KEY = 'unblock.authNotice';

export interface OAuthSession {
  /** The broker (normalised) that issued the tokens; they are only ever sent there. */
  brokerUrl: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** From `GET /api/v1/me` at sign-in; null when that call failed. */
  user: string | null;
}

const Session = z.object({
  brokerUrl: z.string(),
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.string().check(z.minLength(1)),
  expiresAt: z.number(),
  user: z.nullable(z.string()),
});

/** The part of `browser.storage.local` the session uses (or the vaulted area with its API). */
export interface KeyValueArea {
  get(keys: string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface SessionStore {
  storage: KeyValueArea;
  /** Called before every write (the settings' `setAccessLevel`). */
  beforeWrite?: () => Promise<void>;
}

/** The stored session, whatever its broker; null when none (or unreadable). */
export async function readSession(store: SessionStore): Promise<OAuthSession | null> {
  const stored = await store.storage.get([OAUTH_KEY]);
  const parsed = Session.safeParse(stored[OAUTH_KEY]);
  return parsed.success ? parsed.data : null;
}

export async function writeSession(store: SessionStore, s: OAuthSession): Promise<void> {
  await store.beforeWrite?.();
  await store.storage.set({ [OAUTH_KEY]: s });
}

/** Why the last unasked sign-out happened, if it has not been dismissed. */
export async function readNotice(store: SessionStore): Promise<string | null> {
  const stored = await store.storage.get([AUTH_NOTICE_KEY]);
  const n = stored[AUTH_NOTICE_KEY];
  return typeof n === 'string' ? n : null;
}

/**
 * Pieces every Azure phrase family shares (docs/denial-formats.md §3): GUIDs and subscription ids,
 * the `The client '<name>' with object id '<oid>'` principal, Key Vault style `appid=…;oid=…`
 * callers, and ARM resource ids. Nothing here assumes the public cloud: scopes and resource ids
 * are the same in Azure Government and Azure China, only hosts differ (§3.9).
 */
import type { Doc } from './context';
import { lastIn } from './context';
import { isMasked, trimToken } from './normalise';

export const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
export const GUID_FULL = new RegExp(`^${GUID}$`);
const SUBSCRIPTION_RE = new RegExp(`/subscriptions/(${GUID})(?![0-9a-fA-F-])`, 'i');

/** Subscription id of a scope, only when it is a real GUID (masked ids are not names). */
export function subscriptionOf(scope: string | null | undefined): string | null {
  if (!scope) return null;
  return SUBSCRIPTION_RE.exec(scope)?.[1] ?? null;
}

/** `The client '<name>' with object id '<oid>'`, quoted as ARM writes it or with the quotes dropped. */
export const CLIENT_RE =
  /The\s+client\s+(?:'([^'\n]{0,256})'\s+|([^\s']{1,256})\s+)?with\s+object\s+id\s+(?:'([^'\n]{0,128})'|([0-9a-fA-F-]{36}))/gi;

/** A client name is a UPN or an app id; anything else (`SERVICEACCOUNT`, `xxx`) is a mask. */
export function clientPrincipal(name: string | undefined, oid: string | undefined): string | null {
  const n = name?.trim();
  if (n && !isMasked(n) && (/^[^@\s]{1,256}@[^@\s]{1,256}$/.test(n) || GUID_FULL.test(n))) return n;
  const o = oid?.trim();
  if (o && !isMasked(o) && GUID_FULL.test(o)) return o;
  return null;
}

/** The nearest preceding "The client … with object id …" within one message's reach. */
export function clientBefore(doc: Doc, pos: number): { pos: number; principal: string | null } | null {
  const h = lastIn(doc.hits('az-client', CLIENT_RE), Math.max(0, pos - 6000), pos);
  return h
    ? { pos: h.pos, principal: clientPrincipal(h.groups[1] ?? h.groups[2], h.groups[3] ?? h.groups[4]) }
    : null;
}

/** Parses `appid=…;oid=…;upn=…` caller strings (Key Vault), preferring a name over ids. */
export function callerPrincipal(caller: string): string | null {
  const get = (k: string): string | undefined =>
    new RegExp(`(?:^|[;\\s])${k}=([^;\\s']{1,256})`, 'i').exec(caller)?.[1];
  for (const v of [get('name'), get('upn'), get('oid'), get('appid')]) if (v && !isMasked(v)) return v;
  const t = trimToken(caller);
  return t && !t.includes('=') && !isMasked(t) ? t : null;
}

/** A GUID principal as written, or null when masked or not a GUID. */
export function guidPrincipal(v: string | undefined): string | null {
  const t = v?.trim();
  return t && GUID_FULL.test(t) ? t : null;
}

/**
 * The ARM resource id at the start of `path` (`/subscriptions/…` or `/providers/…`), without a
 * trailing portal blade name: ids alternate type and name segments (`providers/<namespace>` counts
 * as one pair), so an unpaired last segment (`/overview`, `/secrets`) is a blade, not the resource.
 */
export function resourceIdOf(path: string): string | null {
  const m = /^\/(?:subscriptions|providers)\/[^\s?#'"<>]{1,2000}/i.exec(path);
  if (!m) return null;
  const segs = m[0].split('/').filter((s) => s.length > 0);
  const keep: string[] = [];
  for (let i = 0; i + 1 < segs.length; i += 2) keep.push(segs[i] as string, segs[i + 1] as string);
  if (keep.length === 0) return null;
  // A masked segment stays as written (tests/fixtures/denials/README.md, partly masked resources).
  return `/${keep.join('/')}`;
}

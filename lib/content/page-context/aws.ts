import type { PageContext } from './types';

// <account>-<random>.<region>.console.aws.amazon.com (multi-session), <region>.console…, console…;
// the same shapes in the GovCloud (US) and China partitions' own domains (cloud-mechanics.md §5).
const HOST =
  /^(?:(\d{12})-[a-z0-9]+\.)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)\.)?console\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$/;
const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;
// Header account menu: "Account ID: 2222-2222-2222" (dashed or not); the button shows "… @ 2222-2222-2222".
const HEADER_ACCOUNT = /Account ID:?\s*(\d{4}-?\d{4}-?\d{4})\b|@\s*(\d{4}-\d{4}-\d{4})\b/;

interface AwsUserInfo {
  arn?: unknown;
  alias?: unknown;
}

/** The `aws-userInfo` cookie: URL-encoded JSON `{arn, alias, username, …}` set by the console sign-in. */
export function readAwsUserInfo(cookie: string): AwsUserInfo | undefined {
  const raw = cookieValue(cookie, 'aws-userInfo');
  if (!raw || raw.length > 8192) return undefined;
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(raw));
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function awsPageContext(url: string, cookie: string, headerText?: string): PageContext {
  const ctx: PageContext = { cloud: 'aws', source: 'console' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ctx;
  }
  const host = HOST.exec(u.hostname);
  const region = queryParam(u, 'region') ?? host?.[2];
  if (region && REGION.test(region)) ctx.region = region;

  const info = readAwsUserInfo(cookie);
  let arn = typeof info?.arn === 'string' && info.arn.length < 2048 ? info.arn : undefined;
  const arnAccount = arn ? ARN_ACCOUNT.exec(arn)?.[1] : undefined;
  // The cookie is shared by every session on the parent domain: in a multi-session tab it may
  // describe another account's session, and then neither its principal nor its alias apply here.
  const cookieApplies = arnAccount !== undefined && (!host?.[1] || host[1] === arnAccount);
  if (!cookieApplies) arn = undefined;
  if (arn) ctx.principal = arn;
  if (arn && typeof info?.alias === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(info.alias)) {
    ctx.accountLabel = info.alias;
  }

  // The multi-session host names the account this tab is signed in to, so it wins over the
  // cookie (shared by every session on the parent domain) and over the header text.
  const headerMatch = headerText ? HEADER_ACCOUNT.exec(headerText.slice(0, 20_000)) : null;
  const account =
    host?.[1] ?? (arn ? arnAccount : undefined) ?? (headerMatch?.[1] ?? headerMatch?.[2])?.replace(/-/g, '');
  if (account) ctx.account = account;
  return ctx;
}

function cookieValue(cookie: string, name: string): string | undefined {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A query parameter from the search part or from a `?…` inside the fragment (SPA routes). */
export function queryParam(u: URL, name: string): string | undefined {
  const direct = u.searchParams.get(name);
  if (direct) return direct;
  const q = u.hash.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(u.hash.slice(q + 1)).get(name) ?? undefined;
}

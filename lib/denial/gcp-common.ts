/**
 * What the GCP phrase families share (docs/denial-formats.md §4): the permission grammar as the
 * texts spell it, the field readers, and the constructor of a GCP candidate.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import { isMasked, readQuoted, readToken, skipSpace, trimToken } from './normalise';

/** `service.resource.verb`, optionally service-qualified (`iam.googleapis.com/denypolicies.create`). */
export const PERM =
  '[a-zA-Z][a-zA-Z0-9-]{0,62}(?:\\.googleapis\\.com/|\\.)[a-zA-Z0-9_-]{1,80}(?:\\.[a-zA-Z0-9_-]{1,80}){1,3}';
export const PERM_FULL = new RegExp(`^${PERM}$`);

/**
 * A permission as the text spells it, without the `.googleapis.com/` service qualifier of IAM v2
 * (`iam.googleapis.com/denypolicies.create` → `iam.denypolicies.create`). GCP permissions are
 * case-sensitive (§1.5): the case is kept, and a text that writes one in another case than the
 * role catalogue is not corrected (the parser does not guess which permission was meant).
 */
export function permOf(p: string): string {
  return p.includes('.googleapis.com/') ? p.replace('.googleapis.com/', '.') : p;
}

/** Project id named by a resource (`projects/<id>`) or a BigQuery dataset id (`<project>:<dataset>`). */
export function projectOf(resource: string | null | undefined): string | null {
  if (!resource || isMasked(resource.replace(/^.*?projects\//, '').split('/')[0])) return null;
  const m = /(?:^|\/)projects\/([a-z0-9][a-z0-9.:-]{0,62}[a-z0-9])(?=\/|$)/i.exec(resource);
  // Project ids are lower-case: `projects/SECRET` or `projects/PROJECT_ID` is a mask or a template.
  if (m?.[1]) return /[A-Z]/.test(m[1]) ? null : m[1];
  const ds = /^([a-z][a-z0-9.:-]{3,62}[a-z0-9]):[A-Za-z0-9_]+(?:\.[A-Za-z0-9_$-]+)?$/.exec(resource);
  return ds?.[1] ?? null;
}

/** An email named as the principal, without a `user:`-style prefix; null when masked or not one. */
export function email(v: string | undefined | null): string | null {
  if (!v) return null;
  const t = trimToken(v.replace(/^(?:user|serviceAccount|group|principal)[:=]/i, ''));
  if (!/^[^@\s]{1,128}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/.test(t) || isMasked(t)) return null;
  // A local part in capitals (USER@DOMAIN.COM, MYSERVICEACCOUNT@…) is a reporter's template.
  const local = t.slice(0, t.indexOf('@'));
  if (local === local.toUpperCase() && /[A-Z]{2}/.test(local)) return null;
  return t;
}

/** A GCP candidate: a missing IAM allow unless `init` says otherwise (`gcp-scope`). */
export function gcp(
  h: { pos: number; end: number },
  init: Partial<Candidate> & Pick<Candidate, 'actions' | 'family'>,
): Candidate {
  return candidate({
    start: h.pos,
    end: h.end,
    cloud: 'gcp',
    ...kindOf('gcp-iam'),
    confidence: 'high',
    ...init,
  });
}

/** A resource token after `i`: quoted, or unquoted up to whitespace; `(or it may not exist)` → none. */
export function resourceAt(s: string, i: number): { value: string | null; end: number } {
  const j = skipSpace(s, i);
  const q = readQuoted(s, j, 4096);
  if (q) return { value: trimToken(q.value) || null, end: q.end };
  if (s[j] === '(') return { value: null, end: j };
  const t = readToken(s, j);
  if (!t) return { value: null, end: j };
  const v = trimToken(t.value);
  return { value: v || null, end: t.end };
}

/** Word before `pos` (for "<principal> does not have …"). */
export function wordBefore(s: string, pos: number): string {
  let j = pos;
  while (j > 0 && pos - j < 100 && /\s/.test(s[j - 1] ?? '')) j--;
  let b = j;
  while (b > 0 && j - b < 512 && !/[\s'"([]/.test(s[b - 1] ?? ' ')) b--;
  return s.slice(b, j);
}

/** A name masked with `#` runs (`projects/###########`), besides the shared masks (§1.6). */
export function isMaskedName(v: string): boolean {
  return isMasked(v) || /#{3,}/.test(v);
}

/** A GCP project id (6–30 lower-case letters, digits, hyphens) or a project number. */
const PROJECT_ID_RE = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|\d{6,20})$/;

/** The project a value names: `projects/<id>`, a bare id or number; null when masked or not one. */
export function projectIdOf(v: string | null | undefined): string | null {
  if (!v) return null;
  const bare = v.replace(/^projects\//, '');
  if (PROJECT_ID_RE.test(bare) && !isMaskedName(bare)) return bare;
  return projectOf(v);
}

/**
 * Whether a value reads as a template rather than a name: GCP project ids and resource names are
 * lower-case, so an all-capitals word such as `YOUR-PROJECT-ID` or `PROJECT_NUMBER` is a
 * placeholder left in a sample (§5).
 */
export function isTemplateName(v: string): boolean {
  return /^[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)+$/.test(v);
}

/** `(or it may not exist)`, `(or resource may not exist)`, `(or the resource may not exist)`. */
export const MAY_NOT_EXIST_RE = /\(\s*or\s+(?:it|the\s+resource|resource)\s+may\s+not\s+exist\s*\)/iy;

/** Whether `(or it may not exist)` follows `i` (after optional spaces). */
export function mayNotExistAt(s: string, i: number): { end: number } | null {
  MAY_NOT_EXIST_RE.lastIndex = skipSpace(s, i, 40);
  return MAY_NOT_EXIST_RE.exec(s) ? { end: MAY_NOT_EXIST_RE.lastIndex } : null;
}

/** Reason for a denial that names no permission and may equally mean "not found" (§4.3). */
export const MAY_NOT_EXIST_REASON =
  'Google does not say whether the resource exists ("or it may not exist"): check its name before asking for access.';

/** Reason for a request that carried no credentials at all (§4.2): signing in is the fix. */
export const ANONYMOUS_REASON =
  'No credentials reached Google (an anonymous or unauthenticated request): sign in or send the request with credentials; a grant cannot help an anonymous caller.';

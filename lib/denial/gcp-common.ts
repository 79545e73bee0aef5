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

/** Lower-case and drop the `.googleapis.com/` service qualifier (README field conventions). */
export function normPerm(p: string): string {
  const l = p.toLowerCase();
  return l.includes('.googleapis.com/') ? l.replace('.googleapis.com/', '.') : l;
}

/** Project id named by a resource (`projects/<id>`) or a BigQuery dataset id (`<project>:<dataset>`). */
export function projectOf(resource: string | null | undefined): string | null {
  if (!resource || isMasked(resource.replace(/^.*?projects\//, '').split('/')[0])) return null;
  const m = /(?:^|\/)projects\/([a-z0-9][a-z0-9.:-]{0,62}[a-z0-9])(?=\/|$)/i.exec(resource);
  if (m?.[1]) return m[1];
  const ds = /^([a-z][a-z0-9.:-]{3,62}[a-z0-9]):[A-Za-z0-9_]+(?:\.[A-Za-z0-9_$-]+)?$/.exec(resource);
  return ds?.[1] ?? null;
}

/** An email named as the principal, without a `user:`-style prefix; null when masked or not one. */
export function email(v: string | undefined | null): string | null {
  if (!v) return null;
  const t = trimToken(v.replace(/^(?:user|serviceAccount|group|principal)[:=]/i, ''));
  if (!/^[^@\s]{1,128}@[A-Za-z0-9.-]{1,255}$/.test(t) || isMasked(t)) return null;
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

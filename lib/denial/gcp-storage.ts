/**
 * Cloud Storage and registry wordings (docs/denial-formats.md §4.2): `<who> does not have <perm>
 * access to <bucket|object|project>`, the same sentence for an anonymous caller and Artifact
 * Registry's unauthenticated request (a sign-in problem: no grant helps), and the Cloud Build
 * notice that the user is forbidden from its bucket.
 */
import type { Candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { isMasked, readToken, safeDecode, skipSpace, trimToken } from './normalise';
import {
  ANONYMOUS_REASON,
  email,
  gcp,
  PERM,
  permOf,
  projectIdOf,
  projectOf,
  resourceAt,
  wordBefore,
} from './gcp-common';

/** An anonymous request: a denial, but the remedy is to sign in (§4.2, §6). */
const ANONYMOUS = { ...kindOf('unknown'), requestable: false, reason: ANONYMOUS_REASON } as const;

/** What follows "access to": a generic noun (nothing named), an object or bucket, a project, or a name. */
function accessTarget(
  s: string,
  i: number,
): { resource: string | null; account: string | null; end: number } {
  const generic = /the\s+Google\s+Cloud\s+(?:Storage\s+(?:bucket|object)|project)s?\b/iy;
  generic.lastIndex = i;
  if (generic.exec(s)) return { resource: null, account: null, end: generic.lastIndex };
  const kind = /(object|bucket|project)(?![A-Za-z0-9/_.-])\s*/iy;
  kind.lastIndex = i;
  const k = kind.exec(s);
  const from = k ? kind.lastIndex : i;
  const t = readToken(s, from, 2048, false);
  const value = t ? trimToken(t.value) : '';
  if (!t || !value || isMasked(value)) return { resource: null, account: null, end: t ? t.end : from };
  const isProject = /^project$/i.test(k?.[1] ?? '');
  return { resource: value, account: isProject ? projectIdOf(value) : projectOf(value), end: t.end };
}

/** Start of the line holding `pos`, looking back at most 1000 characters (linear over many hits). */
function lineStart(s: string, pos: number): number {
  let i = pos;
  while (i > 0 && pos - i < 1000 && s.charCodeAt(i - 1) !== 10) i--;
  return i;
}

/**
 * The bucket (and object) of the JSON API request a client printed before the sentence:
 * `403 GET https://storage.googleapis.com/storage/v1/b/<bucket>[/o/<object>]?…` (Python, Java, Go).
 */
function bucketFromUrl(line: string): string | null {
  const m = /\/storage\/v1\/b\/([a-z0-9][a-z0-9._-]{1,220})(?:\/o\/([^?\s#'"]{1,1024}))?/.exec(line);
  if (!m?.[1] || isMasked(m[1])) return null;
  return m[2] ? `${m[1]}/${safeDecode(m[2])}` : m[1];
}

/** `<who> does not have <perm> access to …`, and its anonymous form. */
function doesNotHaveAccess(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-gcs',
    new RegExp(`does\\s+not\\s+have\\s+(${PERM})\\s+access\\s+to\\s+`, 'gi'),
  )) {
    const lead = s.slice(Math.max(0, h.pos - 40), h.pos);
    const anon = /anonymous\s+(?:caller|users?)\s*$/i.exec(lead);
    const anonymous = anon !== null;
    const target = accessTarget(s, h.end);
    if (!target.resource) {
      const fromUrl = bucketFromUrl(s.slice(lineStart(s, h.pos), h.pos));
      if (fromUrl) target.resource = fromUrl;
    }
    out.push(
      gcp(
        { pos: anon ? h.pos - lead.length + anon.index : h.pos, end: target.end },
        {
          actions: [permOf(h.value)],
          principal: anonymous ? null : email(wordBefore(s, h.pos)),
          resource: target.resource,
          account: target.account,
          family: 'gcp-gcs',
          ...(anonymous ? ANONYMOUS : {}),
        },
      ),
    );
  }
}

/** Artifact Registry: `Unauthenticated requests do not have permission "<perm>" on resource "<name>"`. */
function unauthenticated(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-unauthenticated',
    new RegExp(
      `Unauthenticated\\s+requests?\\s+do(?:es)?\\s+not\\s+have\\s+permission\\s+['"]?(${PERM})['"]?(?:\\s+on\\s+resource\\b)?`,
      'gi',
    ),
  )) {
    const r = /on\s+resource$/i.test(h.groups[0] ?? '') ? resourceAt(s, h.end) : { value: null, end: h.end };
    out.push(
      gcp(
        { pos: h.pos, end: r.end },
        {
          actions: [permOf(h.value)],
          resource: r.value,
          account: projectOf(r.value),
          family: 'gcp-unauthenticated',
          ...ANONYMOUS,
        },
      ),
    );
  }
}

/**
 * Cloud Build: `The user is forbidden from accessing the bucket [<b>]. Please check your
 * organization's policy or if the user has the "serviceusage.services.use" permission`. The
 * message offers two causes, so the permission is named with medium confidence and a caution.
 */
function forbiddenBucket(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-forbidden-bucket',
    /forbidden\s+from\s+accessing\s+the\s+bucket\s+\[([^\]\s]{1,256})\]/gi,
  )) {
    const tail = new RegExp(`^[\\s\\S]{0,200}?has\\s+the\\s+['"]?(${PERM})['"]?\\s+permi`, 'i').exec(
      s.slice(skipSpace(s, h.end), h.end + 400),
    );
    out.push(
      gcp(
        { pos: h.pos, end: tail ? skipSpace(s, h.end) + tail[0].length : h.end },
        {
          actions: tail?.[1] ? [permOf(tail[1])] : [],
          resource: trimToken(h.value) || null,
          confidence: tail ? 'medium' : 'low',
          reason:
            'The message names an organisation policy or this permission as the cause; if a grant does not help, the policy is.',
          family: 'gcp-forbidden-bucket',
        },
      ),
    );
  }
}

export function storageWordings(doc: Doc, out: Candidate[]): void {
  doesNotHaveAccess(doc, out);
  unauthenticated(doc, out);
  forbiddenBucket(doc, out);
}

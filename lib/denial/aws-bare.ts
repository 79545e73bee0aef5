/**
 * AWS denials without the IAM sentence, so without a reason clause (deny kind unknown): EC2
 * `UnauthorizedOperation` with its encoded blob (docs/denial-formats.md §2.3), the bare S3
 * "Access Denied" and codes with an empty message (§2.4), S3 console banners (§2.5),
 * CloudFormation's legacy `API: svc:Api Access Denied` event and the EC2 editors' bare API hint.
 *
 * Every regex here is either a literal-led global scan or a sticky (`y`) match at a known
 * position, with bounded token classes, so a long adversarial input stays linear.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { UNKNOWN } from './classify';
import type { Doc } from './context';
import { isSpace, skipSpace } from './normalise';

const BLOB_CHAR = /[A-Za-z0-9_+/=-]/;
const ENCODED_RE = /Encoded\s+authorization\s+failure\s+message\s*:?/gi;

/** Reads an encoded authorization blob, removing the whitespace of hard wraps (§2.3). */
function readBlob(s: string, i: number): { value: string; end: number } | null {
  let j = skipSpace(s, i);
  let value = '';
  let end = j;
  for (let piece = 0; piece < 400; piece++) {
    const from = j;
    while (j < s.length && j - from < 16384 && BLOB_CHAR.test(s[j] ?? ' ')) j++;
    const part = s.slice(from, j);
    if (piece > 0) {
      // A continuation piece must look like blob, not like the next words of the log.
      const word = /^[a-z]+$/.test(part) && part.length < 24;
      const next = s[j];
      if (!part || word || (next !== undefined && !isSpace(next) && !/["',.)\]}<]/.test(next))) break;
    }
    value += part;
    end = j;
    if (value.length > 65536) break;
    let k = j;
    while (k < s.length && k - j < 200 && isSpace(s[k])) k++;
    if (k === j || k >= s.length || !BLOB_CHAR.test(s[k] ?? ' ')) break;
    j = k;
  }
  return value.length >= 16 ? { value, end } : null;
}

/**
 * A denial that names no action, principal or reason (bare "Access Denied", EC2's "not authorized
 * to perform this operation" and kin); the UI asks the requester for the permission. Unless its
 * own wording is AWS-specific (the S3 XML `<Code>`), it counts only inside an AWS error frame.
 */
function bareDenial(h: { pos: number; end: number }, family = 'aws-bare', needsAwsFrame = true): Candidate {
  return candidate({
    start: h.pos,
    end: h.end,
    cloud: 'aws',
    actions: [],
    ...UNKNOWN,
    confidence: 'low',
    ...(needsAwsFrame ? { needsAwsFrame } : {}),
    family,
  });
}

/** EC2 `UnauthorizedOperation`: the bare sentence and/or the encoded blob (§2.3). */
export function ec2(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'aws-ec2',
    /You\s+are\s+not\s+authori[sz]ed\s+to\s+perform\s+this\s+operation\b/gi,
  )) {
    out.push(bareDenial(h, 'aws-ec2'));
  }
  ENCODED_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ENCODED_RE.exec(s)) !== null) {
    const blob = readBlob(s, m.index + m[0].length);
    if (!blob) continue;
    out.push(
      candidate({
        start: m.index,
        end: blob.end,
        cloud: 'aws',
        actions: [],
        ...UNKNOWN,
        encodedMessage: blob.value,
        confidence: 'low',
        family: 'aws-encoded',
      }),
    );
    ENCODED_RE.lastIndex = Math.max(ENCODED_RE.lastIndex, blob.end);
  }
  // EC2 editors: "… IAM policies that allow <ApiName>" names the bare API (§2.3).
  for (const h of doc.hits(
    'aws-ec2-hint',
    /polic(?:y|ies)\s+that\s+allows?\s+(?:the\s+)?([A-Z][a-z]{1,30}[A-Z][A-Za-z0-9]{1,60})(?![A-Za-z0-9:_-])/g,
  )) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'aws',
        actions: [`ec2:${h.value}`],
        ...UNKNOWN,
        operation: h.value,
        confidence: 'low',
        needsAwsFrame: true,
        family: 'aws-ec2-hint',
      }),
    );
  }
}

/** Bare "Access Denied" (S3 and others restating it, §2.4) and CloudFormation's legacy event. */
export function accessDenied(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'aws-cfn-legacy',
    /API:\s*([a-z0-9-]{1,64}:[A-Za-z0-9]{1,128})\s+Access\s+Denied/g,
  )) {
    const op = h.value.slice(h.value.indexOf(':') + 1);
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'aws',
        actions: [h.value],
        ...UNKNOWN,
        operation: op,
        confidence: 'low',
        source: 'cloudformation',
        family: 'aws-cfn-legacy',
      }),
    );
  }
  for (const h of doc.hits('aws-xml-denied', /<Code>\s*AccessDenied\s*<\/Code>/g)) {
    out.push(bareDenial(h, 'aws-bare', false));
  }
  // The message *is* "Access Denied": after a code/colon/XML tag, and not followed by a sentence.
  for (const h of doc.hits(
    'aws-bare-denied',
    /Access\s?Denied(?:Exception)?(?=\s*(?:$|[.<("'\],;}]|status\s+code|\(Service|For\s+more))/gim,
  )) {
    const before = s.slice(Math.max(0, h.pos - 24), h.pos);
    if (!/(?:[:>("']|^|\n)\s*$/.test(before)) continue;
    if (/API:\s*[a-z0-9-]{1,64}:[A-Za-z0-9]{1,128}\s+$/.test(before)) continue; // CloudFormation legacy
    if (/<Code>\s*$/.test(before)) continue; // the XML code, counted above
    out.push(bareDenial(h));
  }
}

/** Codes with an empty message (`AccessDeniedException: ` then `status code: 403`), SQS's own wording. */
export function emptyMessages(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'aws-empty-code',
    /\b(?:AccessDenied(?:Exception)?|UnauthorizedOperation):[^\S\n]*(?=\n\s*status\s+code|$)/gm,
  )) {
    out.push(bareDenial(h));
  }
  for (const h of doc.hits(
    'aws-resource-denied',
    /Access\s+to\s+the\s+resource\s+[^\s'"]{1,2048}\s+is\s+denied/gi,
  )) {
    out.push(bareDenial(h));
  }
}

/**
 * S3 answers a HEAD request it refuses with a bare 403 and no body, so the SDKs can only print the
 * status (§2.4): `An error occurred (403) when calling the HeadObject operation: Forbidden`, Go
 * v2's `… StatusCode: 403, … api error Forbidden: Forbidden`, Java v1's `Error Code: 403 Forbidden`,
 * .NET's `Error making request with Error Code Forbidden and Http Status Code Forbidden`.
 */
export function headForbidden(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'aws-head-forbidden',
    /\(403\)\s+when\s+calling\s+the\s+[A-Za-z0-9]{1,64}\s+operation:\s*Forbidden\b|\bapi\s+error\s+Forbidden:\s*Forbidden\b|\bError\s+Code:\s*403\s+Forbidden\b|\bError\s+Code\s+Forbidden\s+and\s+Http\s+Status\s+Code\s+Forbidden\b/g,
  )) {
    out.push(bareDenial(h, 'aws-bare', false));
  }
}

/** Error codes that mean "denied" whatever the message says (§2.2). */
const DENIED_CODE = String.raw`(?:[A-Za-z]{1,40}\.)?(?:KMS)?AccessDenied(?:Exception)?|UnauthorizedOperation|AuthorizationError(?:Exception)?`;

/**
 * A wrapper's denial code whose message no other wording read (`An error occurred (AccessDenied)
 * when calling the DescribeAlarms operation` cut short, `api error AccessDeniedException: <a
 * service's own words>`, Java's `Error Code: AccessDenied`): a denial naming nothing (§2.2). Runs
 * after the other AWS families, and only where none of them found anything on the wrapper's lines.
 */
export function wrapperCodes(doc: Doc, out: Candidate[], from: number): void {
  const s = doc.text;
  const hits = doc.hits(
    'aws-wrapper-code',
    new RegExp(
      String.raw`An\s+error\s+occurred\s+\((?:${DENIED_CODE})\)\s+when\s+calling\s+the\s+[A-Za-z0-9]{1,64}\s+operation|\bapi\s+error\s+(?:${DENIED_CODE}):|Error\s+Code:\s*(?:${DENIED_CODE})[;,)]`,
      'g',
    ),
  );
  for (const h of hits) {
    const a = s.lastIndexOf('\n', h.pos - 1) + 1;
    const nl = s.indexOf('\n', h.end);
    const b = nl < 0 ? s.length : nl;
    let covered = false;
    for (let i = from; i < out.length && !covered; i++) {
      const c = out[i] as Candidate;
      covered = c.cloud === 'aws' && c.start < b && c.end > a;
    }
    if (!covered) out.push(bareDenial(h, 'aws-bare', false));
  }
}

/** S3 console banners: "… updated your permissions to allow the s3:<Action> action" (§2.5). */
export function s3Banners(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'aws-s3-banner',
    /permissions\s+to\s+allow\s+the\s+(s3:[A-Za-z][A-Za-z0-9*]{0,127})\s+action/gi,
  )) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'aws',
        actions: [h.value],
        ...UNKNOWN,
        confidence: 'medium',
        source: 'console',
        family: 'aws-s3-banner',
      }),
    );
  }
}

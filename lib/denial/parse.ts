/**
 * The parsing pipeline (docs/denial-formats.md §6 "order of evaluation"): normalise → every
 * family parser emits candidates → look-alike / placeholder / framing checks per message → merge
 * the pieces of one message (code + sentence, EC2 sentence + blob, prose + ErrorInfo) → wrapper
 * source/operation, hints → de-duplicate by (cloud, actions, resource) in order of appearance.
 */
// The contract's constants carry no zod; its zod modules are imported for types only, so the
// parser's bundle stays free of zod.
import { EXCERPT_MAX } from '../contract/constants';
import type { Denial, ParseHints } from '../contract/denial';
import { parseAws } from './aws';
import { parseAzure } from './azure';
import type { Candidate } from './candidate';
import { reasonFor } from './classify';
import { Doc, firstIn } from './context';
import { parseGcp, projectNear } from './gcp';
import { DOC_SIGNAL_RE, hasPlaceholder, isPublicErrorPage, LOOKALIKE_RE } from './lookalikes';
import { collapse, normalise } from './normalise';
import { clearMasked, validActions } from './values';
import { detectOperation, detectSource, hasAwsFrame } from './wrappers';

/** Pieces further apart than this are different messages, even inside one paragraph. */
const MESSAGE_GAP = 2500;
/** Pieces this close belong together even across a blank line (console panel sections). */
const PANEL_GAP = 400;
const PANEL_FAMILIES = new Set(['gcp-panel', 'gcp-troubleshooter']);
/** A page never shows more distinct denials than this; the cap bounds adversarial inputs. */
const MAX_DENIALS = 200;
/** How many neighbouring candidates a merge looks at (bounds adversarial, candidate-dense input). */
const NEIGHBOURS = 40;
const MAX_CANDIDATES = 5000;
const LINE_MAX = 2000;

/**
 * The whole pipeline without the keyword gate and the exception guard of `parseDenials`; the
 * property tests call it directly so that they see real exceptions and can check that the
 * prefilter accepts everything the parser finds.
 */
export function parseUnguarded(raw: string, hints: ParseHints = {}): Denial[] {
  const doc = new Doc(normalise(raw));
  const found: Candidate[] = [];
  parseAws(doc, found);
  parseAzure(doc, found);
  parseGcp(doc, found);
  found.sort((a, b) => a.start - b.start || a.end - b.end);
  // Thousands of candidates only come from repetitive or adversarial input; the output is capped
  // anyway, so bound the per-candidate work to the earliest ones.
  if (found.length > MAX_CANDIDATES) found.length = MAX_CANDIDATES;
  const kept = merge(doc, filter(doc, found, hints));
  return finish(doc, kept, hints);
}

/** Drops look-alikes, documentation samples and unframed bare AWS texts, per message. */
function filter(doc: Doc, cands: Candidate[], hints: ParseHints): Candidate[] {
  const look = doc.hits('lookalike', LOOKALIKE_RE);
  const docSignals = doc.hits('doc-signal', DOC_SIGNAL_RE);
  const out: Candidate[] = [];
  cands.forEach((c, i) => {
    const [bs, be] = doc.block(c.start);
    const prev = cands[i - 1];
    const next = cands[i + 1];
    let a = Math.max(bs, c.start - 300, prev && prev.end <= c.start ? prev.end : 0);
    let b = Math.min(be, c.end + 600, next && next.start >= c.end ? next.start : Infinity);
    if (c.actions.length > 0) {
      // A named denial is a complete message: only a look-alike code on its own line(s) (the
      // wrapper printed in front of it, or a suffix) speaks about it; the next log line does not.
      a = Math.max(a, lineStart(doc.text, c.start));
      b = Math.min(b, lineEnd(doc.text, c.end));
    }
    if (firstIn(look, a, b)) return;
    // A template in the action slot (`service:action-name`) is a sample, not an error; masked or
    // templated values elsewhere only mean "not named" (§1.6).
    if (c.actions.some(hasPlaceholder)) return;
    clearMasked(c, doc.text);
    c.actions = validActions(doc.text, c);
    // Documentation prose introducing an example ("fictional", "an error similar to the following").
    if (firstIn(docSignals, Math.max(0, c.start - 800), c.end + 200)) return;
    if (isPublicErrorPage(doc, c)) return;
    if (c.needsAwsFrame && hints.cloud !== 'aws' && !hasAwsFrame(doc, c.start, c.end)) return;
    out.push(c);
  });
  // S3-style XML (`<Code>AccessDenied</Code>`) also wraps other clouds' storage errors: a bare
  // AWS reading yields to another cloud's named denial in the same message.
  return out.filter((c, i) => {
    if (c.family !== 'aws-bare') return true;
    for (let j = Math.max(0, i - NEIGHBOURS); j < Math.min(out.length, i + NEIGHBOURS); j++) {
      const o = out[j] as Candidate;
      if (o.cloud !== 'aws' && sameMessage(doc, c, o)) return false;
    }
    return true;
  });
}

/** Start of the line holding `pos`, looking back at most LINE_MAX characters (bounded scan). */
function lineStart(s: string, pos: number): number {
  let i = pos;
  while (i > 0 && pos - i < LINE_MAX && s.charCodeAt(i - 1) !== 10) i--;
  return i;
}

function lineEnd(s: string, pos: number): number {
  let i = pos;
  while (i < s.length && i - pos < LINE_MAX && s.charCodeAt(i) !== 10) i++;
  return i;
}

/** Same paragraph and close, or adjacent sections of one panel (GCP console blocks). */
function sameMessage(doc: Doc, a: Candidate, b: Candidate): boolean {
  const gap = b.start >= a.end ? b.start - a.end : a.start >= b.end ? a.start - b.end : 0;
  if (gap > MESSAGE_GAP) return false;
  if (gap <= PANEL_GAP && (PANEL_FAMILIES.has(a.family) || PANEL_FAMILIES.has(b.family))) return true;
  return doc.block(a.start)[0] === doc.block(b.start)[0];
}

const WEAK_FAMILIES = new Set(['aws-ec2-hint', 'aws-cfn-legacy', 'gcp-troubleshooter']);

function isWeak(c: Candidate): boolean {
  return c.actions.length === 0 || c.derivedFrom !== undefined || WEAK_FAMILIES.has(c.family);
}

/** Order-insensitive, case-insensitive identity of an action list. */
function actionKey(c: Candidate): string {
  return c.actions.length === 1
    ? (c.actions[0] as string).toLowerCase()
    : c.actions
        .map((v) => v.toLowerCase())
        .sort()
        .join(',');
}

/** Fills `into`'s missing details from `from` (one message seen through two wordings). */
function absorb(into: Candidate, from: Candidate): void {
  into.encodedMessage ??= from.encodedMessage;
  into.operation ??= from.operation;
  into.policyId ??= from.policyId;
  into.principal ??= from.principal;
  into.account ??= from.account;
  into.source ??= from.source;
  if (from.structured && from.resource) into.resource = from.resource;
  else into.resource ??= from.resource;
  // The same permissions (compared without case): ErrorInfo's spelling is the catalogue's, where
  // the prose may write it in another case (GCP, docs/denial-formats.md §1.5).
  if (from.structured && from.actions.length === into.actions.length && from.actions.length > 0)
    into.actions = from.actions;
  into.start = Math.min(into.start, from.start);
  into.end = Math.max(into.end, from.end);
}

/**
 * Merges the pieces of one message: an empty or weak candidate (EC2 sentence, blob, bare
 * "Access Denied", storage code, troubleshooter URL) folds into a named denial of the same cloud
 * nearby; duplicate wordings of the same permission (prose + ErrorInfo, panel + URL) fold into the
 * first; remaining empty pieces of one kind fold together. Candidates are sorted by start, so
 * only a bounded neighbourhood is examined (keeps candidate-dense adversarial input linear).
 */
function merge(doc: Doc, cands: Candidate[]): Candidate[] {
  const keys = cands.map(actionKey);
  const weak = cands.map(isWeak);
  const dropped = new Set<number>();
  // Pass 1: weak named readings (EC2 API hint, CloudFormation legacy event, troubleshooter URL)
  // fold into a full denial; pass 2: empty pieces fold into any remaining named denial.
  for (const emptyPass of [false, true]) {
    cands.forEach((c, i) => {
      if (!weak[i] || dropped.has(i) || (c.actions.length === 0) !== emptyPass) return;
      let best = -1;
      let bestGap = Infinity;
      for (let j = Math.max(0, i - NEIGHBOURS); j < Math.min(cands.length, i + NEIGHBOURS + 1); j++) {
        const o = cands[j] as Candidate;
        if (j === i || dropped.has(j) || o.cloud !== c.cloud || !sameMessage(doc, c, o)) continue;
        if (emptyPass ? o.actions.length === 0 : weak[j]) continue;
        if (emptyPass && c.denyKind !== 'unknown' && c.denyKind !== o.denyKind) continue;
        if (!emptyPass && keys[i] !== keys[j] && c.family !== 'aws-ec2-hint' && !c.derivedFrom) continue;
        const gap = Math.abs(o.start - c.start);
        if (gap < bestGap) {
          best = j;
          bestGap = gap;
        }
      }
      const into = cands[best];
      if (into) {
        const saveResource = into.resource;
        absorb(into, c);
        // The troubleshooter URL names the full resource; the panel's own Resource line wins.
        if (c.family === 'gcp-troubleshooter') into.resource = saveResource ?? c.resource;
        dropped.add(i);
      }
    });
  }
  const out: Candidate[] = [];
  const outKeys: string[] = [];
  for (let i = 0; i < cands.length && out.length <= MAX_DENIALS * 4; i++) {
    if (dropped.has(i)) continue;
    const c = cands[i] as Candidate;
    let prior: Candidate | undefined;
    for (let j = out.length - 1; j >= Math.max(0, out.length - NEIGHBOURS); j--) {
      const o = out[j] as Candidate;
      if (o.cloud !== c.cloud || !sameMessage(doc, o, c)) continue;
      const named =
        o.actions.length > 0 &&
        outKeys[j] === keys[i] &&
        (o.structured || c.structured || !o.resource || !c.resource || o.resource === c.resource);
      // Two blocking policies named in one message (GCP constraints) are two denials.
      const empty =
        o.actions.length === 0 &&
        c.actions.length === 0 &&
        o.denyKind === c.denyKind &&
        (o.policyId === null || c.policyId === null || o.policyId === c.policyId) &&
        o.family.split('-')[0] === c.family.split('-')[0];
      if (named || empty) {
        prior = o;
        break;
      }
    }
    if (prior) absorb(prior, c);
    else {
      out.push(c);
      outKeys.push(keys[i] as string);
    }
  }
  return out;
}

function finish(doc: Doc, cands: Candidate[], hints: ParseHints): Denial[] {
  const seen = new Set<string>();
  const out: Denial[] = [];
  for (const c of cands) {
    let source = c.source ?? detectSource(doc, c.start, c.end) ?? hints.source ?? null;
    if (c.cloud !== 'aws' && source === 'cloudformation') source = null;
    const operation = c.operation ?? (c.cloud === 'aws' ? detectOperation(doc, c.start, c.end) : null);
    const hintedAccount = hints.account && /^\d{12}$/.test(hints.account) ? hints.account : null;
    const resource =
      c.resource ?? (c.roleName && hintedAccount ? `arn:aws:iam::${hintedAccount}:role/${c.roleName}` : null);
    const denial: Denial = {
      cloud: c.cloud,
      actions: c.actions,
      resource,
      principal: c.principal ?? hints.principal ?? null,
      account:
        c.account ?? (c.cloud === 'gcp' ? projectNear(doc, c.start, c.end) : null) ?? hints.account ?? null,
      denyKind: c.denyKind,
      requestable: c.requestable,
      reason: reasonFor(c.denyKind, c.requestable, c.reason),
      excerpt: collapse(doc.text.slice(c.start, Math.min(c.end, c.start + EXCERPT_MAX * 4))).slice(
        0,
        EXCERPT_MAX,
      ),
      source,
      encodedMessage: c.encodedMessage,
      operation,
      policyId: c.policyId,
      confidence: c.confidence,
      ...(c.derivedFrom ? { derivedFrom: c.derivedFrom } : {}),
    };
    const key = `${c.cloud}\u0000${c.actions.join(',').toLowerCase()}\u0000${resource ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(denial);
    if (out.length >= MAX_DENIALS) break;
  }
  return out;
}

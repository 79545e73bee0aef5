/**
 * What a candidate's values may hold (docs/denial-formats.md §1.6, §5): masked or templated values
 * are not names, and an action must be spelled as its cloud spells permissions. Run on every
 * candidate before merging, so that no family parser has to repeat the rules.
 */
import { CLOUD_FACTS } from '../clouds';
import type { Candidate } from './candidate';
import { hasPlaceholder } from './lookalikes';
import { isMasked } from './normalise';

/** Masked or templated (`***`, `<user-arn>`, `{account-id}`, `[REDACTED]`): not a name (§1.6). */
function notNamed(v: string): boolean {
  return isMasked(v) || hasPlaceholder(v);
}

/** Whether the text writes `value` with an ellipsis right after it (`…/aws-sdk-js-session-...`). */
function elided(text: string, c: Candidate, value: string): boolean {
  // Searched in the candidate's own span only: a document-wide search per candidate is quadratic.
  const from = Math.max(0, c.start - 2500);
  const span = text.slice(from, Math.min(text.length, c.end + value.length + 3, from + 20000));
  const at = span.indexOf(value);
  if (at < 0) return false;
  const after = span.slice(at + value.length, at + value.length + 3);
  return after.startsWith('..') || after.startsWith('…');
}

/** Mask and template spans inside a value (`****`, `xxxx`, `<acct>`, `{id}`, `${VAR}`, `...`). */
const MASK_SPAN_RE = /\*{2,}|[xX]{3,}|#{3,}|<[^<>]*>|\$?\{[^{}]*\}|\[redacted\]|\bredacted\b|\.{3,}|…/gi;

/**
 * Whether a path segment is nothing but masks: what is left once its mask spans are removed holds
 * no letter or digit, or is itself a template (`SOME_GUID_HERE`, `$ACCOUNT_ID`). A segment that
 * keeps some of its name (`aks-pool-****`, `xxxxxxxxxx-compute@developer.gserviceaccount.com`) is
 * partly masked, not masked.
 */
function segmentMasked(segment: string): boolean {
  if (!notNamed(segment)) return false;
  const rest = segment.replace(MASK_SPAN_RE, '');
  return !/[A-Za-z0-9]/.test(rest) || notNamed(rest);
}

/**
 * Whether nothing but masks and templates is left of a name (§1.6): every `/`- or `:`-separated
 * segment is masked. An Azure scope or GCP resource name is cleared only then; one that keeps any
 * segment, or part of one, is kept as written (tests/fixtures/denials/README.md).
 */
export function onlyMasks(value: string): boolean {
  return value
    .split(/[/:]+/)
    .filter(Boolean)
    .every((segment) => segmentMasked(segment));
}

/**
 * Clears the values the text masks or templates (README conventions, §1.6): a principal or account
 * always; an AWS resource whenever a part is masked (an ARN with a masked account is no grant
 * target); an Azure scope or GCP resource name only when nothing of it is left, since its other
 * segments still narrow the grant.
 */
export function clearMasked(c: Candidate, text: string): void {
  if (c.principal && (notNamed(c.principal) || elided(text, c, c.principal))) c.principal = null;
  if (c.account && notNamed(c.account)) c.account = null;
  // An ARN cut short (a template or mask ended the token) names nothing.
  if (
    c.cloud === 'aws' &&
    c.resource &&
    /^arn:/i.test(c.resource) &&
    !/^arn:[^:]*:[^:]*:[^:]*:[^:]*:./i.test(c.resource)
  )
    c.resource = null;
  if (c.resource && notNamed(c.resource) && (c.cloud === 'aws' || onlyMasks(c.resource))) c.resource = null;
}

/**
 * AWS action names are PascalCase (`s3:GetObject`, SNS writes its service upper-case): a
 * lower-case name after the colon is an ARN fragment (`wafv2:us` of `arn:aws:wafv2:us-east-1:…`)
 * or a URI scheme (`mailto:alice`), not an action.
 */
const AWS_ACTION_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}:[A-Z][A-Za-z0-9]{0,127}$/;

/**
 * The candidate's actions that are spelled as the cloud's permissions are (lib/clouds.ts grammar,
 * §5 "junk actions"), dropping junk a phrase matcher picked up: ARN fragments, URI schemes, and an e-mail
 * domain read as a GCP permission (`alice@mail.example.com`).
 */
export function validActions(text: string, c: Candidate): string[] {
  if (c.actions.length === 0) return c.actions;
  const grammar = c.cloud === 'aws' ? AWS_ACTION_RE : CLOUD_FACTS[c.cloud].actionGrammar;
  const span = c.cloud === 'gcp' ? text.slice(Math.max(0, c.start - 200), c.end + 200).toLowerCase() : '';
  return c.actions.filter((a) => grammar.test(a) && !(span && span.includes(`@${a.toLowerCase()}`)));
}

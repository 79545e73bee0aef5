/**
 * The internal record each family parser emits before look-alike filtering, merging and
 * de-duplication turn candidates into contract `Denial`s. Positions refer to the normalised text.
 */
import { CLOUD_FACTS } from '../clouds';
import type { Cloud, Confidence, DenialSource, DenyKind } from '../contract/denial';
import { hasPlaceholder } from './lookalikes';
import { isMasked } from './normalise';

export interface Candidate {
  /** Start / end of the message the fields were read from, in the normalised text. */
  start: number;
  end: number;
  cloud: Cloud;
  actions: string[];
  resource: string | null;
  principal: string | null;
  account: string | null;
  denyKind: DenyKind;
  requestable: boolean;
  encodedMessage: string | null;
  operation: string | null;
  policyId: string | null;
  confidence: Confidence;
  /** Set by families whose wording fixes the source (console panels). */
  source?: DenialSource | null;
  /** Read from structured error details (GCP ErrorInfo): preferred when merging with prose. */
  structured?: boolean;
  /** A bare "Access Denied" / encoded-only AWS text: counts only inside AWS framing. */
  needsAwsFrame?: boolean;
  /** Specific reason text when the generic one for the deny kind does not fit. */
  reason?: string;
  /** AWS `on resource: role NAME` whose account is unknown: rebuilt with the hinted account. */
  roleName?: string;
  /** Family name, for debugging and merge rules. */
  family: string;
}

export type CandidateInit = Omit<
  Candidate,
  'encodedMessage' | 'operation' | 'policyId' | 'confidence' | 'principal' | 'account' | 'resource'
> &
  Partial<
    Pick<
      Candidate,
      'encodedMessage' | 'operation' | 'policyId' | 'confidence' | 'principal' | 'account' | 'resource'
    >
  >;

export function candidate(init: CandidateInit): Candidate {
  return {
    resource: null,
    principal: null,
    account: null,
    encodedMessage: null,
    operation: null,
    policyId: null,
    confidence: 'high',
    ...init,
  };
}

/** Masked or templated (`***`, `<user-arn>`, `{account-id}`, `[REDACTED]`): not a name (§1.6). */
function notNamed(v: string): boolean {
  return isMasked(v) || hasPlaceholder(v);
}

/** Whether the text writes `value` with an ellipsis right after it (`…/aws-sdk-js-session-...`). */
function elided(text: string, c: Candidate, value: string): boolean {
  const at = text.indexOf(value, Math.max(0, c.start - 2500));
  if (at < 0 || at > c.end) return false;
  const after = text.slice(at + value.length, at + value.length + 3);
  return after.startsWith('..') || after.startsWith('…');
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
  if (c.resource && notNamed(c.resource)) {
    const wholeMasked = c.resource
      .split(/[/:]+/)
      .filter(Boolean)
      .every((segment) => notNamed(segment));
    if (c.cloud === 'aws' || wholeMasked) c.resource = null;
  }
}

/**
 * AWS action names are PascalCase (`s3:GetObject`, SNS writes its service upper-case): a
 * lower-case name after the colon is an ARN fragment (`wafv2:us` of `arn:aws:wafv2:us-east-1:…`)
 * or a URI scheme (`mailto:alice`), not an action.
 */
const AWS_ACTION_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}:[A-Z][A-Za-z0-9]{0,127}$/;

/**
 * The candidate's actions that are spelled as the cloud's permissions are (lib/clouds.ts grammar,
 * §1.5), dropping junk a phrase matcher picked up: ARN fragments, URI schemes, and an e-mail
 * domain read as a GCP permission (`alice@mail.example.com`).
 */
export function validActions(text: string, c: Candidate): string[] {
  if (c.actions.length === 0) return c.actions;
  const grammar = c.cloud === 'aws' ? AWS_ACTION_RE : CLOUD_FACTS[c.cloud].actionGrammar;
  const span = c.cloud === 'gcp' ? text.slice(Math.max(0, c.start - 200), c.end + 200).toLowerCase() : '';
  return c.actions.filter((a) => grammar.test(a) && !(span && span.includes(`@${a.toLowerCase()}`)));
}

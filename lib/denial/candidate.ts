/**
 * The internal record each family parser emits before look-alike filtering, merging and
 * de-duplication turn candidates into contract `Denial`s. Positions refer to the normalised text.
 */
import type { Cloud, Confidence, DenialSource, DenyKind } from '../contract/denial';

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

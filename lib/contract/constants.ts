/**
 * The contract's numbers and short lists, without zod: the parser (whose bundle must not pull in
 * zod), the UI and the broker read them here, and the zod modules beside this one build their
 * checks from them, so a limit is stated once.
 */

/** Longest excerpt kept from the original text (the UI truncates further). */
export const EXCERPT_MAX = 2000;
/** Longest AWS encoded authorization message a request may carry. */
export const ENCODED_MESSAGE_MAX = 16_384;

/** Durations the UI offers; the contract accepts any whole number of minutes in range. */
export const DURATION_CHOICES = [15, 60, 240, 480] as const;
export const DEFAULT_DURATION_MINUTES = 60;
export const DURATION_MIN = 15;
export const DURATION_MAX = 720;

export const JUSTIFICATION_MAX = 500;
/** Longest single permission name. */
export const ACTION_MAX = 256;
/** Most permissions one request may name. */
export const ACTIONS_PER_REQUEST_MAX = 20;
/** Longest account id (AWS account, Azure subscription, GCP project). */
export const ACCOUNT_MAX = 128;
export const RESOURCE_MAX = 2048;
export const TICKET_MAX = 64;
/** Longest page or destination URL. */
export const URL_MAX = 4096;
/** Longest approver comment on a decision. */
export const COMMENT_MAX = 1000;
/** Longest reason given for a revocation. */
export const REASON_MAX = 500;

/** Risk levels of one permission, lowest first (lib/risk rates actions with them). */
export const RISKS = ['read', 'write', 'admin'] as const;
export type Risk = (typeof RISKS)[number];

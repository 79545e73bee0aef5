/**
 * Look-alikes (docs/denial-formats.md §5): texts that share codes, status or framing with a denial but
 * are not one — expired or invalid credentials, throttling, quotas, APIs not enabled, billing,
 * provider registration, locks, storage firewalls, CloudFront error pages — and documentation
 * that quotes a sample denial with template placeholders.
 *
 * The checks are per message: a signal only vetoes the candidates whose message window holds
 * it, so a look-alike elsewhere on a page cannot hide a real denial.
 */

/** Codes and phrases of look-alike errors. Case-sensitive codes; phrases list both cases. */
export const LOOKALIKE_RE = new RegExp(
  [
    // AWS credentials, throttling, quota, account set-up, resource state, CloudFront pages
    'ExpiredToken(?:Exception)?\\b',
    'RequestExpired\\b',
    '[Tt]he security token included in the request is (?:expired|invalid)',
    'InvalidClientTokenId',
    'UnrecognizedClientException',
    'SignatureDoesNotMatch',
    'InvalidAccessKeyId',
    '\\bAuthFailure\\b',
    '\\bThrottling(?:Exception)?\\b',
    'TooManyRequests(?:Exception)?\\b',
    'RequestLimitExceeded',
    '\\b[Rr]ate exceeded',
    'LimitExceededException',
    'ServiceQuotaExceededException',
    'InstanceLimitExceeded',
    'VcpuLimitExceeded',
    'OptInRequired',
    'SubscriptionRequiredException',
    'AllAccessDisabled',
    'KMSInvalidStateException',
    '[Tt]he request could not be satisfied',
    '[Gg]enerated by [Cc]loud[Ff]ront',
    // Azure tokens, sign-in, throttling, quota, registration, locks, storage network rules
    'ExpiredAuthenticationToken',
    'InvalidAuthenticationToken(?:Tenant)?',
    '\\bAuthenticationFailed\\b',
    'AADSTS\\d{4,6}',
    'SubscriptionRequestsThrottled',
    'QuotaExceeded',
    'SkuNotAvailable',
    'MissingSubscriptionRegistration',
    'is not registered to use namespace',
    '\\bScopeLocked\\b',
    '\\bAuthorizationFailure\\b',
    'KeyBasedAuthenticationNotPermitted',
    // GCP authentication, API not enabled, billing, quota. ("Anonymous caller does not have …" is
    // a denial whose remedy is to sign in: lib/denial/gcp-storage.ts reports it, not requestable.)
    '\\bUNAUTHENTICATED\\b',
    'invalid_grant',
    '[Rr]eauthentication failed',
    'SERVICE_DISABLED',
    'has not been used in project',
    'BILLING_DISABLED',
    'RESOURCE_EXHAUSTED',
    'RATE_LIMIT_EXCEEDED',
    '[Qq]uota exceeded',
    '\\b(?:user|daily)?[Rr]ateLimitExceeded\\b',
    '\\bdailyLimitExceeded\\b',
    '\\bquotaExceeded\\b',
    '\\baccessNotConfigured\\b',
  ].join('|'),
  'g',
);

import type { Doc } from './context';
import { firstIn } from './context';

/**
 * Template placeholders that mark documentation / sample text (§5): `account-ID-without-hyphens`,
 * `user-name`, `service:action-name`, `<principal>`, `${…}`, `{subscriptionId}`, `resource-arn`.
 * Vendor example ids (123456789012) are deliberately not here: tests use them too.
 */
const PLACEHOLDER_RE =
  /account-ID-without-hyphens|AWS-account-ID|\b(?:user|role|action|bucket|policy|function|key|service|resource|group|instance|secret|table|queue|topic|cluster|vault|object|permission|principal|session)-name(?![\w-])|\b(?:resource|user|role|policy|principal|key)-arn\b|service:action|<principal>|<(?:[a-z]+[-_ ])+[a-z]+>|<(?:action|resource|scope|permission|project|bucket|stack)>|\$\{[^}\n]{0,64}\}|\{(?:subscriptionId|subscription-id|resourceGroupName|resource-group|objectId|principalId|tenantId|scope|roleName|vaultName|[a-z]+(?:Id|Name))\}|\bPERMISSION_NAME\b|\bPROJECT_ID\b|\bSERVICE_ACCOUNT_EMAIL\b/;

/** Single-word angle placeholders (`<user>`, `<acct>`); one alone may be a reporter's mask. */
const ANGLE_WORD_RE = /<([a-z]{2,24})>/g;
const MASK_WORDS = new Set(['redacted', 'masked', 'hidden', 'removed', 'snip', 'snipped', 'omitted']);

/** Whether [a, b) of the document holds a placeholder (global scans, binary-searched). */
export function placeholderIn(doc: Doc, a: number, b: number): boolean {
  if (firstIn(doc.hits('placeholder', PLACEHOLDER_RE), a, b)) return true;
  const angle = doc.hits('angle-word', ANGLE_WORD_RE);
  const words = new Set<string>();
  for (let h = firstIn(angle, a, b), n = 0; h && n < 64; n++) {
    if (!MASK_WORDS.has(h.value)) words.add(h.value);
    if (words.size >= 2) return true;
    h = firstIn(angle, h.pos + 1, b);
  }
  return false;
}

export function hasPlaceholder(text: string): boolean {
  if (PLACEHOLDER_RE.test(text)) return true;
  // Several distinct template words in one message read as a sample, not as masking.
  const words = new Set<string>();
  for (const m of text.matchAll(ANGLE_WORD_RE)) {
    const w = m[1] ?? '';
    if (!MASK_WORDS.has(w)) words.add(w);
    if (words.size >= 2) return true;
  }
  return false;
}

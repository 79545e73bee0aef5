/**
 * Look-alikes (docs/denial-formats.md §5): texts that share codes, status or framing with a denial but
 * are not one — expired or invalid credentials, MFA failures, throttling, quotas, APIs not
 * enabled, billing, not-found codes, provider registration, locks, storage firewalls, public
 * S3 / CloudFront error pages — and documentation that presents a denial as an example.
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
    // AccessDenied whose cause is a missing or wrong MFA code: a sign-in step, not a grant
    'MultiFactorAuth(?:entication|Present|Age)\\b',
    '\\b(?:invalid|wrong) MFA\\b',
    '\\bMFA (?:code|token|device|serial)',
    // Not-found codes: the resource is missing, not the permission
    '\\bNoSuch(?:Bucket|Key|Entity|Upload|Version)\\b',
    '\\bResourceNotFound(?:Exception)?\\b',
    '\\b(?:ResourceGroup|Subscription|Deployment)NotFound\\b',
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
    'requires billing to be enabled',
    'has billing disabled',
    'absent billing account',
    '\\baccountDisabled\\b',
    'RESOURCE_EXHAUSTED',
    'RATE_LIMIT_EXCEEDED',
    '[Qq]uota exceeded',
    '\\b(?:user|daily)?[Rr]ateLimitExceeded\\b',
    '\\bdailyLimitExceeded\\b',
    '\\bquotaExceeded\\b',
    '\\baccessNotConfigured\\b',
    '\\bNOT_FOUND\\b',
  ].join('|'),
  'g',
);

import type { Candidate } from './candidate';
import type { Doc } from './context';

/**
 * Template placeholders (§1.6, §5): `account-ID-without-hyphens`, `user-name`, `service:action-name`,
 * `<principal>`, `${…}`, `{subscriptionId}`, `resource-arn`. In a value they mean "not named"; in
 * the action slot they mean the text is a template, not an error. Vendor example ids
 * (123456789012) are deliberately not here: tests use them too.
 */
const PLACEHOLDER_RE =
  /account-ID-without-hyphens|AWS-account-ID|\b(?:user|role|action|bucket|policy|function|key|service|resource|group|instance|secret|table|queue|topic|cluster|vault|object|permission|principal|session)-name(?![\w-])|\b(?:resource|user|role|policy|principal|key)-arn\b|service:action|<[^<>\n]{1,64}>|\$\{[^}\n]{0,64}\}|\{[^{}\s]{1,64}\}|\bPERMISSION_NAME\b|\bPROJECT_ID\b|\bSERVICE_ACCOUNT_EMAIL\b/;

export function hasPlaceholder(text: string): boolean {
  return PLACEHOLDER_RE.test(text);
}

/**
 * Prose that presents the message as an example rather than the reader's own error (§5):
 * "fictional", "the following example error", "fails with an error like:", "errors that look
 * like", "look similar to the following", "For example, the following", generic second person ("you
 * get the following error", "you might encounter these errors").
 * A reporter's own "I get the following error" is not among them, nor "similar to the
 * following", which knowledge-base articles put before complete, real-valued denials.
 */
export const DOC_SIGNAL_RE =
  /\bfictional\b|[Tt]he\s+following\s+example\s+error|\b[Ee]xample\s+(?:encoded\s+|error\s+)?message\s*:|[Ee]xample\s+error\s+message|\bsample\s+error\b|\ban\s+error\s+(?:message\s+)?(?:like|such\s+as)\b|\berrors?\s+(?:that\s+)?looks?\s+like\b|\b[Ff]or\s+example,\s+the\s+following\b|\b[Yy]ou(?:'ll|\s+will|\s+would|\s+may|\s+might|\s+can|\s+could)?\s+(?:get|see|receive|encounter)\s+(?:an?\s+|the\s+following\s+|th(?:is|ese)\s+)?(?:error|message)|\blooks?\s+similar\s+to\s+the\s+following\b/g;

const XML_VIEWER_RE = /[Tt]his XML file does not appear to have any style information/;

/** The parts of an S3-style XML error document, and what a browser adds around one. */
const XML_ERROR_PART_RE =
  /<\?xml[^>]{0,200}\?>|<(RequestId|HostId)>[^<]{0,400}<\/\1>|<\/?(?:Error|Code|Message|Resource|Key|BucketName)>|\bAccess\s?Denied\b|[Tt]his XML file does not appear to have any style information associated with it\.?|[Tt]he document tree is shown below\.?|\b403 Forbidden\b|https?:\/\/\S{1,2048}|['"\s]+/g;

/**
 * An S3 / CloudFront `<Error><Code>AccessDenied</Code><Message>Access Denied</Message>…` document
 * standing alone (§5): what a browser shows an anonymous visitor of a private object or a
 * public site's missing page. No tool printed it and no caller is named, so no grant applies.
 * An SDK or CLI that prints the same body frames it (`An error occurred`, `status code`, a
 * stack), and those keep their denial.
 */
export function isPublicErrorPage(doc: Doc, c: Candidate): boolean {
  if (c.cloud !== 'aws' || c.actions.length > 0 || c.principal) return false;
  const [bs, be] = doc.block(c.start);
  if (be - bs > 4000) return false;
  const block = doc.text.slice(bs, be);
  if (!/<Message>\s*Access Denied\.?\s*<\/Message>/.test(block)) return false;
  // A browser's XML viewer announces what it shows: whatever the reporter wrote around it.
  const before = doc.text.slice(Math.max(0, c.start - 600), c.start);
  if (XML_VIEWER_RE.test(before) || XML_VIEWER_RE.test(block)) return true;
  // Once the document's own parts (ids included), the viewer's banner and the address are taken
  // away, nothing may remain.
  return block.replace(XML_ERROR_PART_RE, '') === '';
}

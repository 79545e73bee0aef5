/**
 * AWS SDK errors as `ProvisionError`s: AWS's own code kept, whether retrying can help decided once
 * here, and hints where the usual cause is the broker's setup (its trust, credentials, or the
 * admin role IAM needs).
 */
import { ProvisionError } from '../../provision/types';
import type { AwsTargetConfig } from './config';

const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'ServiceFailure',
  'IDPCommunicationError',
]);

interface SdkError {
  name?: string;
  /** AWS's own error code (Query protocols); `name` is the SDK's class name (`NoSuchEntityException`). */
  Code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * What to change when AssumeRole is denied: the trust policy must allow the broker `sts:AssumeRole`,
 * and also `sts:TagSession` (the broker tags each session) and `sts:SetSourceIdentity` (it sets
 * the requester as the session's source identity) (docs/clouds/aws.md). AWS's message names the
 * action it refused.
 */
export function trustAdvice(roleArn: string, message: string): string {
  const action = /not authorized to perform: (sts:\w+)/.exec(message)?.[1];
  const principal = /^User: (\S+) is not authorized/.exec(message)?.[1] ?? 'the broker';
  const why: Record<string, string> = {
    'sts:TagSession': 'pass session tags (each session is tagged with its request)',
    'sts:SetSourceIdentity': 'set the source identity (the requester, which audit and revocation key on)',
  };
  if (action && why[action]) {
    return `the trust policy of ${roleArn} lets ${principal} assume it but not ${why[action]}: add "${action}" to the Action of the statement that trusts the broker (AWS: ${message})`;
  }
  return `the broker may not assume ${roleArn}: check its trust policy; it must allow ${principal} "sts:AssumeRole", "sts:TagSession" and "sts:SetSourceIdentity" (AWS: ${message})`;
}

export const codeOf = (e: unknown): string | undefined => {
  const err = (e ?? {}) as SdkError;
  return err.Code ?? err.name;
};

/**
 * An SDK error as a ProvisionError carrying AWS's code. AWS's own messages name principals and
 * resources, never credentials, so they are passed on; `what` says which call failed.
 */
export function toProvisionError(e: unknown, what: string, roleArn?: string): ProvisionError {
  if (e instanceof ProvisionError) return e;
  const err = (e ?? {}) as SdkError;
  const code = codeOf(e) ?? 'Error';
  const message = err.message ?? String(e);
  const status = err.$metadata?.httpStatusCode;
  if (status === undefined) {
    return new ProvisionError(`${what}: AWS did not answer (${message})`, true, null);
  }
  if (code === 'AccessDenied' && roleArn && what.startsWith('AssumeRole')) {
    return new ProvisionError(trustAdvice(roleArn, message), false, code);
  }
  if (code === 'PackedPolicyTooLarge') {
    const percent = /consumes (\d+)%/.exec(message)?.[1];
    return new ProvisionError(
      `${what}: AWS packs the session policy, the baseline policy ARNs and the session tags into a limited space, and this grant needs ${
        percent ? `${percent}%` : 'more than 100%'
      } of it: request fewer actions at a time, or attach fewer baseline policies (targets[].aws.baselinePolicyArns) (AWS: ${message})`,
      false,
      code,
    );
  }
  if (
    ['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException'].includes(code)
  ) {
    return new ProvisionError(
      `${what}: AWS refused the broker's credentials (clouds.aws.credentials): ${message}`,
      false,
      code,
    );
  }
  const retryable = RETRYABLE_CODES.has(code) || status >= 500 || status === 429 || err.$fault === 'server';
  return new ProvisionError(`${what} failed: ${code}: ${message}`, retryable, code);
}

/** IAM edits only work with credentials of the role's own account: say how to get them. */
export function withIamHint(e: ProvisionError, t: AwsTargetConfig): ProvisionError {
  // Without an admin role the broker's own credentials are used, and IAM looks the role up in
  // the broker's account: AccessDenied, or NoSuchEntity when no such role exists there.
  if ((e.code !== 'AccessDenied' && e.code !== 'NoSuchEntity') || t.adminRoleArn) return e;
  return new ProvisionError(
    `${e.message}. IAM only edits roles of the caller's own account: set targets[].aws.adminRoleArn to a role in ${t.roleArn.split(':')[4]} the broker may assume`,
    false,
    e.code,
  );
}

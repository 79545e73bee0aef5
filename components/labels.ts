import type { Cloud, DenyKind } from '@/lib/contract/denial';

export const CLOUD_NAME: Record<Cloud, string> = { aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud' };

/** What the cloud calls the account a request targets. */
export const ACCOUNT_NOUN: Record<Cloud, string> = { aws: 'Account', azure: 'Subscription', gcp: 'Project' };

/** Why the cloud said no, in plain words. */
export const DENY_KIND_TEXT: Record<DenyKind, string> = {
  implicit: 'No policy allows this action (a missing permission).',
  'explicit-scp':
    'Blocked by an organization guardrail (service or resource control policy, or VPC endpoint policy).',
  'explicit-boundary': 'Blocked by the permissions boundary on your identity.',
  'explicit-identity': 'Explicitly denied by a policy attached to your identity.',
  'session-policy': 'Your current session is scoped down by a session policy.',
  'resource-policy': "The resource's own policy does not let you in.",
  'azure-rbac': 'No role assignment grants this action at this scope.',
  'azure-policy': 'Blocked by Azure Policy, a deny assignment or a lock.',
  'gcp-iam': 'No IAM role grants this permission (or a deny policy blocks it).',
  'gcp-scope': 'Blocked by OAuth scopes, VPC Service Controls or an organization policy.',
  unknown: 'The message does not say why.',
};

/** Who can lift a block that a grant cannot fix. */
export const BLOCK_OWNER: Record<DenyKind, string> = {
  implicit: 'Your cloud administrators.',
  'explicit-scp': "Your organization's cloud platform or security team (AWS Organizations policies).",
  'explicit-boundary':
    "Whoever manages your identity's permissions boundary, usually the cloud platform team.",
  'explicit-identity': 'The administrators of your IAM user or role.',
  'session-policy': 'Whoever issued your current session.',
  'resource-policy': 'The owner of the resource (its resource-based or key policy).',
  'azure-rbac': 'Your Azure administrators.',
  'azure-policy': 'Your Azure governance team (policy exemptions, deny assignments, locks).',
  'gcp-iam': 'Your Google Cloud administrators.',
  'gcp-scope':
    'Your Google Cloud organization administrators (organization policy, VPC Service Controls), or whoever set the service account scopes.',
  unknown: 'Your cloud administrators.',
};

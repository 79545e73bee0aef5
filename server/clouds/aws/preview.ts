/**
 * What approving would put in place, for the approver: the role, the session policy, the
 * baseline policies that come with it, and the session-length caveats. Pure: no AWS call.
 */
import type { Grant } from '../../domain';
import type { GrantPreview } from '../../provision/types';
import { target, type AwsContext } from './context';
import { sessionPolicy } from './policies';

/** `Provisioner.preview`. */
export function previewGrant(
  ctx: AwsContext,
  targetRef: Grant['target'],
  actions: readonly string[],
  resource: string | null,
): Promise<GrantPreview> {
  const t = target(ctx, targetRef.account);
  // With the baseline ARNs: the approver sees a grant too large for AWS before approving it.
  const policy = sessionPolicy('Preview', actions, resource, t.baselinePolicyArns);
  const notes: string[] = [];
  const cap = ctx.chained ? Math.min(3600, t.maxSessionSeconds) : t.maxSessionSeconds;
  notes.push(
    ctx.chained
      ? `The broker runs on temporary credentials (role chaining): each AWS session and console sign-in lasts 1 hour; a longer grant signs in again with a fresh session, and one that outlives a shorter grant is denied at the grant's end.`
      : `Each AWS session lasts at most ${cap / 3600} h (the role's MaxSessionDuration); a longer grant signs in again with a fresh session.`,
  );
  notes.push(
    'AWS sessions last at least 15 minutes; one issued near the end of the grant is denied when the grant ends.',
  );
  if (t.baselinePolicyArns.length === 0) {
    notes.push(
      'No baseline policies: in this session the user can do only the actions above, not their usual ones.',
    );
  }
  const on = resource ?? 'all resources (*)';
  return Promise.resolve({
    summary: `Assume ${t.roleArn} as the user, with a session policy allowing ${actions.join(', ')} on ${on}${
      t.baselinePolicyArns.length > 0 ? ` plus ${t.baselinePolicyArns.join(', ')}` : ''
    }`,
    sessionPolicy: JSON.parse(policy) as unknown,
    alsoGrants: t.baselinePolicyArns,
    notes,
  });
}

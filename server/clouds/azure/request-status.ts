/**
 * Every status a PIM role assignment schedule request can report (api-version 2020-10-01, the
 * `status` enum of `RoleAssignmentScheduleRequestProperties`: 22 values), and what each one means
 * for a request the broker made (docs/cloud-mechanics.md §2.3, "Request statuses"). Azure
 * documents the names only; the classes below are read from the names and PIM's flow (evaluate,
 * approve if the policy says so, provision), and an unknown status fails loudly rather than being
 * polled for ever.
 *
 * - `in-progress`: Azure is still working (`azure`) or waits for a PIM approver (`approver`); the
 *   broker polls for a bounded time.
 * - `done`: the assignment (or, for a removal, the removal) is in place.
 * - `revoked`: the assignment was taken away; for a removal that is the goal, for a grant a failure.
 * - `failed`: it will not happen; the reason names the status and what to do.
 */

export type RequestStatusClass = 'in-progress' | 'done' | 'revoked' | 'failed';

export interface RequestStatusMeaning {
  readonly class: RequestStatusClass;
  /** Who an in-progress request waits for. */
  readonly waitsFor?: 'azure' | 'approver';
  /** What the status says, in words for the operator. */
  readonly reason: string;
}

/** The 22 statuses of the 2020-10-01 API, in the spec's order. */
export const REQUEST_STATUSES: Readonly<Record<string, RequestStatusMeaning>> = {
  Accepted: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'Azure received the request and has not evaluated it yet',
  },
  PendingEvaluation: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: "Azure is checking the request against the role's PIM policy",
  },
  Granted: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'the request passed the policy (and any approval); the assignment is not provisioned yet',
  },
  Denied: { class: 'failed', reason: "the request was denied (by the role's PIM policy or an approver)" },
  PendingProvisioning: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'Azure is creating the role assignment',
  },
  Provisioned: { class: 'done', reason: 'the role assignment is in place' },
  // In progress for a removal, which waits for `Revoked`; a grant polling it ends up revoked.
  PendingRevocation: { class: 'in-progress', waitsFor: 'azure', reason: 'Azure is removing the assignment' },
  Revoked: { class: 'revoked', reason: 'the assignment was removed' },
  Canceled: { class: 'failed', reason: 'the request was cancelled in PIM before it took effect' },
  Failed: { class: 'failed', reason: 'Azure could not carry out the request' },
  PendingApprovalProvisioning: {
    class: 'in-progress',
    waitsFor: 'approver',
    reason: 'Azure is setting up a PIM approval for the request',
  },
  PendingApproval: {
    class: 'in-progress',
    waitsFor: 'approver',
    reason: 'the request waits for a PIM approver',
  },
  FailedAsResourceIsLocked: {
    class: 'failed',
    reason:
      'a resource lock on the scope (or above it) stops role assignments there: remove or relax the lock',
  },
  PendingAdminDecision: {
    class: 'in-progress',
    waitsFor: 'approver',
    reason: 'the request waits for an administrator to decide',
  },
  AdminApproved: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'an administrator approved it; Azure is provisioning it',
  },
  AdminDenied: { class: 'failed', reason: 'an administrator denied the request in PIM' },
  TimedOut: { class: 'failed', reason: 'nobody decided on the request in PIM before it expired' },
  ProvisioningStarted: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'Azure has started creating the role assignment',
  },
  Invalid: { class: 'failed', reason: 'Azure found the request invalid' },
  PendingScheduleCreation: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'Azure is creating the assignment schedule',
  },
  ScheduleCreated: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'the assignment schedule exists; its assignment is not provisioned yet',
  },
  PendingExternalProvisioning: {
    class: 'in-progress',
    waitsFor: 'azure',
    reason: 'another system is provisioning the assignment for Azure',
  },
};

/** The meaning of `status`; a status outside the 2020-10-01 list fails, naming it. */
export function requestStatus(status: string): RequestStatusMeaning {
  if (Object.hasOwn(REQUEST_STATUSES, status)) return REQUEST_STATUSES[status]!;
  return {
    class: 'failed',
    reason: `the status '${status}' is not one the broker knows (api-version 2020-10-01 lists 22)`,
  };
}

/**
 * The Azure fake's public shapes: its options, the role assignments it holds (from PIM or plain
 * role assignments), Activity Log input, injected failures, the request log, and the state
 * handle tests and the simulated consoles read.
 */
import type { FakeClock } from '../clock';
import type { FakeRoleDefinition } from './catalogue';

export interface AzureFakePrincipal {
  readonly objectId: string;
  /** The user principal name; the Activity Log's `caller` for the user's operations. */
  readonly upn: string;
}

/**
 * One role's PIM settings (its role management policy), named as the portal names them
 * (docs/cloud-mechanics.md §2.3). The Assignment tab's settings govern `Admin*` requests; the
 * Activation tab's govern `Self*` activations only, which the fake refuses anyway, so they are
 * stated in the policy it serves and never applied to the broker's requests.
 */
export interface AzureFakePimPolicy {
  /** "Allow permanent active assignment" (`Expiration_Admin_Assignment.isExpirationRequired` false). Default false. */
  readonly allowPermanentActiveAssignment?: boolean;
  /** "Expire active assignments after", ISO 8601 (`Expiration_Admin_Assignment.maximumDuration`). Default P180D. */
  readonly expireActiveAssignmentsAfter?: string;
  /** "Require Azure Multi-Factor Authentication on active assignment": no service principal can satisfy it. */
  readonly requireMfaOnActiveAssignment?: boolean;
  /** "Require justification on active assignment". Default true. */
  readonly requireJustificationOnActiveAssignment?: boolean;
  /** Activation tab (`*_EndUser_Assignment` rules): "Activation maximum duration", default PT8H. */
  readonly activationMaximumDuration?: string;
  readonly requireMfaOnActivation?: boolean;
  readonly requireJustificationOnActivation?: boolean;
  readonly requireTicketOnActivation?: boolean;
  readonly requireApprovalToActivate?: boolean;
}

export interface AzureFakeOptions {
  readonly clock: FakeClock;
  readonly tenantId: string;
  readonly subscriptions: readonly string[];
  readonly principals: readonly AzureFakePrincipal[];
  readonly brokerClientId: string;
  readonly brokerClientSecret: string;
  /** The broker's service principal object id (in tokens and `AuthorizationFailed` messages). */
  readonly brokerObjectId?: string;
  /** Every role's PIM settings. */
  readonly pimPolicy?: AzureFakePimPolicy;
  /** Settings for particular roles (by role definition GUID), over `pimPolicy`. */
  readonly pimPolicyByRole?: Readonly<Record<string, AzureFakePimPolicy>>;
  /** Token lifetime (Entra: about an hour). */
  readonly tokenLifetimeSeconds?: number;
  /** Items per page of `roleDefinitions` (small, so paging is exercised) and of the Activity Log. */
  readonly pageSize?: { readonly roleDefinitions?: number; readonly activity?: number };
}

/** One role assignment, from PIM (`pim`) or a plain `roleAssignments` PUT (`assignment`). */
export interface FakeAssignment {
  readonly kind: 'pim' | 'assignment';
  /** The PIM schedule request or role assignment name that created it. */
  readonly name: string;
  readonly principalId: string;
  readonly roleDefinitionName: string;
  readonly roleName: string;
  readonly scope: string;
  readonly startsAt: Date;
  /** Null for plain role assignments (they never expire). */
  endsAt: Date | null;
  /** When it became active: Azure refuses to remove it within 5 minutes of this. */
  readonly activatedAt: Date;
  /** An ABAC condition the request carried (`condition`, `conditionVersion`), kept as given. */
  readonly condition?: string | null;
  readonly conditionVersion?: string | null;
  removedAt: Date | null;
}

export interface FakeActivity {
  readonly objectId: string;
  readonly subscriptionId: string;
  readonly action: string;
  readonly resourceId: string;
  readonly status?: 'Succeeded' | 'Failed';
  /** Defaults to the fake clock's now. */
  readonly at?: Date;
}

export interface FakeFailure {
  readonly status: number;
  readonly code: string;
  /** Default for `AuthorizationFailed`: Azure's sentence naming the route's action and scope. */
  readonly message?: string;
  readonly retryAfterSeconds?: number;
  /** Only requests whose `METHOD path` contains this (case-insensitive) fail; default all ARM calls. */
  readonly match?: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON (ARM), the form fields (token endpoint), or the raw text if it did not parse. */
  body: unknown;
  readonly at: Date;
  status: number;
}

export interface AzureFakeState {
  /**
   * Whether `objectId` may perform `action` (a control- or data-plane operation) on `resourceId`
   * (default: the subscription itself) at `now` (default: the fake clock): some active assignment
   * at a scope containing the resource carries a role whose `actions` (or, for data operations,
   * `dataActions`) match and whose `notActions` do not.
   */
  allows(
    objectId: string,
    subscriptionId: string,
    action: string,
    resourceId?: string | null,
    now?: Date,
  ): boolean;
  /** Every assignment the principal ever had (active, expired or removed), oldest first. */
  assignmentsFor(objectId: string): readonly FakeAssignment[];
  /** Whether an assignment is in force at `now` (default: the fake clock). */
  isActive(assignment: FakeAssignment, now?: Date): boolean;
  /** Log an operation in the Activity Log (reads are not logged, as in Azure). */
  recordActivity(activity: FakeActivity): void;
  /** The next `count` ARM calls (matching `failure.match`) answer with this error. */
  failNext(count: number, failure: FakeFailure): void;
  /**
   * The next PIM schedule request (`PUT`) answers with `statuses[0]` and moves on to the next
   * status at each read (`GET`); the assignment exists once it reaches `Provisioned`. Without a
   * script Azure's usual path is taken: `Provisioned` (or `Revoked` for a removal) at once.
   */
  scriptNextRequest(statuses: readonly string[]): void;
  /** Every call, token requests included, in order. */
  readonly requests: readonly LoggedRequest[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
  readonly roles: readonly FakeRoleDefinition[];
}

export interface AzureFake {
  readonly endpoints: { readonly login: string; readonly arm: string };
  readonly state: AzureFakeState;
  close(): Promise<void>;
}

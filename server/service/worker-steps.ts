/**
 * What the worker does with one grant it has claimed (server/service/worker.ts): the next step by
 * the domain's rule (server/domain/work.ts), each status change saved with compare-and-set and its
 * audit row, every cloud write under the grant's lease (issue 12):
 * - the lease is renewed before each step, and a step whose lease was lost stops;
 * - a status change is saved only while the lease is held, in the same transaction that checks it;
 * - what a provisioner call returned is saved only while the lease is held and the grant is still
 *   provisioning, active or being revoked (server/store/provider-refs.ts); a call whose lease was
 *   lost saves nothing (the newer holder's ref stands) and, when nothing live owns the grant's
 *   access any more, removes what it just wrote;
 * - re-applying a moved expiry (`reapply`) is such a step, not a call on the side.
 * No transaction is held open across a cloud call.
 */
import {
  errorText,
  grantWork,
  markDue,
  provisionFailed,
  provisioned,
  revokeFailed,
  revoked,
  startProvisioning,
  startRevoking,
  type Grant,
  type GrantStatus,
  type Result,
  type RetryPolicy,
} from '../domain';
import {
  attemptErrorOf,
  type CloudIdentities,
  type GrantContext,
  type Provisioner,
  type ProviderRef,
} from '../provision/types';
import { storedOrConflict, withCompareAndSet } from '../store/compare-and-set';
import type { Db } from '../store/db';
import { getGrant, saveGrant } from '../store/grants';
import {
  getProvisioningState,
  holdsGrantLease,
  renewGrantLease,
  saveProviderRef,
  type LeasedWrite,
} from '../store/provider-refs';
import { getRequest } from '../store/requests';
import { recordEvents, type TransitionHook } from './transition';

export interface StepDeps {
  readonly db: Db;
  readonly provisionerFor: (grant: Grant) => Provisioner;
  readonly identities: (user: string) => Promise<CloudIdentities>;
  readonly workerId: string;
  readonly now: () => Date;
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
  readonly onTransition?: TransitionHook | undefined;
  readonly audienceGroups?: ((grant: Grant) => readonly string[]) | undefined;
  readonly log: (line: string) => void;
}

/** Statuses in which some worker will (re)put the grant's access in place: a stray write stays. */
const WILL_HOLD_ACCESS: readonly GrantStatus[] = ['approved', 'provisioning', 'provision-failed', 'active'];

/** An error for the log: one line, credentials redacted like the grant's own copy. */
export const message = (e: unknown) => errorText(e instanceof Error ? e.message : String(e));

const leaseOf = (ctx: StepDeps): LeasedWrite => ({ owner: ctx.workerId, at: ctx.now() });

/**
 * Applies `step` to the grant as stored now and saves it, while this worker holds the grant's
 * lease; null when the grant is gone, the lease was lost or the save kept racing.
 */
function commitGrant(
  ctx: StepDeps,
  grantId: string,
  step: (g: Grant) => Result<Grant> | null,
): Promise<Grant | null> {
  return withCompareAndSet(
    ctx.db,
    async (tx) => {
      if (!(await holdsGrantLease(tx, grantId, leaseOf(ctx)))) return null;
      const g = await getGrant(tx, grantId);
      if (!g) return null;
      const next = step(g);
      if (!next?.ok) return g;
      storedOrConflict(await saveGrant(tx, next.value, g.version));
      // The request is needed only for webhook messages; the audience comes from config.
      const request = ctx.onTransition || !ctx.audienceGroups ? await getRequest(tx, g.requestId) : null;
      const groups = ctx.audienceGroups
        ? [...ctx.audienceGroups(next.value)]
        : [...(request?.policy.approverGroups ?? [])];
      await recordEvents(
        tx,
        ctx.onTransition,
        { events: next.events, audience: { users: [next.value.user], groups } },
        { request, grant: next.value },
      );
      return next.value;
    },
    { onExhausted: () => null },
  );
}

/** The justification and ticket of the request behind the grant (clouds record them with it). */
async function grantContext(ctx: StepDeps, grant: Grant): Promise<GrantContext> {
  const request = await getRequest(ctx.db, grant.requestId);
  return { justification: request?.justification ?? '', ticket: request?.ticket ?? null };
}

/**
 * Puts the grant in place in the cloud and saves what was made under the lease. `lost` when the
 * lease was taken over meanwhile: nothing is saved, and if the grant is by now being taken away
 * (or gone), what this call wrote is removed again (a revoke may already have run before it).
 */
async function putInPlace(
  ctx: StepDeps,
  grant: Grant,
  provisioner: Provisioner,
  identities: CloudIdentities,
): Promise<'saved' | 'lost'> {
  const ref = await provisioner.grant(grant, identities, await grantContext(ctx, grant));
  if (await saveProviderRef(ctx.db, grant.id, ref, grant.expiresAt, leaseOf(ctx))) return 'saved';
  await removeStrayWrite(ctx, grant, ref, provisioner, identities);
  return 'lost';
}

async function removeStrayWrite(
  ctx: StepDeps,
  written: Grant,
  ref: ProviderRef,
  provisioner: Provisioner,
  identities: CloudIdentities,
): Promise<void> {
  const current = await getGrant(ctx.db, written.id);
  ctx.log(`grant ${written.id}: lease lost during the cloud call; what it wrote is not recorded`);
  if (current && WILL_HOLD_ACCESS.includes(current.status)) return;
  try {
    await provisioner.revoke(current ?? written, ref, identities);
    ctx.log(`grant ${written.id}: removed the access written after the grant was taken away`);
  } catch (e) {
    // The reconciler finds and removes it (server/reconcile/).
    ctx.log(`grant ${written.id}: could not remove the stray access: ${message(e)}`);
  }
}

/** What `work` asks of the scheduler for the grant when it is done with it. */
export type WorkOutcome =
  /** Release the lease: the grant needs nothing now, or the next step is another pass's. */
  | { readonly kind: 'release' }
  /** Keep the lease until `until` (a failed `reapply` backs off this way: the claim skips it). */
  | { readonly kind: 'hold'; readonly until: Date };

const RELEASE: WorkOutcome = { kind: 'release' };

/** Drives one claimed grant until it needs nothing more now (at most a few steps). */
export async function work(ctx: StepDeps, grantId: string): Promise<WorkOutcome> {
  const { db, now } = ctx;
  for (let step = 0; step < 6; step++) {
    if (!(await renewGrantLease(db, grantId, leaseOf(ctx), ctx.leaseMs))) {
      ctx.log(`grant ${grantId}: lease lost; another worker has it`);
      return RELEASE;
    }
    const [grant, state] = await Promise.all([getGrant(db, grantId), getProvisioningState(db, grantId)]);
    if (!grant || !state) return RELEASE;
    const todo = grantWork(grant, now(), state.applied);
    if (todo === null) return RELEASE;
    const outcome = await doStep(ctx, grant, todo, state.ref);
    if (outcome !== 'next') return outcome;
  }
  return RELEASE;
}

async function doStep(
  ctx: StepDeps,
  grant: Grant,
  todo: NonNullable<ReturnType<typeof grantWork>>,
  ref: ProviderRef | null,
): Promise<WorkOutcome | 'next'> {
  const { now, retry, log } = ctx;
  const grantId = grant.id;
  const commit = (step: (g: Grant) => Result<Grant> | null) => commitGrant(ctx, grantId, step);
  const provisioner = ctx.provisionerFor(grant);
  switch (todo) {
    case 'expire':
      await commit((g) => (grantWork(g, now()) === 'expire' ? markDue(g, now()) : null));
      return 'next';
    case 'provision':
      if (!(await commit((g) => startProvisioning(g, now())))?.status.startsWith('provisioning'))
        return RELEASE;
    // falls through: call the cloud
    case 'resume-provisioning': {
      const identities = await ctx.identities(grant.user);
      try {
        if ((await putInPlace(ctx, grant, provisioner, identities)) === 'lost') return RELEASE;
        await commit((g) => (g.status === 'provisioning' ? provisioned(g, now()) : null));
      } catch (e) {
        const reported = attemptErrorOf(e);
        log(`grant ${grantId}: provisioning failed${reported.permanent ? ' for good' : ''}: ${message(e)}`);
        const after = await commit((g) =>
          g.status === 'provisioning' ? provisionFailed(g, reported, now(), retry) : null,
        );
        // Given up (permanent, or the last attempt): clean up now, in this pass, so the grant
        // reaches `failed` at once. Otherwise the retry waits for its time.
        if (after?.status !== 'revoking') return RELEASE;
      }
      return 'next';
    }
    case 'reapply':
      try {
        const identities = await ctx.identities(grant.user);
        if ((await putInPlace(ctx, grant, provisioner, identities)) === 'lost') return RELEASE;
      } catch (e) {
        // The grant keeps its access until its old expiry; try again after a back-off (the
        // held lease keeps the claim off it meanwhile).
        log(`grant ${grantId}: could not push the new expiry to the cloud: ${message(e)}`);
        return { kind: 'hold', until: new Date(now().getTime() + retry.baseMs) };
      }
      return 'next';
    case 'revoke':
      if ((await commit((g) => startRevoking(g, now())))?.status !== 'revoking') return RELEASE;
    // falls through: call the cloud
    case 'resume-revoking': {
      const identities = await ctx.identities(grant.user);
      try {
        // The ref as stored at the start of this step: a write of this worker a step ago is in it.
        await provisioner.revoke(grant, ref, identities);
        await commit((g) => (g.status === 'revoking' ? revoked(g, now()) : null));
      } catch (e) {
        log(`grant ${grantId}: revocation failed: ${message(e)}`);
        await commit((g) => (g.status === 'revoking' ? revokeFailed(g, message(e), now(), retry) : null));
        return RELEASE;
      }
      return 'next';
    }
  }
}

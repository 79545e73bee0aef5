/**
 * The reconciler's decision, as a pure comparison (issue 12): what a cloud holds that Unblock made
 * against what the broker's grants own. No I/O here; run.ts lists, decides with this and acts.
 *
 * - An **orphan** is access whose every claimant grant (by Unblock's marker) has ended — `revoked`,
 *   `ended` or `failed` more than `graceMs` ago — or is unknown to this broker: nothing live owns
 *   it, so it is removed. A grant still provisioning, active or being revoked is never an orphan's
 *   owner-to-be-ignored: the worker is at it (or will be), and removing under it would race it.
 * - **Missing** access is an active grant's that the listing does not show: the grant holds a
 *   provider ref that owns access, no worker holds its lease, and it was applied more than
 *   `graceMs` before the listing began (so a write that landed while the cloud was being listed
 *   is not taken for missing). The worker re-applies it under its lease.
 */
import type { GrantStatus } from '../domain';
import type { HeldAccess } from '../provision/types';
import type { GrantFacts } from '../store/reconcile';

export type { GrantFacts } from '../store/reconcile';

const ENDED: readonly GrantStatus[] = ['revoked', 'ended', 'failed'];

export interface ReconcilePlan {
  readonly orphans: readonly HeldAccess[];
  /** Active grants whose access the cloud does not hold. */
  readonly missing: readonly GrantFacts[];
}

export interface PlanInput {
  /** What the cloud held on one target, listed from `listedAt` on. */
  readonly held: readonly HeldAccess[];
  readonly listedAt: Date;
  /** Every grant a held item names (absent: unknown to this broker). */
  readonly claimants: ReadonlyMap<string, GrantFacts>;
  /** The target's active grants. */
  readonly active: readonly GrantFacts[];
  readonly now: Date;
  readonly graceMs: number;
}

export function planReconcile(input: PlanInput): ReconcilePlan {
  const { held, claimants, now, graceMs } = input;
  const settled = (at: Date | null, before: Date) =>
    at !== null && at.getTime() <= before.getTime() - graceMs;
  const ownerless = (grantId: string) => {
    const g = claimants.get(grantId);
    return g === undefined || (ENDED.includes(g.status) && settled(g.endedAt, now));
  };
  const orphans = held.filter((h) => h.grantIds.length > 0 && h.grantIds.every(ownerless));
  const shown = new Set(held.flatMap((h) => h.grantIds));
  const missing = input.active.filter(
    (g) =>
      g.status === 'active' &&
      g.ownsAccess &&
      !g.leased &&
      settled(g.appliedAt, input.listedAt) &&
      !shown.has(g.id),
  );
  return { orphans, missing };
}

/**
 * The simulated consoles see a grant only some time after it became active in the cloud fake, as
 * the real ones do: Azure's ARM caches a caller's role assignments (up to 10 minutes), GCP's IAM is
 * eventually consistent (typically 2 minutes, sometimes over 7) (docs/cloud-mechanics.md §2.5,
 * §3.5, §4.4). How long is the demo's `clouds.propagation` (sim/clouds/demo.ts), per cloud; AWS
 * has none (a landing is a new console session, which carries the grant).
 *
 * The watch asks the fakes, every `POLL_MS`, whether each grantable call of the consoles
 * (`SIM_API`) is now allowed, and remembers since when (on the clouds' clock, so a test that moves
 * cloud time forward moves propagation with it; a frozen clock never propagates). A call is then
 * allowed on the console once it has been allowed in the cloud for the propagation time. Only the
 * granting side lags: a grant that ends or is revoked is gone from the console at once.
 */
import type { DemoClouds } from '../clouds/demo.ts';
import { AZURE, GCP, SIM_API, type SimDenial } from './messages.ts';

/** How often the fakes are asked (the error on "since when" is at most this). */
export const POLL_MS = 100;

/** A console call a grant can make succeed. */
export interface GrantableCall {
  entry: SimDenial;
  action: string;
}

/** Whether the cloud fake allows the call now (signed-in user: alice). Logs nothing. */
export function cloudAllows({ entry, action }: GrantableCall, clouds: DemoClouds): boolean {
  const { account } = entry;
  switch (entry.cloud) {
    case 'azure':
      return clouds.azure.state.allows(
        AZURE.objectId,
        account,
        action,
        entry.resource ?? `/subscriptions/${account}`,
      );
    case 'gcp':
      return clouds.gcp.state.allows(`user:${GCP.principal}`, account, action, undefined, entry.resource);
    case 'aws':
      return false; // per console session: aws-identity.ts
  }
}

export interface GrantVisibility {
  /**
   * Whether the console shows the call allowed: the cloud allows it (`allowedNow`, asked by the
   * caller) and has for the cloud's propagation time.
   */
  shows(name: string, entry: SimDenial, allowedNow: boolean): boolean;
  stop(): void;
}

export function watchGrants(clouds: DemoClouds, pollMs = POLL_MS): GrantVisibility {
  /** Call name → since when (clouds' clock, ms) the cloud allows it. */
  const since = new Map<string, number>();
  const now = () => clouds.clock.now().getTime();
  const note = (name: string, allowed: boolean) => {
    if (!allowed) since.delete(name);
    else if (!since.has(name)) since.set(name, now());
  };
  const poll = () => {
    for (const [name, entry] of Object.entries(SIM_API)) {
      if (entry.cloud === 'aws' || entry.action === null || entry.content === null) continue;
      note(name, cloudAllows({ entry, action: entry.action }, clouds));
    }
  };
  poll();
  const timer = setInterval(poll, pollMs);
  timer.unref();
  return {
    shows(name, entry, allowedNow) {
      note(name, allowedNow);
      if (!allowedNow || entry.cloud === 'aws') return allowedNow;
      const delay = clouds.propagation[entry.cloud];
      return delay <= 0 || now() - since.get(name)! >= delay;
    },
    stop: () => clearInterval(timer),
  };
}

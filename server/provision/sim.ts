/**
 * The provisioner for targets on the simulated clouds (`provisioner: sim` in config): it writes
 * the grant into the sim cloud's entitlements over HTTP (sim/clouds/entitlements.ts), exactly as
 * a real provisioner would call a cloud API, errors included.
 */
import type { LandingView } from '../../lib/contract/api';
import type { Grant } from '../domain';
import {
  ProvisionError,
  type CloudIdentities,
  type HeldAccess,
  type ProviderRef,
  type Provisioner,
} from './types';

/** One entitlement as the simulated cloud lists it (sim/clouds/entitlements.ts). */
interface Entitlement {
  readonly grantId: string;
  readonly cloud: Grant['target']['cloud'];
  readonly account: string;
  readonly identity: string;
  readonly actions: readonly string[];
  readonly expiresAt: string;
}

const TIMEOUT_MS = 10_000;

export function createSimProvisioner(baseUrl: string, fetchImpl: typeof fetch = fetch): Provisioner {
  const endpoint = (grant: Grant) =>
    `${baseUrl.replace(/\/$/, '')}/sim/v1/entitlements/${encodeURIComponent(grant.id)}`;

  async function call(method: 'PUT' | 'DELETE', grant: Grant, body?: unknown): Promise<void> {
    let res: Response;
    try {
      res = await fetchImpl(endpoint(grant), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ProvisionError(`the simulated cloud did not answer (${(e as Error).message})`, true);
    }
    if (res.ok) return;
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new ProvisionError(
      `the simulated cloud answered ${res.status}: ${text}`,
      res.status >= 500 || res.status === 429,
    );
  }

  return {
    name: 'sim',
    async grant(grant: Grant, identities: CloudIdentities): Promise<ProviderRef> {
      const identity = identities[grant.target.cloud];
      if (!identity) {
        throw new ProvisionError(
          `${grant.user} has no ${grant.target.cloud} identity in the broker's config (users[].identities.${grant.target.cloud})`,
          false,
        );
      }
      await call('PUT', grant, {
        grantId: grant.id,
        cloud: grant.target.cloud,
        account: grant.target.account,
        identity,
        actions: grant.actions,
        resource: grant.resource,
        expiresAt: grant.expiresAt.toISOString(),
      });
      return { kind: 'sim', entitlement: grant.id, identity };
    },
    async revoke(grant: Grant): Promise<void> {
      await call('DELETE', grant);
    },
    async inventory(target): Promise<HeldAccess[]> {
      let res: Response;
      try {
        res = await fetchImpl(`${baseUrl.replace(/\/$/, '')}/sim/v1/entitlements`, {
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (e) {
        throw new ProvisionError(`the simulated cloud did not answer (${(e as Error).message})`, true);
      }
      if (!res.ok) throw new ProvisionError(`the simulated cloud answered ${res.status}`, res.status >= 500);
      const { items } = (await res.json()) as { items: Entitlement[] };
      return items
        .filter((e) => e.cloud === target.cloud && e.account === target.account)
        .map((e) => ({
          key: `sim:${e.grantId}`,
          target: { cloud: e.cloud, account: e.account },
          grantIds: [e.grantId],
          description: `${e.actions.join(', ')} to ${e.identity} until ${e.expiresAt}`,
          detail: { kind: 'sim', entitlement: e.grantId },
        }));
    },
    async removeHeld(held: HeldAccess): Promise<void> {
      const id = String(held.detail.entitlement);
      const res = await fetchImpl(
        `${baseUrl.replace(/\/$/, '')}/sim/v1/entitlements/${encodeURIComponent(id)}`,
        { method: 'DELETE', signal: AbortSignal.timeout(TIMEOUT_MS) },
      ).catch((e: unknown) => {
        throw new ProvisionError(`the simulated cloud did not answer (${(e as Error).message})`, true);
      });
      if (!res.ok) throw new ProvisionError(`the simulated cloud answered ${res.status}`, res.status >= 500);
    },
    landing(_grant: Grant, _ref, _identities, destination: string | null): Promise<LandingView> {
      // The simulated clouds apply a grant at once: reload the denied page.
      return Promise.resolve({
        kind: 'reload',
        url: destination,
        expectedMs: 0,
        maxMs: 0,
        message: 'Access granted; reloading the page',
        advice: '',
      });
    },
  };
}

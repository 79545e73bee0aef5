/**
 * What the leased-provisioning tests share (not a test file itself): a provisioner wrapper that
 * pauses one `grant` call mid-call until the test opens its gate, and request bodies for the
 * demo's GCP dev project and AWS sandbox (reads there are granted at once).
 */
import type { CreateRequestBody } from '../../lib/contract/api';
import type { Provisioner, ProviderRef } from '../../server/provision/types';
import { body } from './broker-fixtures';

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface GatedProvisioner {
  readonly provisioner: Provisioner;
  /** Resolves when the paused call has started (before it reaches the cloud). */
  readonly entered: Promise<void>;
  /** Let the paused call go on to the cloud. */
  open(): void;
  /** Resolves once the paused call has returned (or thrown). */
  readonly passed: Promise<void>;
  /** Resolves after the first `revoke` that returned. */
  readonly revoked: Promise<void>;
}

/**
 * `inner` with its `pauseAt`-th `grant` call (1-based) held before it reaches the cloud (or, with
 * `after`, once the cloud answered but before the worker sees it), and every
 * ref it returns tagged `{ by: tag }` (to tell two workers' writes apart).
 */
export function gated(
  inner: Provisioner,
  pauseAt: number,
  tag = 'worker',
  /** Pause after the cloud call returned instead of before it (the access is then in place). */
  after = false,
): GatedProvisioner {
  let calls = 0;
  const gate = deferred();
  const entered = deferred();
  const passed = deferred();
  const revoked = deferred();
  const provisioner: Provisioner = {
    ...inner,
    async grant(grant, identities, context): Promise<ProviderRef> {
      calls += 1;
      if (calls !== pauseAt) return { ...(await inner.grant(grant, identities, context)), by: tag };
      const early = after ? await inner.grant(grant, identities, context) : null;
      entered.resolve();
      await gate.promise;
      try {
        return { ...(early ?? (await inner.grant(grant, identities, context))), by: tag };
      } finally {
        passed.resolve();
      }
    },
    async revoke(grant, ref, identities) {
      await inner.revoke(grant, ref, identities);
      revoked.resolve();
    },
  };
  return {
    provisioner,
    entered: entered.promise,
    open: () => gate.resolve(),
    passed: passed.promise,
    revoked: revoked.promise,
  };
}

/** A read on the demo's GCP dev project: granted at once. */
export function gcpReadBody(): CreateRequestBody {
  return body({
    target: { cloud: 'gcp', account: 'acme-dev' },
    actions: ['compute.instances.get'],
    denial: {
      excerpt:
        "Required 'compute.instances.get' permission for 'projects/acme-dev/zones/europe-west1-b/instances/vm-1'",
      denyKind: 'implicit',
      encodedMessage: null,
    },
    pageUrl: 'https://console.cloud.google.com/compute/instances?project=acme-dev',
  });
}

/** Resolves with `value` after `ms`, or earlier when `promise` settles. */
export function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([promise.then(() => undefined), new Promise<void>((r) => setTimeout(r, ms))]);
}

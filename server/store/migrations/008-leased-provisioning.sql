-- 008: provisioning writes under the worker's lease, and the reconciler (issue 12).
--
-- applied_expires_at: the expiry the last provisioner call that returned put in the cloud (saved
-- with provider_ref, only by the worker holding the grant's lease: server/store/provider-refs.ts).
-- An active grant with a provider_ref whose applied expiry is older than expires_at (a merge or an
-- extension moved it) or null (the reconciler found its access missing) is due for `reapply`:
-- the worker claims it like any other work (server/store/sweeper.ts).
-- applied_at: when that call returned (the reconciler leaves grants applied within its grace alone).
ALTER TABLE grants ADD COLUMN applied_expires_at timestamptz;
ALTER TABLE grants ADD COLUMN applied_at timestamptz;
UPDATE grants SET applied_expires_at = expires_at, applied_at = updated_at WHERE provider_ref IS NOT NULL;
CREATE INDEX grants_reapply_due ON grants (expires_at)
  WHERE status = 'active' AND provider_ref IS NOT NULL
    AND (applied_expires_at IS NULL OR applied_expires_at < expires_at);

-- Work one replica at a time does (the reconciler): who holds it, until when
-- (server/store/singleton-lease.ts).
CREATE TABLE singleton_leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  lease_until timestamptz NOT NULL
);

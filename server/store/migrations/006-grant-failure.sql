-- 005: why the broker gave up provisioning a grant (server/domain/types.ts, `GrantFailure`).
--
-- failure: {cause, reason, advice, code, attempts, at} once provisioning failed for good (a
-- permanent error, the attempts ran out, or the grant's time ran out while retrying); null
-- otherwise. The grant is then cleaned up through 'revoking' (revoke_reason 'failed') and ends
-- with status 'failed'. Texts are sanitised by the domain before they are stored.
ALTER TABLE grants ADD COLUMN failure jsonb;

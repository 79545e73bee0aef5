-- 005: API tokens that can be listed and revoked, and signed checkpoints of the audit chain.
-- Only SQL that PGlite (Postgres 18) and PostgreSQL 15 both understand.

-- A token's public name, for listings and `DELETE /api/v1/tokens/{id}`: never derived from the
-- secret or its hash. Existing rows get one each (a volatile default is evaluated per row).
ALTER TABLE tokens ADD COLUMN id text NOT NULL DEFAULT gen_random_uuid()::text;
ALTER TABLE tokens ADD CONSTRAINT tokens_id_unique UNIQUE (id);
-- When the token was last accepted, to the minute: written at most once a minute per token.
ALTER TABLE tokens ADD COLUMN last_used_at timestamptz;
-- Null: an API token that never expires, which only `auth.apiTokens.allowNoExpiry` permits.
ALTER TABLE tokens ALTER COLUMN expires_at DROP NOT NULL;
CREATE INDEX tokens_api_by_user ON tokens (user_id, created_at) WHERE sign_in = 'api';

-- Signed checkpoints of the audit chain (server/audit/): the head's seq and hash, signed with an
-- Ed25519 key the database never holds. A copy is also appended to a file outside the database;
-- `unblock-server audit verify` checks the chain against both. One row per key and sequence
-- number (replicas sharing a key may sign the same head).
CREATE TABLE audit_checkpoints (
  key_id text NOT NULL,
  seq bigint NOT NULL,
  hash text NOT NULL,
  at timestamptz NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (key_id, seq)
);

-- The public keys checkpoints were signed with, published for auditors. Informational only:
-- whoever can write here can add a key, so verification trusts the key file (or keys the
-- auditor names), never this table.
CREATE TABLE audit_signing_keys (
  key_id text PRIMARY KEY,
  public_key text NOT NULL,
  first_used_at timestamptz NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;

CREATE TRIGGER audit_checkpoints_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_signing_keys_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_signing_keys
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_signing_keys_no_truncate
  BEFORE TRUNCATE ON audit_signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- 004: what the webhook outbox (server/webhooks/) needs to deliver a queued message exactly as it
-- was rendered when the event happened, without keeping any secret in the database.
--
-- body: the exact bytes to POST, rendered at enqueue time (text, not jsonb: jsonb would reorder
-- keys and refuse some strings, and the receiver's HMAC is over the bytes sent). It replaces
-- 001's `payload`, which nothing ever wrote.
-- webhook: the configured webhook's name; the worker looks up its URL and HMAC secret in the
-- current config by this name at send time (a rotated secret or URL applies to queued messages,
-- and no secret is stored here).
-- kind: 'slack' or 'json', the format `body` was rendered in (a webhook whose kind changed since
-- is not sent a body in the other format).
-- event_id: the event's uuid, the same for every webhook the event went to (receivers dedupe on it).
-- The defaults only fill rows that might predate this migration; the broker always sets them.
ALTER TABLE webhook_deliveries DROP COLUMN payload;
ALTER TABLE webhook_deliveries ADD COLUMN body text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN webhook text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN kind text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN event_type text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN event_id text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN request_id text;
ALTER TABLE webhook_deliveries ADD COLUMN grant_id text;
ALTER TABLE webhook_deliveries ALTER COLUMN body DROP DEFAULT;
ALTER TABLE webhook_deliveries ALTER COLUMN webhook DROP DEFAULT;
ALTER TABLE webhook_deliveries ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE webhook_deliveries ALTER COLUMN event_type DROP DEFAULT;
ALTER TABLE webhook_deliveries ALTER COLUMN event_id DROP DEFAULT;

-- Operators: "what did webhook X fail to deliver", newest first.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook, created_at);

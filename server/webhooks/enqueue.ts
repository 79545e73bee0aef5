/**
 * The outbox half of webhooks: queue deliveries in the same transaction as the state change they
 * report. A decision therefore never waits for (or fails because of) a webhook endpoint, and a
 * crash cannot lose a message for a change that committed, nor send one for a change that rolled
 * back. The worker (worker.ts) delivers the rows later.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../config/schema';
import type { DomainEvent } from '../domain/result';
import type { Tx } from '../store/db';
import { insertWebhookDelivery } from '../store/webhook-outbox';
import type { WebhookContext } from './render';
import { renderBody } from './render';

/** Whether `hook` wants events of this type (no `events` list: every type). */
export function wants(hook: WebhookConfig, event: DomainEvent): boolean {
  return hook.events === undefined || hook.events.includes(event.type);
}

/**
 * Insert one delivery per (webhook × event it wants), fully rendered, on the caller's transaction:
 * call it next to `recordTransition(tx, …)` with the same events. No network I/O. The first
 * attempt is due at the event's time. Returns the number of deliveries queued.
 */
export async function enqueueWebhooks(
  tx: Tx,
  hooks: readonly WebhookConfig[],
  events: readonly DomainEvent[],
  context: WebhookContext,
): Promise<number> {
  let queued = 0;
  for (const [i, event] of events.entries()) {
    // One id per event, shared by every webhook it goes to: receivers dedupe on it.
    const eventId = randomUUID();
    for (const hook of hooks) {
      if (!wants(hook, event)) continue;
      await insertWebhookDelivery(tx, {
        webhook: hook.name,
        kind: hook.kind,
        url: hook.url,
        eventType: event.type,
        eventId,
        requestId: event.requestId,
        grantId: event.grantId,
        body: renderBody(hook.kind, event, context, eventId, context.audit?.[i]),
        firstAttemptAt: event.at,
      });
      queued++;
    }
  }
  return queued;
}

/**
 * What the broker does with each committed state change for webhooks: queue the deliveries in the
 * same transaction (enqueue.ts), with the request's facts as the people reading the message need
 * them (names instead of ids where the config has them).
 */
import type { BrokerConfig } from '../config/schema';
import type { TargetIndex } from '../config/targets';
import type { TransitionHook } from '../service/transition';
import { readLatestAuditHeads } from '../store/audit-checkpoints';
import { enqueueWebhooks } from './enqueue';

/** The hook for `config.webhooks`; undefined when none are configured. */
export function webhookTransitionHook(
  config: BrokerConfig,
  targets: TargetIndex<BrokerConfig['targets'][number]>,
  publicUrl: string,
): TransitionHook | undefined {
  if (config.webhooks.length === 0) return undefined;
  return async (tx, events, { request }) => {
    // The hook runs after the transition's audit rows, in its transaction, which holds the audit
    // lock: the chain's last rows are this transition's, one per event. JSON webhooks carry them,
    // so each receiver keeps a copy of the audit head (docs/operations.md).
    const audit = await readLatestAuditHeads(tx, events.length);
    await enqueueWebhooks(tx, config.webhooks, events, {
      publicUrl,
      audit,
      brokerName: config.name,
      requests: request
        ? [
            {
              id: request.id,
              requester: request.requester,
              requesterDisplayName:
                config.users.find((u) => u.name === request.requester)?.displayName ?? null,
              target: { ...request.target, name: targets.nameOf(request.target) },
              actions: request.actions,
              resource: request.resource,
              durationMinutes: request.durationMinutes,
              justification: request.justification,
              ticket: request.ticket,
              decision: request.policy.decision,
              requiredApprovals: request.policy.requiredApprovals,
              advice: request.policy.advice,
            },
          ]
        : [],
    });
  };
}

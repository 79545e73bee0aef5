/**
 * What the broker does with each committed state change for webhooks: queue the deliveries in the
 * same transaction (enqueue.ts), with the request's facts as the people reading the message need
 * them (names instead of ids where the config has them).
 */
import type { BrokerConfig } from '../config/schema';
import type { TargetIndex } from '../config/targets';
import type { TransitionHook } from '../service/transition';
import { enqueueWebhooks } from './enqueue';

/** The hook for `config.webhooks`; undefined when none are configured. */
export function webhookTransitionHook(
  config: BrokerConfig,
  targets: TargetIndex<BrokerConfig['targets'][number]>,
  publicUrl: string,
): TransitionHook | undefined {
  if (config.webhooks.length === 0) return undefined;
  return async (tx, events, { request }) => {
    await enqueueWebhooks(tx, config.webhooks, events, {
      publicUrl,
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

/**
 * Webhook message rendering: a domain event plus the human context around it, in to a Slack
 * incoming-webhook message or the generic JSON body. Pure (no clock, no I/O), so the enqueuer can
 * render inside the decision's transaction and tests need no database.
 *
 * Everything a requester typed (justification, resource, ticket, comments, even action names,
 * which the parser takes from page text) is escaped for Slack's mrkdwn before it is placed in a
 * message: Slack reads `<!channel>`, `<@U123>` and `<http://x|label>` as mentions and links, so
 * unescaped `<`/`>` would let a requester ping a whole channel or disguise a link.
 */
import type { Cloud } from '../../lib/contract/denial';
import type { EventType, PolicyOutcome } from '../../lib/contract/status';
import type { DomainEvent } from '../domain/result';
import { clip, code, escapeMrkdwn, formatDuration, names, num, plural, str } from './render-text';

/** One request as a message shows it. The broker service fills it from the stored request and config. */
export interface WebhookRequestContext {
  readonly id: string;
  readonly requester: string;
  /** The requester's display name from config, shown next to the user name when set. */
  readonly requesterDisplayName?: string | null;
  readonly target: {
    readonly cloud: Cloud;
    /** AWS account id, Azure subscription id or GCP project id. */
    readonly account: string;
    /** The target's configured name ("production"). */
    readonly name: string;
    readonly environment: string;
  };
  readonly actions: readonly string[];
  readonly resource: string | null;
  readonly durationMinutes: number;
  readonly justification: string;
  readonly ticket: string | null;
  /** The policy decision at submission and the approvals it asks for. */
  readonly decision: PolicyOutcome;
  readonly requiredApprovals: number;
  /** The matching policies' advice, shown to approvers. */
  readonly advice: readonly string[];
}

/** What messages need beyond the event itself. */
export interface WebhookContext {
  /** The broker's public base URL (`https://unblock.example.com`); message links start with it. */
  readonly publicUrl: string;
  /** The broker's configured name, shown in Slack's context line. */
  readonly brokerName?: string;
  /**
   * The requests the events are about. Each event is shown with the one whose id is its
   * `requestId`; an event without a matching entry is rendered from its own fields only.
   */
  readonly requests?: readonly WebhookRequestContext[];
  /** The audit row each event was recorded as, in the order of the events (JSON webhooks carry it). */
  readonly audit?: readonly { readonly seq: number; readonly hash: string }[];
}

// Re-exported: callers and tests import them with the renderers.
export { escapeMrkdwn, formatDuration };

function requestFor(event: DomainEvent, context: WebhookContext): WebhookRequestContext | null {
  return context.requests?.find((r) => r.id === event.requestId) ?? null;
}

function link(publicUrl: string, path: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${path}`;
}

/** The page an event is about: its grant when it has one, else its request, else the broker. */
export function eventUrl(event: DomainEvent, publicUrl: string): string {
  if (event.grantId) return link(publicUrl, `/grants/${encodeURIComponent(event.grantId)}`);
  if (event.requestId) return link(publicUrl, `/requests/${encodeURIComponent(event.requestId)}`);
  return link(publicUrl, '/');
}

// ---------------------------------------------------------------------------------------------
// Slack

/** The subset of Slack's Block Kit the messages use. */
export type SlackTextObject = { readonly type: 'mrkdwn'; readonly text: string };
export type SlackBlock =
  | { readonly type: 'section'; readonly text: SlackTextObject }
  | { readonly type: 'section'; readonly fields: readonly SlackTextObject[] }
  | { readonly type: 'context'; readonly elements: readonly SlackTextObject[] };

/** An incoming-webhook message: `text` is the notification and fallback, `blocks` the layout. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** "alice (Alice Liddell)", escaped. */
function who(r: WebhookRequestContext): string {
  const name = escapeMrkdwn(r.requester);
  return r.requesterDisplayName ? `${name} (${escapeMrkdwn(clip(r.requesterDisplayName, 128))})` : name;
}

/** "`ec2:StopInstances` on production (222222222222)". */
function what(r: WebhookRequestContext): string {
  const shown = r.actions.slice(0, 5).map(code).join(', ');
  const more = r.actions.length > 5 ? ` and ${r.actions.length - 5} more` : '';
  return `${shown}${more} on ${escapeMrkdwn(r.target.name)} (${escapeMrkdwn(r.target.account)})`;
}

function actorName(actor: string): string {
  return actor === 'policy' ? 'policy' : escapeMrkdwn(actor);
}

/** "until 2026-06-01 13:00 UTC" from an ISO timestamp in the details, or '' when absent. */
function until(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return ` until ${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The one-line summary: Slack's notification text and the message's first section. */
export function slackHeadline(event: DomainEvent, context: WebhookContext): string {
  const r = requestFor(event, context);
  const d = event.details;
  const actor = actorName(event.actor);
  // Without the request's context, name the record by id so the line still says what happened.
  const subject = r
    ? `${who(r)}'s request for ${what(r)}`
    : event.grantId
      ? `grant ${code(event.grantId)}`
      : `request ${code(event.requestId ?? '?')}`;
  const access = r ? `${who(r)}'s access to ${what(r)}` : subject;
  const type: EventType = event.type;
  switch (type) {
    case 'request.submitted': {
      if (!r) return `New access request ${code(event.requestId ?? '?')} from ${actor}`;
      const verdict =
        r.decision === 'auto-approve'
          ? 'approved by policy'
          : r.decision === 'deny'
            ? 'denied by policy'
            : `needs ${plural(Math.max(1, r.requiredApprovals), 'approval')}`;
      return `${who(r)} requests ${what(r)} for ${formatDuration(r.durationMinutes)} — ${verdict}`;
    }
    case 'request.approval-recorded': {
      const count = num(d, 'approvals');
      const of = num(d, 'requiredApprovals');
      const progress = count !== null && of !== null ? ` — ${count} of ${plural(of, 'approval')}` : '';
      return `${actor} approved ${subject}${progress}`;
    }
    case 'request.approved':
      return `${subject} was approved by ${actor}`;
    case 'request.denied':
      return `${subject} was denied by ${actor}`;
    case 'request.cancelled':
      return `${subject} was cancelled by ${actor}`;
    case 'request.expired':
      return `${subject} expired without a decision`;
    case 'request.reminder':
      return `Reminder: ${subject} has waited ${formatDuration(num(d, 'waitedMinutes') ?? 0)} for ${names(d, 'approverGroups') || 'an approver'}`;
    case 'request.escalated':
      return `Escalated to ${names(d, 'escalatedTo')} after ${formatDuration(num(d, 'waitedMinutes') ?? 0)}: ${subject} still waits for a decision`;
    case 'grant.issued':
      return `Access granted: ${access}${until(str(d, 'expiresAt'))}`;
    case 'grant.merged':
      return `${subject} was merged into an existing grant${until(str(d, 'expiresAt'))}`;
    case 'grant.provisioning':
      return `Provisioning ${access}`;
    case 'grant.provision-failed': {
      const attempt = `attempt ${num(d, 'attempt') ?? '?'}${num(d, 'maxAttempts') ? ` of ${num(d, 'maxAttempts')}` : ''}`;
      return d.final === true
        ? `Provisioning ${access} failed (${attempt}); giving up`
        : `Provisioning ${access} failed (${attempt}); retrying`;
    }
    case 'grant.active':
      return `Access is active: ${access}${until(str(d, 'expiresAt'))}`;
    case 'grant.extended':
      return `${access} was extended by ${actor}${until(str(d, 'to'))}`;
    case 'grant.revoking':
      return `Revoking ${access}`;
    case 'grant.revoke-failed':
      return `Revoking ${access} failed (attempt ${num(d, 'attempt') ?? '?'}); retrying`;
    case 'grant.revoked':
      return `${access} was revoked by ${actor}`;
    case 'grant.ended':
      return `${access} ended`;
    case 'grant.failed':
      return `${access} could not be granted`;
  }
}

function field(label: string, value: string): SlackTextObject {
  return { type: 'mrkdwn', text: `*${label}*\n${value}` };
}

/** The Slack message for one event. Text from requesters is escaped; see the file comment. */
export function renderSlack(event: DomainEvent, context: WebhookContext): SlackMessage {
  const headline = slackHeadline(event, context);
  const r = requestFor(event, context);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: headline } }];
  if (r) {
    const fields: SlackTextObject[] = [
      field('Requester', who(r)),
      field(
        'Target',
        `${escapeMrkdwn(r.target.name)} · ${r.target.cloud} ${escapeMrkdwn(r.target.account)} · ${escapeMrkdwn(r.target.environment)}`,
      ),
      field('Actions', r.actions.map(code).join(', ') || '—'),
      field('Duration', formatDuration(r.durationMinutes)),
    ];
    if (r.resource) fields.push(field('Resource', code(r.resource)));
    if (r.ticket) fields.push(field('Ticket', escapeMrkdwn(clip(r.ticket, 200))));
    blocks.push({ type: 'section', fields });
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Justification*\n${escapeMrkdwn(clip(r.justification))}` },
    });
    if (r.advice.length > 0 && event.type === 'request.submitted') {
      const advice = r.advice.map((a) => `• ${escapeMrkdwn(clip(a, 300))}`).join('\n');
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: `*Policy advice*\n${clip(advice, 2000)}` },
      });
    }
  }
  const comment = str(event.details, 'comment');
  if (comment) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Comment*\n${escapeMrkdwn(clip(comment))}` },
    });
  }
  // A failed grant's reason is its error (on grant.revoking `reason` is the kind of revocation).
  const error =
    str(event.details, 'error') ?? (event.type === 'grant.failed' ? str(event.details, 'reason') : null);
  if (error) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Error*\n${escapeMrkdwn(clip(error, 500))}` },
    });
  }
  const advice = event.type === 'grant.failed' ? str(event.details, 'advice') : null;
  if (advice) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*What an operator can do*\n${escapeMrkdwn(clip(advice, 500))}` },
    });
  }
  // The link target is built by the broker (ids percent-encoded), but `|` and `>` would still end
  // Slack's <url|label> early, so they are percent-encoded too.
  const url = eventUrl(event, context.publicUrl)
    .replace(/\|/g, '%7C')
    .replace(/>/g, '%3E')
    .replace(/</g, '%3C');
  const broker = context.brokerName ? `${escapeMrkdwn(clip(context.brokerName, 128))} · ` : '';
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${broker}<${url}|Open in Unblock> · ${event.type} · ${event.at.toISOString()}`,
      },
    ],
  });
  return { text: headline, blocks };
}

// ---------------------------------------------------------------------------------------------
// JSON

/**
 * The generic JSON webhook body. Field names are part of the webhook contract: add fields, never
 * rename or remove them.
 *
 * - `id`: the event's uuid, the same in every retry and for every webhook it goes to (dedupe on
 *   it; the `X-Unblock-Delivery` header names the individual delivery).
 * - `type`: one of EVENT_TYPES (`request.submitted`, `grant.revoked`, …).
 * - `at`: when it happened, ISO 8601 UTC.
 * - `actor`: the user who acted, or `policy` / `system`.
 * - `requestId`, `grantId`: the records it is about (either may be null).
 * - `details`: the event's own fields, as the audit log records them.
 * - `url`: the broker page for the record.
 * - `request` (present when the broker knew the request): `{id, requester, requesterDisplayName,
 *   target: {cloud, account, name, environment}, actions, resource, durationMinutes,
 *   justification, ticket, decision, requiredApprovals, advice}`.
 */
export interface JsonWebhookBody {
  readonly id: string;
  readonly type: EventType;
  readonly at: string;
  readonly actor: string;
  readonly requestId: string | null;
  readonly grantId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly url: string;
  /** The audit row the event was recorded as: the chain's head then. */
  readonly audit?: { readonly seq: number; readonly hash: string };
  readonly request?: {
    readonly id: string;
    readonly requester: string;
    readonly requesterDisplayName: string | null;
    readonly target: WebhookRequestContext['target'];
    readonly actions: readonly string[];
    readonly resource: string | null;
    readonly durationMinutes: number;
    readonly justification: string;
    readonly ticket: string | null;
    readonly decision: PolicyOutcome;
    readonly requiredApprovals: number;
    readonly advice: readonly string[];
  };
}

export function renderJson(
  event: DomainEvent,
  context: WebhookContext,
  id: string,
  audit?: { readonly seq: number; readonly hash: string },
): JsonWebhookBody {
  const r = requestFor(event, context);
  return {
    id,
    type: event.type,
    at: event.at.toISOString(),
    actor: event.actor,
    requestId: event.requestId,
    grantId: event.grantId,
    details: event.details,
    url: eventUrl(event, context.publicUrl),
    ...(audit ? { audit: { seq: audit.seq, hash: audit.hash } } : {}),
    ...(r
      ? {
          request: {
            id: r.id,
            requester: r.requester,
            requesterDisplayName: r.requesterDisplayName ?? null,
            target: {
              cloud: r.target.cloud,
              account: r.target.account,
              name: r.target.name,
              environment: r.target.environment,
            },
            actions: [...r.actions],
            resource: r.resource,
            durationMinutes: r.durationMinutes,
            justification: r.justification,
            ticket: r.ticket,
            decision: r.decision,
            requiredApprovals: r.requiredApprovals,
            advice: [...r.advice],
          },
        }
      : {}),
  };
}

/** The exact bytes a webhook of `kind` is sent for `event` (what the outbox stores). */
export function renderBody(
  kind: 'slack' | 'json',
  event: DomainEvent,
  context: WebhookContext,
  id: string,
  audit?: { readonly seq: number; readonly hash: string },
): string {
  return JSON.stringify(
    kind === 'slack' ? renderSlack(event, context) : renderJson(event, context, id, audit),
  );
}

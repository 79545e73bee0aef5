/**
 * Webhooks: Slack-compatible messages and HMAC-signed JSON, queued in the decision's own
 * transaction (enqueue.ts) and delivered with retries by a leased worker (worker.ts). See README.md.
 */
export { enqueueWebhooks, wants } from './enqueue';
export type {
  JsonWebhookBody,
  SlackBlock,
  SlackMessage,
  WebhookContext,
  WebhookRequestContext,
} from './render';
export { escapeMrkdwn, renderBody, renderJson, renderSlack, slackHeadline } from './render';
export { DEFAULT_TOLERANCE_SEC, resolveSecret, signBody, verifySignature } from './sign';
export type { WebhookRunResult, WebhookWorker, WebhookWorkerOptions } from './worker';
export { parseRetryAfter } from './attempt';
export { createWebhookWorker } from './worker';

/**
 * What was done under a grant, from CloudTrail: LookupEvents by the session name (CloudTrail's
 * `Username` for role sessions), confirmed against the assumed-role ARN, over the grant's window.
 * LookupEvents allows 2 requests per second per account and region: calls are spaced and
 * throttling is retried here, since one activity read is many pages.
 */
import {
  LookupEventsCommand,
  type Event as TrailEvent,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import type { Grant } from '../../domain';
import type { ActivityEntry, ProviderRef } from '../../provision/types';
import { readersFor } from './clients';
import { roleNameOf, target, type AwsContext } from './context';
import { toProvisionError } from './errors';
import { sessionNameFor } from './policies';

/** CloudTrail LookupEvents: 2 requests per second per account and region. */
const TRAIL_SPACING_MS = 500;
const TRAIL_MAX_PAGES = 20;
const TRAIL_RETRIES = 4;

async function lookupPage(ctx: AwsContext, account: string, input: LookupEventsCommandInput) {
  const { trail } = readersFor(ctx, account);
  for (let attempt = 0; ; attempt++) {
    // Space calls to stay under LookupEvents' 2 requests per second.
    const wait = ctx.trailPacing.nextCallAt - ctx.now().getTime();
    if (wait > 0) await ctx.sleep(wait);
    ctx.trailPacing.nextCallAt = ctx.now().getTime() + TRAIL_SPACING_MS;
    try {
      return await trail.send(new LookupEventsCommand(input));
    } catch (e) {
      const err = toProvisionError(e, 'CloudTrail LookupEvents');
      if (!err.retryable || attempt >= TRAIL_RETRIES) throw err;
      await ctx.sleep(1000 * 2 ** attempt);
    }
  }
}

function entryOf(e: TrailEvent, sessionName: string, roleName: string): ActivityEntry | null {
  let detail: { userIdentity?: { arn?: string }; errorCode?: string } = {};
  try {
    detail = JSON.parse(e.CloudTrailEvent ?? '{}') as typeof detail;
  } catch {
    // Keep the event: the lookup attribute already matched the session name.
  }
  // `Username` is the session name for role sessions (undocumented): confirm it is this role's.
  const arn = detail.userIdentity?.arn;
  if (arn && !arn.endsWith(`:assumed-role/${roleName}/${sessionName}`)) return null;
  const service = (e.EventSource ?? '').replace(/\.amazonaws\.com$/, '');
  return {
    at: (e.EventTime ?? new Date(0)).toISOString(),
    action: service ? `${service}:${e.EventName ?? ''}` : (e.EventName ?? ''),
    resource: e.Resources?.[0]?.ResourceName ?? null,
    outcome: detail.errorCode ?? 'success',
  };
}

/** `Provisioner.activity`: the grant's sessions' events, oldest first. */
export async function sessionActivity(
  ctx: AwsContext,
  grant: Grant,
  ref: ProviderRef | null,
): Promise<readonly ActivityEntry[]> {
  const t = target(ctx, grant.target.account);
  const sessionName =
    typeof ref?.sessionName === 'string' ? ref.sessionName : sessionNameFor(grant.requestId);
  const end = Math.min(
    ctx.now().getTime(),
    Math.max(grant.expiresAt.getTime(), Date.parse(String(ref?.sessionExpiresAt)) || 0),
  );
  const entries: ActivityEntry[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < TRAIL_MAX_PAGES; page++) {
    const out = await lookupPage(ctx, grant.target.account, {
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: sessionName }],
      StartTime: grant.startsAt,
      EndTime: new Date(Math.max(end, grant.startsAt.getTime())),
      MaxResults: 50,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
    for (const e of out.Events ?? []) {
      const entry = entryOf(e, sessionName, roleNameOf(t.roleArn));
      if (entry) entries.push(entry);
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  if (nextToken) ctx.log(`aws: activity of grant ${grant.id} truncated after ${TRAIL_MAX_PAGES} pages`);
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

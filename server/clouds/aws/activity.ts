/**
 * What was done under a grant, from CloudTrail: LookupEvents by the session name (CloudTrail's
 * `Username` for role sessions), confirmed against the assumed-role ARN, over the grant's window,
 * in every region the grant could act in (regions.ts): LookupEvents searches one region, and IAM
 * and sign-in events are logged in the partition's global-events region. The regions' events are
 * merged, de-duplicated by event id and sorted (docs/cloud-mechanics.md §1.6).
 *
 * LookupEvents allows 2 requests per second per account and region: calls to one region are
 * spaced 500 ms apart (other regions do not wait for it), and throttling is retried here, since
 * one activity read is many pages.
 */
import {
  LookupEventsCommand,
  type Event as TrailEvent,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import type { Grant } from '../../domain';
import type { ActivityEntry, ProviderRef } from '../../provision/types';
import { trailFor } from './clients';
import { roleNameOf, target, type AwsContext } from './context';
import { toProvisionError } from './errors';
import { sessionNameFor } from './policies';
import { activityRegions } from './regions';

/** CloudTrail LookupEvents: 2 requests per second per account and region. */
const TRAIL_SPACING_MS = 500;
const TRAIL_MAX_PAGES = 20;
const TRAIL_RETRIES = 4;

async function lookupPage(ctx: AwsContext, account: string, region: string, input: LookupEventsCommandInput) {
  const trail = trailFor(ctx, account, region);
  const key = `${account}/${region}`;
  for (let attempt = 0; ; attempt++) {
    // Space this region's calls to stay under its 2 requests per second.
    const wait = (ctx.trailPacing.get(key) ?? 0) - ctx.now().getTime();
    if (wait > 0) await ctx.sleep(wait);
    ctx.trailPacing.set(key, ctx.now().getTime() + TRAIL_SPACING_MS);
    try {
      return await trail.send(new LookupEventsCommand(input));
    } catch (e) {
      const err = toProvisionError(e, `CloudTrail LookupEvents in ${region}`);
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

/** One region's events of the session, page after page (at most TRAIL_MAX_PAGES). */
async function regionEvents(
  ctx: AwsContext,
  grant: Grant,
  region: string,
  input: LookupEventsCommandInput,
): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < TRAIL_MAX_PAGES; page++) {
    const out = await lookupPage(ctx, grant.target.account, region, {
      ...input,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
    events.push(...(out.Events ?? []));
    nextToken = out.NextToken;
    if (!nextToken) return events;
  }
  ctx.log(`aws: activity of grant ${grant.id} in ${region} truncated after ${TRAIL_MAX_PAGES} pages`);
  return events;
}

/** `Provisioner.activity`: the grant's sessions' events in every region it could act in, oldest first. */
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
  const input: LookupEventsCommandInput = {
    LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: sessionName }],
    StartTime: grant.startsAt,
    EndTime: new Date(Math.max(end, grant.startsAt.getTime())),
    MaxResults: 50,
  };
  const seen = new Set<string>();
  const entries: ActivityEntry[] = [];
  for (const region of activityRegions(ctx.cloud.region, t, grant.resource)) {
    for (const e of await regionEvents(ctx, grant, region, input)) {
      // The same event can be found in more than one region's history: count it once.
      if (e.EventId && seen.has(e.EventId)) continue;
      if (e.EventId) seen.add(e.EventId);
      const entry = entryOf(e, sessionName, roleNameOf(t.roleArn));
      if (entry) entries.push(entry);
    }
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

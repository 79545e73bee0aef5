/**
 * CloudTrail (JSON 1.1 protocol): LookupEvents over the events the simulated consoles record
 * with `recordCall`, with its one-attribute filter, time range, paging and rate limit. Event
 * history is per account and per region, as in AWS (docs/cloud-mechanics.md §1.6): a call sees
 * the caller's account's events of the region its signature is scoped to, and the rate limit
 * counts per account and region.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { allows, logRequest, resolveCaller, takeFault, type AwsState } from './state';
import type { AwsSession, ConsoleSession, TrailEvent } from './types';
import { AwsError, faultStatus, iso, readBody, signatureScope } from './wire';

/** LookupEvents' throttle: 2 requests per second per account and region. */
const LOOKUPS_PER_SECOND = 2;

/** Services whose events CloudTrail logs in the partition's global-events region. */
const GLOBAL_SERVICES = new Set(['iam', 'sts', 'signin', 'organizations', 'cloudfront', 'route53']);

/** Where a partition's global services log their events (us-east-1 for the commercial partition). */
export const globalEventsRegion = (region: string) =>
  region.startsWith('us-gov-') ? 'us-gov-west-1' : region.startsWith('cn-') ? 'cn-north-1' : 'us-east-1';

/** The region whose event history holds a call: the resource ARN's, the global one, or the fake's. */
function eventRegion(state: AwsState, action: string, resource: string | null): string {
  const arnRegion = resource?.startsWith('arn:') ? resource.split(':')[3] : undefined;
  if (arnRegion) return arnRegion;
  const service = action.split(':')[0] ?? '';
  return GLOBAL_SERVICES.has(service) ? globalEventsRegion(state.region) : state.region;
}

/** The lookup attributes LookupEvents filters on, and the values each event has for them. */
const ATTRIBUTES: Record<string, (e: TrailEvent) => string[]> = {
  EventId: (e) => [e.eventId],
  EventName: (e) => [e.eventName],
  ReadOnly: (e) => [String(e.readOnly)],
  Username: (e) => [e.username],
  ResourceType: (e) => e.resources.map((r) => r.type),
  ResourceName: (e) => e.resources.map((r) => r.name),
  EventSource: (e) => [e.eventSource],
  AccessKeyId: (e) => (e.accessKeyId ? [e.accessKeyId] : []),
};

const trailJson = (e: TrailEvent) => ({
  EventId: e.eventId,
  EventName: e.eventName,
  ReadOnly: String(e.readOnly),
  AccessKeyId: e.accessKeyId ?? undefined,
  EventTime: e.eventTime.getTime() / 1000,
  EventSource: e.eventSource,
  Username: e.username,
  Resources: e.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
  CloudTrailEvent: JSON.stringify({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: e.userIdentityArn,
      accessKeyId: e.accessKeyId,
      sessionContext: { sourceIdentity: e.sourceIdentity ?? undefined },
    },
    eventTime: iso(e.eventTime),
    eventSource: e.eventSource,
    eventName: e.eventName,
    awsRegion: e.region,
    errorCode: e.errorCode ?? undefined,
    requestParameters: null,
    eventID: e.eventId,
  }),
});

/** The offset a `NextToken` this fake issued stands for. */
function pageOffset(nextToken: unknown): number {
  if (nextToken === undefined) return 0;
  const m = /^page-(\d+)$/.exec(
    Buffer.from(typeof nextToken === 'string' ? nextToken : '', 'base64url').toString(),
  );
  if (!m) throw new AwsError(400, 'InvalidNextTokenException', 'Invalid NextToken.');
  return Number(m[1]);
}

interface Scope {
  readonly account: string;
  readonly region: string;
}

function lookupEvents(state: AwsState, body: Record<string, unknown>, scope: Scope): unknown {
  const attrs = Array.isArray(body.LookupAttributes) ? (body.LookupAttributes as unknown[]) : [];
  // LookupEvents filters on one attribute at most.
  if (attrs.length > 1) {
    throw new AwsError(
      400,
      'InvalidLookupAttributesException',
      'You cannot specify more than one lookup attribute.',
    );
  }
  const attr = attrs[0] as { AttributeKey?: string; AttributeValue?: string } | undefined;
  const pick = attr ? ATTRIBUTES[attr.AttributeKey ?? ''] : undefined;
  // A known key and a value of 1–2,000 characters (CloudTrail's model).
  if (attr && (!pick || !attr.AttributeValue || attr.AttributeValue.length > 2000)) {
    throw new AwsError(400, 'InvalidLookupAttributesException', 'The lookup attribute is not valid.');
  }
  const max = body.MaxResults === undefined ? 50 : Number(body.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw new AwsError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  }
  const start = typeof body.StartTime === 'number' ? body.StartTime * 1000 : -Infinity;
  const end = typeof body.EndTime === 'number' ? body.EndTime * 1000 : Infinity;
  if (start > end) throw new AwsError(400, 'InvalidTimeRangeException', 'StartTime is after EndTime.');
  const offset = pageOffset(body.NextToken);
  // Newest first, as CloudTrail returns them.
  const matching = state.events
    .filter((e) => e.account === scope.account && e.region === scope.region)
    .filter((e) => e.eventTime.getTime() >= start && e.eventTime.getTime() <= end)
    .filter((e) => !attr || pick!(e).includes(attr.AttributeValue!))
    .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime());
  const page = matching.slice(offset, offset + max);
  const next =
    offset + max < matching.length ? Buffer.from(`page-${offset + max}`).toString('base64url') : undefined;
  return { Events: page.map(trailJson), NextToken: next };
}

/** Counts a LookupEvents call against its account and region's rate (fake-clock time); throttles beyond it. */
function throttle(state: AwsState, scope: Scope): void {
  const now = state.clock.now().getTime();
  const key = `${scope.account}/${scope.region}`;
  const calls = state.trailCalls.get(key) ?? [];
  state.trailCalls.set(key, calls);
  while (calls.length > 0 && calls[0]! <= now - 1000) calls.shift();
  if (state.cloudTrailRateLimit && calls.length >= LOOKUPS_PER_SECOND)
    throw new AwsError(400, 'ThrottlingException', 'Rate exceeded');
  calls.push(now);
}

async function serveLookup(state: AwsState, req: http.IncomingMessage, target: string, action: string) {
  const text = await readBody(req);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    throw new AwsError(400, 'SerializationException', 'Body is not JSON');
  }
  let signed: { accessKeyId: string; region: string } | null = null;
  try {
    signed = signatureScope(req, 'cloudtrail');
  } finally {
    logRequest(state, 'cloudtrail', action, { ...body, region: signed?.region }, signed?.accessKeyId ?? null);
  }
  const fault = takeFault(state, 'cloudtrail', action);
  if (fault) throw new AwsError(faultStatus(fault.code), fault.code, `Injected ${fault.code}`);
  const tokenHeader = req.headers['x-amz-security-token'];
  const caller = resolveCaller(
    state,
    signed.accessKeyId,
    typeof tokenHeader === 'string' ? tokenHeader : undefined,
  );
  if (!/^(com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.LookupEvents$/.test(target)) {
    throw new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`);
  }
  // The endpoint answers for the region the request is signed for (cloudtrail.<region>.amazonaws.com).
  const scope = { account: caller.account, region: signed.region };
  throttle(state, scope);
  return lookupEvents(state, body, scope);
}

/** The CloudTrail listener: `x-amz-target` names the operation, JSON in and out. */
export function cloudTrailListener(state: AwsState): http.RequestListener {
  return (req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.split('.').pop() ?? '';
      try {
        const result = await serveLookup(state, req, target, action);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(result));
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError(500, 'InternalFailure', (e as Error).message);
        res.writeHead(err.status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': err.code,
        });
        // CloudTrail's error shapes name their text `Message` (STS and IAM: `message`).
        res.end(JSON.stringify({ __type: err.code, Message: err.message }));
      }
    })();
  };
}

/**
 * `allows`, logged to CloudTrail as the session's call (with `AccessDenied` when refused) in the
 * call's region. A console page's call carries the console's own access key id.
 */
export function recordCall(
  state: AwsState,
  target: AwsSession | ConsoleSession,
  action: string,
  resource: string | null = null,
  now: Date = state.clock.now(),
  region: string = eventRegion(state, action, resource),
): boolean {
  const allowed = allows(state, target, action, resource, now);
  const session = 'session' in target ? target.session : target;
  const [service = 'aws', name = action] = action.split(':');
  state.events.push({
    eventId: randomUUID(),
    account: session.account,
    region,
    eventName: name,
    eventSource: `${service}.amazonaws.com`,
    eventTime: now,
    username: session.sessionName,
    accessKeyId: 'session' in target ? target.accessKeyId : session.accessKeyId,
    // CloudTrail's read-only flag: Get/List/Describe calls.
    readOnly: /^(Get|List|Describe)/.test(name),
    resources: resource ? [{ type: `AWS::${service.toUpperCase()}::Resource`, name: resource }] : [],
    errorCode: allowed ? null : 'AccessDenied',
    userIdentityArn: session.arn,
    sourceIdentity: session.sourceIdentity,
  });
  return allowed;
}

/**
 * The "API calls" the console pages make (`/sim-api/<name>?delay=<ms>`): the entry's content when
 * the signed-in identity may now do its action (asked of the demo's cloud fakes, which log the
 * call in their CloudTrail / Activity Log / audit log), else its denial. Who is signed in:
 *   AWS    see aws-identity.ts;
 *   Azure  `AZURE.objectId` (the demo user alice);
 *   GCP    `user:` + `GCP.principal` (the demo user alice).
 * Without clouds every call answers its denial.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoClouds } from '../clouds/demo.ts';
import { awsIdentity, type AwsIdentity } from './aws-identity.ts';
import { AZURE, EC2_ENCODED_BLOB, GCP, SIM_API, type SimContent, type SimDenial } from './messages.ts';
import { send } from './respond.ts';

/** The longest `delay` a page may ask for (ms). */
const MAX_DELAY_MS = 10_000;

/** A call the entry describes, which a grant can make succeed. */
interface GrantableCall {
  entry: SimDenial;
  action: string;
}

function awsMayDo({ entry, action }: GrantableCall, aws: AwsIdentity, clouds: DemoClouds): boolean {
  if (!aws.session || aws.account !== entry.account) return false;
  const resource = entry.resource ?? '*';
  if (!clouds.aws.state.allows(aws.session, action, resource)) return false;
  clouds.aws.state.recordCall(aws.session, action, resource);
  return true;
}

function azureMayDo({ entry, action }: GrantableCall, clouds: DemoClouds): boolean {
  const { account } = entry;
  const resourceId = entry.resource ?? `/subscriptions/${account}`;
  if (!clouds.azure.state.allows(AZURE.objectId, account, action, resourceId)) return false;
  clouds.azure.state.recordActivity({
    objectId: AZURE.objectId,
    subscriptionId: account,
    action,
    resourceId,
    status: 'Succeeded',
  });
  return true;
}

function gcpMayDo({ entry, action }: GrantableCall, clouds: DemoClouds): boolean {
  const { account } = entry;
  const member = `user:${GCP.principal}`;
  if (!clouds.gcp.state.allows(member, account, action, undefined, entry.resource)) return false;
  const [service = 'cloudresourcemanager'] = action.split('.');
  clouds.gcp.state.addLogEntry(account, {
    principalEmail: GCP.principal,
    methodName: `v1.${action}`,
    serviceName: `${service}.googleapis.com`,
    resourceName: entry.resource ?? `projects/${account}`,
    permission: action,
    log: /\.(list|get)$/.test(action) ? 'data_access' : 'activity',
  });
  return true;
}

/**
 * Whether the request's identity may now do what the call needs; logs the call in the fake's
 * activity log when it may. Always false without clouds or for calls no grant can help.
 */
function mayDo(entry: SimDenial, aws: AwsIdentity, clouds: DemoClouds | undefined): boolean {
  if (!clouds || entry.action === null || entry.content === null) return false;
  const call: GrantableCall = { entry, action: entry.action };
  switch (entry.cloud) {
    case 'aws':
      return awsMayDo(call, aws, clouds);
    case 'azure':
      return azureMayDo(call, clouds);
    case 'gcp':
      return gcpMayDo(call, clouds);
  }
}

/**
 * The denial as this identity would get it (AWS names the caller's principal). With the cloud
 * fakes, an EC2-style encoded message is a real one: the AWS fake's STS decodes it (for the
 * broker's `POST /api/v1/decode`) into the entry's action and resource.
 */
function denialBody(entry: SimDenial, aws: AwsIdentity, clouds: DemoClouds | undefined): SimDenial['body'] {
  if (entry.cloud !== 'aws') return entry.body;
  const defaultPrincipal = `arn:aws:sts::${entry.account}:assumed-role/Developer/alice`;
  const principal = aws.session && aws.account === entry.account ? aws.principal : defaultPrincipal;
  let message = entry.body.message.split(defaultPrincipal).join(principal);
  if (clouds && entry.action && message.includes(EC2_ENCODED_BLOB)) {
    const blob = clouds.aws.state.encodeDenial({
      account: entry.account,
      principalArn: principal,
      action: entry.action,
      resource: entry.resource ?? '*',
    });
    message = message.replace(EC2_ENCODED_BLOB, blob);
  }
  return message === entry.body.message ? entry.body : { ...entry.body, message };
}

/** Answers `/sim-api/<name>` after the page's `delay`: the content when allowed, else the denial. */
export function answerSimApi(
  req: IncomingMessage,
  res: ServerResponse,
  request: { hostname: string; url: URL },
  clouds: DemoClouds | undefined,
): void {
  const { hostname, url } = request;
  const name = url.pathname.slice('/sim-api/'.length);
  const entry = Object.hasOwn(SIM_API, name) ? SIM_API[name] : undefined;
  const delay = Math.min(Math.max(Number(url.searchParams.get('delay') ?? 0) || 0, 0), MAX_DELAY_MS);
  // Drain any request body before answering.
  req.resume();
  setTimeout(() => {
    if (res.destroyed) return;
    if (!entry)
      return send(
        res,
        404,
        'application/json',
        JSON.stringify({ code: 'NotFound', title: 'Not found', message: name }),
      );
    // Decided when the answer goes out, as the cloud would (a grant may land meanwhile).
    const aws = awsIdentity(hostname, req.headers.cookie, clouds);
    if (mayDo(entry, aws, clouds)) {
      const content: SimContent = entry.content!;
      return send(res, 200, 'application/json', JSON.stringify(content));
    }
    send(res, entry.status, 'application/json', JSON.stringify(denialBody(entry, aws, clouds)));
  }, delay);
}

/**
 * The "API calls" the console pages make (`/sim-api/<name>?delay=<ms>`): the entry's content when
 * the signed-in identity may now do its action (asked of the demo's cloud fakes, which log the
 * call in their CloudTrail / Activity Log / audit log; an Azure or GCP grant only once it has
 * propagated to the console, propagation.ts), else its denial. Who is signed in:
 *   AWS    see aws-identity.ts;
 *   Azure  `AZURE.objectId` (the demo user alice);
 *   GCP    `user:` + `GCP.principal` (the demo user alice).
 * Without clouds every call answers its denial.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoClouds } from '../clouds/demo.ts';
import { awsIdentity, type AwsIdentity } from './aws-identity.ts';
import { AZURE, EC2_ENCODED_BLOB, GCP, SIM_API, type SimContent, type SimDenial } from './messages.ts';
import { cloudAllows, type GrantableCall, type GrantVisibility } from './propagation.ts';
import { send } from './respond.ts';

/** The longest `delay` a page may ask for (ms). */
const MAX_DELAY_MS = 10_000;

function awsMayDo({ entry, action }: GrantableCall, aws: AwsIdentity, clouds: DemoClouds): boolean {
  if (!aws.session || aws.account !== entry.account) return false;
  const resource = entry.resource ?? '*';
  if (!clouds.aws.state.allows(aws.session, action, resource)) return false;
  clouds.aws.state.recordCall(aws.session, action, resource);
  return true;
}

/** Logs an allowed call in the fake's Activity Log (Azure) or audit log (GCP). */
function recordCall({ entry, action }: GrantableCall, clouds: DemoClouds): void {
  const { account } = entry;
  if (entry.cloud === 'azure') {
    clouds.azure.state.recordActivity({
      objectId: AZURE.objectId,
      subscriptionId: account,
      action,
      resourceId: entry.resource ?? `/subscriptions/${account}`,
      status: 'Succeeded',
    });
  } else if (entry.cloud === 'gcp') {
    const [service = 'cloudresourcemanager'] = action.split('.');
    clouds.gcp.state.addLogEntry(account, {
      principalEmail: GCP.principal,
      methodName: `v1.${action}`,
      serviceName: `${service}.googleapis.com`,
      resourceName: entry.resource ?? `projects/${account}`,
      permission: action,
      log: /\.(list|get)$/.test(action) ? 'data_access' : 'activity',
    });
  }
}

/** The demo's cloud fakes and the consoles' lagging view of their grants (propagation.ts). */
export interface ConsoleClouds {
  clouds: DemoClouds;
  visibility: GrantVisibility;
}

/**
 * Whether the request's identity may now do what the call needs; logs the call in the fake's
 * activity log when it may. Azure and GCP grants count once they have propagated to the console.
 * Always false without clouds or for calls no grant can help.
 */
function mayDo(
  name: string,
  entry: SimDenial,
  aws: AwsIdentity,
  consoleClouds: ConsoleClouds | undefined,
): boolean {
  if (!consoleClouds || entry.action === null || entry.content === null) return false;
  const call: GrantableCall = { entry, action: entry.action };
  const { clouds, visibility } = consoleClouds;
  if (entry.cloud === 'aws') return awsMayDo(call, aws, clouds);
  if (!visibility.shows(name, entry, cloudAllows(call, clouds))) return false;
  recordCall(call, clouds);
  return true;
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
  withClouds: ConsoleClouds | undefined,
): void {
  const clouds = withClouds?.clouds;
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
    if (mayDo(name, entry, aws, withClouds)) {
      const content: SimContent = entry.content!;
      return send(res, 200, 'application/json', JSON.stringify(content));
    }
    send(res, entry.status, 'application/json', JSON.stringify(denialBody(entry, aws, clouds)));
  }, delay);
}

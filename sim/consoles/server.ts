/**
 * Simulated AWS / Azure / GCP consoles over HTTPS, routed on the Host header, so a browser started
 * with `--host-resolver-rules` (see `hostResolverRules`) loads them under the real console hostnames
 * and the extension's real manifest match patterns apply.
 *
 * Pages live in ./pages (plain HTML + small inline JS, one shell per console). They fetch
 * `/sim-api/<name>` and render the failure the way each console does, so denials appear late
 * (after the API call, ~300 ms) like on the real consoles.
 *
 * Started with `clouds` (the demo's AWS/Azure/GCP fakes), the consoles honour grants: a call
 * succeeds (200 + `content`, logged in the fake's activity log) when the signed-in identity may
 * now do its action, and `signin.aws.amazon.com` forwards the federation sign-in to the AWS fake,
 * so the console session cookie lands on `.aws.amazon.com`. Who is signed in:
 *   AWS    the `AWS_CONSOLE_COOKIE` session (when its account is the tab's), else the default
 *          `Developer/alice` of the multi-session host's account (or prod), which has no grants;
 *   Azure  `AZURE.objectId` (the demo user alice);
 *   GCP    `user:` + `GCP.principal` (the demo user alice).
 * Without `clouds` every call answers its denial.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AWS_CONSOLE_COOKIE, type ConsoleSession } from '../clouds/aws/fake.ts';
import type { DemoClouds } from '../clouds/demo.ts';
import { generateCert } from './cert.ts';
import {
  AWS,
  AWS_SANDBOX,
  AWS_USER_INFO,
  AZURE,
  AZURE_DEV,
  GCP,
  GCP_DEV,
  SIM_API,
  type SimContent,
  type SimDenial,
} from './messages.ts';

const PAGES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');

/** Hostnames the sim answers for (the browser maps them all to the sim's port). */
export const SIM_HOSTS = [
  'console.aws.amazon.com',
  '*.console.aws.amazon.com',
  'portal.azure.com',
  'console.cloud.google.com',
  'signin.aws.amazon.com',
  'example.com',
] as const;

/** `--host-resolver-rules` value mapping every sim host to 127.0.0.1:<port>. */
export function hostResolverRules(port: number, host = '127.0.0.1'): string {
  return SIM_HOSTS.map((h) => `MAP ${h} ${host}:${port}`).join(', ');
}

export type SimConsole = 'aws' | 'aws-signin' | 'azure' | 'gcp' | 'example';

export function consoleForHost(hostname: string): SimConsole | null {
  const h = hostname.toLowerCase();
  if (h === 'console.aws.amazon.com' || h.endsWith('.console.aws.amazon.com')) return 'aws';
  if (h === 'signin.aws.amazon.com') return 'aws-signin';
  if (h === 'portal.azure.com') return 'azure';
  if (h === 'console.cloud.google.com') return 'gcp';
  if (h === 'example.com' || h === 'www.example.com') return 'example';
  return null;
}

/** Well-known sim URLs (valid in a browser whose host resolver maps the sim hosts). */
export const SIM_URLS = {
  awsHome: 'https://console.aws.amazon.com/console/home',
  ec2Instances: `https://${AWS.region}.console.aws.amazon.com/ec2/home?region=${AWS.region}#Instances:`,
  ec2RegionLockedScp:
    'https://ap-southeast-2.console.aws.amazon.com/ec2/home?region=ap-southeast-2#Instances:',
  lambdaFunctions: `https://${AWS.account}-abcd1234.${AWS.region}.console.aws.amazon.com/lambda/home?region=${AWS.region}#/functions`,
  /** The sandbox account (dev): a read the default policy grants without an approver. */
  lambdaFunctionsSandbox: `https://${AWS_SANDBOX.account}-efgh5678.${AWS.region}.console.aws.amazon.com/lambda/home?region=${AWS.region}#/functions`,
  s3Bucket: `https://${AWS.region}.console.aws.amazon.com/s3/buckets/${AWS.bucket}?region=${AWS.region}&tab=objects`,
  iamPolicyEditor: 'https://console.aws.amazon.com/iam/home#/policies/details/create',
  benchHeavy: `https://${AWS.region}.console.aws.amazon.com/bench/heavy`,
  azureVm: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE.vm}/overview`,
  /** A VM in the dev subscription: its blade fails to load (`virtualMachines/read`). */
  azureVmDev: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE_DEV.subscription}/resourceGroups/${AZURE_DEV.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE_DEV.vm}/overview`,
  azureStoragePolicy: 'https://portal.azure.com/#create/Microsoft.StorageAccount-ARM',
  azureIam: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/users`,
  azurePolicyDefinition:
    'https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2Fe56962a6-4747-49cd-b67b-bf8b01975c4c',
  gcpInstances: `https://console.cloud.google.com/compute/instances?project=${GCP.project}&authuser=${GCP.authuser}`,
  /** The dev project: "You need additional access" for `compute.instances.list`. */
  gcpInstancesDev: `https://console.cloud.google.com/compute/instances?project=${GCP_DEV.project}&authuser=${GCP.authuser}`,
  gcpBigQuery: `https://console.cloud.google.com/bigquery?project=${GCP.project}&authuser=${GCP.authuser}`,
  gcpRoles: `https://console.cloud.google.com/iam-admin/roles?project=${GCP.project}&authuser=${GCP.authuser}`,
  exampleDenial: 'https://example.com/',
} as const;

export interface StartOptions {
  port?: number;
  host?: string;
  /**
   * The demo's cloud fakes: calls succeed when the signed-in identity may now do them, and
   * `signin.aws.amazon.com` forwards to the AWS fake. Without them every call is denied.
   */
  clouds?: DemoClouds;
}

export interface RunningConsoles {
  port: number;
  /** `https://<host>` for a console hostname (browser-mapped), `https://<ip>:<port>` for an IP / localhost. */
  origin(host?: string): string;
  close(): Promise<void>;
}

const pageCache = new Map<string, string>();
/** A page with `window.SIM` (identities, and for AWS who is signed in to this tab). */
function page(name: string, session?: AwsIdentityView): string {
  let html = pageCache.get(name);
  if (html === undefined) {
    html = fs.readFileSync(path.join(PAGES_DIR, `${name}.html`), 'utf8');
    pageCache.set(name, html);
  }
  const config = JSON.stringify({
    aws: AWS,
    awsSandbox: AWS_SANDBOX,
    azure: AZURE,
    azureDev: AZURE_DEV,
    gcp: GCP,
    gcpDev: GCP_DEV,
    ...(session ? { session } : {}),
  }).replace(/</g, '\\u003c');
  return html.replace(
    '<!--SIM_CONFIG-->',
    `<script>window.SIM = ${config};</script><script>${contentTableScript()}</script>`,
  );
}

let contentTableJs: string | undefined;
/** The success-table renderer every console shares (pages/content-table.js). */
function contentTableScript(): string {
  contentTableJs ??= fs.readFileSync(path.join(PAGES_DIR, 'content-table.js'), 'utf8');
  return contentTableJs;
}

// ---------------------------------------------------------------------------------------------
// Who is signed in

/** Aliases of the accounts the sim knows (the header shows `<user> @ <alias>`). */
const AWS_ALIASES: Record<string, string> = {
  [AWS.account]: AWS.alias,
  [AWS_SANDBOX.account]: AWS_SANDBOX.alias,
};
const MULTI_SESSION = /^(\d{12})-[a-z0-9]+\./;

/** What the AWS page shows of the signed-in identity. */
export interface AwsIdentityView {
  account: string;
  accountDisplay: string;
  alias: string;
  /** The principal ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
  principal: string;
  /** `<role>/<session>`, as the header's account menu shows it. */
  federatedUser: string;
}

interface AwsIdentity extends AwsIdentityView {
  /** The console session from the federation sign-in; null for the default identity. */
  session: ConsoleSession | null;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The AWS identity of a request: the console session of `AWS_CONSOLE_COOKIE` when it is live and
 * belongs to the tab's account (a multi-session host names it), else the default Developer/alice
 * of that account (prod when the host names none).
 */
function awsIdentity(hostname: string, cookieHeader: string | undefined, clouds?: DemoClouds): AwsIdentity {
  const hostAccount = MULTI_SESSION.exec(hostname)?.[1];
  const cookie = clouds ? cookieValue(cookieHeader, AWS_CONSOLE_COOKIE) : undefined;
  const session = cookie ? clouds!.aws.state.consoleSession(cookie) : null;
  const display = (account: string) => account.replace(/^(\d{4})(\d{4})(\d{4})$/, '$1-$2-$3');
  if (session && !session.expired && (!hostAccount || hostAccount === session.account)) {
    const arn = session.session.arn;
    return {
      account: session.account,
      accountDisplay: display(session.account),
      alias: AWS_ALIASES[session.account] ?? session.account,
      principal: arn,
      federatedUser: arn.split(':assumed-role/')[1] ?? session.sessionName,
      session,
    };
  }
  const account = hostAccount ?? AWS.account;
  return {
    account,
    accountDisplay: display(account),
    alias: AWS_ALIASES[account] ?? account,
    principal: `arn:aws:sts::${account}:assumed-role/Developer/alice`,
    federatedUser: 'Developer/alice',
    session: null,
  };
}

const viewOf = ({ session: _session, ...view }: AwsIdentity): AwsIdentityView => view;

/**
 * Whether the request's identity may now do what the call needs; logs the call in the fake's
 * activity log when it may. Always false without clouds or for calls no grant can help.
 */
function mayDo(entry: SimDenial, aws: AwsIdentity, clouds: DemoClouds | undefined): boolean {
  if (!clouds || entry.action === null || entry.content === null) return false;
  const { action, account } = entry;
  switch (entry.cloud) {
    case 'aws': {
      if (!aws.session || aws.account !== account) return false;
      const resource = entry.resource ?? '*';
      if (!clouds.aws.state.allows(aws.session, action, resource)) return false;
      clouds.aws.state.recordCall(aws.session, action, resource);
      return true;
    }
    case 'azure': {
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
    case 'gcp': {
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
  }
}

/** The denial as this identity would get it (AWS names the caller's principal). */
function denialBody(entry: SimDenial, aws: AwsIdentity): SimDenial['body'] {
  if (entry.cloud !== 'aws' || !aws.session || aws.account !== entry.account) return entry.body;
  const defaultPrincipal = `arn:aws:sts::${entry.account}:assumed-role/Developer/alice`;
  return { ...entry.body, message: entry.body.message.split(defaultPrincipal).join(aws.principal) };
}

// ---------------------------------------------------------------------------------------------
// signin.aws.amazon.com

/** The fake's cookie, for the console's parent domain (as AWS's own sign-in sets its cookies). */
export function consoleCookie(setCookie: string): string {
  const attrs = setCookie
    .split(';')
    .map((a) => a.trim())
    .filter((a) => a && !/^(domain|secure)(=|$)/i.test(a));
  return [...attrs, 'Domain=.aws.amazon.com', 'Secure'].join('; ');
}

/** Forwards `/federation` and `/oauth` to the AWS fake's sign-in endpoint. */
function forwardSignin(req: IncomingMessage, res: ServerResponse, clouds: DemoClouds): void {
  const upstream = new URL(clouds.aws.endpoints.signin);
  const headers: http.OutgoingHttpHeaders = {};
  for (const h of ['content-type', 'content-length', 'cookie'] as const) {
    if (req.headers[h] !== undefined) headers[h] = req.headers[h];
  }
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
    },
    (up) => {
      const answer: http.OutgoingHttpHeaders = { 'cache-control': 'no-store' };
      for (const h of ['content-type', 'location'] as const) {
        if (up.headers[h] !== undefined) answer[h] = up.headers[h];
      }
      const cookies = up.headers['set-cookie'];
      if (cookies) answer['set-cookie'] = cookies.map(consoleCookie);
      res.writeHead(up.statusCode ?? 502, answer);
      up.pipe(res);
    },
  );
  out.on('error', (e) => {
    if (!res.headersSent)
      send(res, 502, 'text/plain', `AWS sign-in (simulated) did not answer: ${e.message}`);
    else res.destroy();
  });
  req.pipe(out);
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function indexPage(origin: (h: string) => string): string {
  const links = Object.entries(SIM_URLS)
    .map(([k, u]) => `<li><a href="${u}">${k}</a> <code>${u}</code></li>`)
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>Unblock simulated consoles</title><h1>Unblock simulated consoles</h1>
<p>These URLs work in a browser started with <code>--host-resolver-rules</code> mapping the console hosts to ${origin('127.0.0.1')} and <code>--ignore-certificate-errors</code>.</p><ul>${links}</ul>`;
}

function handler(origin: (h: string) => string, clouds?: DemoClouds) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const url = new URL(req.url ?? '/', `https://${hostHeader || 'localhost'}`);
    const which = consoleForHost(hostname);

    if (url.pathname === '/favicon.ico') return void send(res, 204, 'image/x-icon', '');

    if (which === 'aws-signin') {
      if (clouds && (url.pathname === '/federation' || url.pathname === '/oauth'))
        return forwardSignin(req, res, clouds);
      req.resume();
      return send(res, 404, 'text/plain', 'Not found (start the simulated consoles with clouds to sign in)');
    }

    // The "API calls" the pages make: the content when the identity may do it, else the denial.
    if (url.pathname.startsWith('/sim-api/')) {
      const name = url.pathname.slice('/sim-api/'.length);
      const entry = Object.hasOwn(SIM_API, name) ? SIM_API[name] : undefined;
      const delay = Math.min(Math.max(Number(url.searchParams.get('delay') ?? 0) || 0, 0), 10_000);
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
        send(res, entry.status, 'application/json', JSON.stringify(denialBody(entry, aws)));
      }, delay);
      return;
    }

    switch (which) {
      case 'aws': {
        const identity = awsIdentity(hostname, req.headers.cookie, clouds);
        const info =
          identity.principal === AWS_USER_INFO.arn
            ? AWS_USER_INFO
            : {
                arn: identity.principal,
                alias: identity.alias,
                username: `assumed-role/${identity.federatedUser}`,
              };
        const cookie = `aws-userInfo=${encodeURIComponent(JSON.stringify(info))}; Domain=console.aws.amazon.com; Path=/; Secure; SameSite=Lax`;
        const name = url.pathname.startsWith('/bench/heavy') ? 'bench' : 'aws';
        return send(res, 200, 'text/html; charset=utf-8', page(name, viewOf(identity)), {
          'set-cookie': cookie,
        });
      }
      case 'azure':
        // The portal is one shell at `/`; blades are chosen by the URL fragment.
        if (url.pathname !== '/') return send(res, 404, 'text/plain', 'Not found');
        return send(res, 200, 'text/html; charset=utf-8', page('azure'));
      case 'gcp':
        return send(res, 200, 'text/html; charset=utf-8', page('gcp'));
      case 'example':
        // The benchmark page also lives here, outside the extension's match patterns, so the
        // same page can be measured with and without the content script in one browser.
        if (url.pathname.startsWith('/bench/heavy'))
          return send(res, 200, 'text/html; charset=utf-8', page('bench'));
        return send(res, 200, 'text/html; charset=utf-8', page('example'));
      default:
        return send(res, 200, 'text/html; charset=utf-8', indexPage(origin));
    }
  };
}

export async function startConsoles({
  port = 0,
  host = '127.0.0.1',
  clouds,
}: StartOptions = {}): Promise<RunningConsoles> {
  const cert = generateCert();
  let actualPort = port;
  const origin = (h = host): string =>
    /^[\d.]+$|^localhost$|^\[?[0-9a-f:]+\]?$/i.test(h) ? `https://${h}:${actualPort}` : `https://${h}`;
  const server = https.createServer({ key: cert.key, cert: cert.cert }, handler(origin, clouds));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    cert.cleanup();
    throw err;
  }
  actualPort = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    port: actualPort,
    origin,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => cert.cleanup());
      return closed;
    },
  };
}

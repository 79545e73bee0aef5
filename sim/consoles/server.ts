/**
 * Simulated AWS / Azure / GCP consoles over HTTPS, routed on the Host header, so a browser started
 * with `--host-resolver-rules` (see `hostResolverRules`) loads them under the real console hostnames
 * and the extension's real manifest match patterns apply.
 *
 * Pages live in ./pages (plain HTML + small inline JS, one shell per console). They fetch
 * `/sim-api/<name>` and render the failure the way each console does, so denials appear late
 * (after the API call, ~300 ms) like on the real consoles.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateCert } from './cert.ts';
import { AWS, AWS_USER_INFO, AZURE, GCP, SIM_API } from './messages.ts';

const PAGES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');

/** Hostnames the sim answers for (the browser maps them all to the sim's port). */
export const SIM_HOSTS = [
  'console.aws.amazon.com',
  '*.console.aws.amazon.com',
  'portal.azure.com',
  'console.cloud.google.com',
  'example.com',
] as const;

/** `--host-resolver-rules` value mapping every sim host to 127.0.0.1:<port>. */
export function hostResolverRules(port: number, host = '127.0.0.1'): string {
  return SIM_HOSTS.map((h) => `MAP ${h} ${host}:${port}`).join(', ');
}

export type SimConsole = 'aws' | 'azure' | 'gcp' | 'example';

export function consoleForHost(hostname: string): SimConsole | null {
  const h = hostname.toLowerCase();
  if (h === 'console.aws.amazon.com' || h.endsWith('.console.aws.amazon.com')) return 'aws';
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
  s3Bucket: `https://${AWS.region}.console.aws.amazon.com/s3/buckets/${AWS.bucket}?region=${AWS.region}&tab=objects`,
  iamPolicyEditor: 'https://console.aws.amazon.com/iam/home#/policies/details/create',
  benchHeavy: `https://${AWS.region}.console.aws.amazon.com/bench/heavy`,
  azureVm: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE.vm}/overview`,
  azureStoragePolicy: 'https://portal.azure.com/#create/Microsoft.StorageAccount-ARM',
  azureIam: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/users`,
  azurePolicyDefinition:
    'https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2Fe56962a6-4747-49cd-b67b-bf8b01975c4c',
  gcpInstances: `https://console.cloud.google.com/compute/instances?project=${GCP.project}&authuser=${GCP.authuser}`,
  gcpBigQuery: `https://console.cloud.google.com/bigquery?project=${GCP.project}&authuser=${GCP.authuser}`,
  gcpRoles: `https://console.cloud.google.com/iam-admin/roles?project=${GCP.project}&authuser=${GCP.authuser}`,
  exampleDenial: 'https://example.com/',
} as const;

export interface StartOptions {
  port?: number;
  host?: string;
}

export interface RunningConsoles {
  port: number;
  /** `https://<host>` for a console hostname (browser-mapped), `https://<ip>:<port>` for an IP / localhost. */
  origin(host?: string): string;
  close(): Promise<void>;
}

const pageCache = new Map<string, string>();
function page(name: string): string {
  let html = pageCache.get(name);
  if (html === undefined) {
    const config = JSON.stringify({ aws: AWS, azure: AZURE, gcp: GCP }).replace(/</g, '\\u003c');
    html = fs
      .readFileSync(path.join(PAGES_DIR, `${name}.html`), 'utf8')
      .replace('<!--SIM_CONFIG-->', `<script>window.SIM = ${config};</script>`);
    pageCache.set(name, html);
  }
  return html;
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

function handler(origin: (h: string) => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const url = new URL(req.url ?? '/', `https://${hostHeader || 'localhost'}`);
    const which = consoleForHost(hostname);

    if (url.pathname === '/favicon.ico') return void send(res, 204, 'image/x-icon', '');

    // The "API calls" the pages make; the denial is the failure body.
    if (url.pathname.startsWith('/sim-api/')) {
      const name = url.pathname.slice('/sim-api/'.length);
      const denial = SIM_API[name];
      const delay = Math.min(Math.max(Number(url.searchParams.get('delay') ?? 0) || 0, 0), 10_000);
      // Drain any request body before answering.
      req.resume();
      setTimeout(() => {
        if (res.destroyed) return;
        if (!denial)
          return send(
            res,
            404,
            'application/json',
            JSON.stringify({ code: 'NotFound', title: 'Not found', message: name }),
          );
        send(res, denial.status, 'application/json', JSON.stringify(denial.body));
      }, delay);
      return;
    }

    switch (which) {
      case 'aws': {
        const cookie = `aws-userInfo=${encodeURIComponent(JSON.stringify(AWS_USER_INFO))}; Domain=console.aws.amazon.com; Path=/; Secure; SameSite=Lax`;
        const name = url.pathname.startsWith('/bench/heavy') ? 'bench' : 'aws';
        return send(res, 200, 'text/html; charset=utf-8', page(name), { 'set-cookie': cookie });
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
}: StartOptions = {}): Promise<RunningConsoles> {
  const cert = generateCert();
  let actualPort = port;
  const origin = (h = host): string =>
    /^[\d.]+$|^localhost$|^\[?[0-9a-f:]+\]?$/i.test(h) ? `https://${h}:${actualPort}` : `https://${h}`;
  const server = https.createServer({ key: cert.key, cert: cert.cert }, handler(origin));
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

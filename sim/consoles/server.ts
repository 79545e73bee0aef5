/**
 * Simulated AWS / Azure / GCP consoles over HTTPS, routed on the Host header, so a browser started
 * with `--host-resolver-rules` (see `hostResolverRules`) loads them under the real console hostnames
 * and the extension's real manifest match patterns apply.
 *
 * Pages live in ./pages (plain HTML + small inline JS, one shell per console; served by pages.ts).
 * They fetch `/sim-api/<name>` (console-api.ts) and render the failure the way each console does,
 * so denials appear late (after the API call, ~300 ms) like on the real consoles.
 *
 * Started with `clouds` (the demo's AWS/Azure/GCP fakes), the consoles honour grants: a call
 * succeeds (200 + `content`, logged in the fake's activity log) when the signed-in identity may
 * now do its action (an Azure or GCP grant once it has propagated: `clouds.propagation`,
 * propagation.ts), and `signin.aws.amazon.com` forwards the federation sign-in to the AWS fake
 * (signin.ts), so the console session cookie lands on `.aws.amazon.com`. Who is signed in:
 *   AWS    the `AWS_CONSOLE_COOKIE` session (when its account is the tab's), else the default
 *          `Developer/alice` of the multi-session host's account (or prod), which has no grants
 *          (aws-identity.ts);
 *   Azure  `AZURE.objectId` (the demo user alice);
 *   GCP    `user:` + `GCP.principal` (the demo user alice).
 * Without `clouds` every call answers its denial.
 *
 * This module routes and starts the server; the URL table and host names are in urls.ts. It
 * exports what the demo, the browser driver, the tests and the benchmarks use.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoClouds } from '../clouds/demo.ts';
import { generateCert } from './cert.ts';
import { answerSimApi, type ConsoleClouds } from './console-api.ts';
import { servePage } from './pages.ts';
import { watchGrants } from './propagation.ts';
import { send } from './respond.ts';
import { answerSignin } from './signin.ts';
import { consoleForHost } from './urls.ts';

export type { AwsIdentityView } from './aws-identity.ts';
export { consoleCookie } from './signin.ts';
export { consoleForHost, hostResolverRules, SIM_HOSTS, SIM_URLS, type SimConsole } from './urls.ts';

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

function handler(origin: (h: string) => string, consoleClouds?: ConsoleClouds) {
  const clouds = consoleClouds?.clouds;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const url = new URL(req.url ?? '/', `https://${hostHeader || 'localhost'}`);
    const which = consoleForHost(hostname);

    if (url.pathname === '/favicon.ico') return void send(res, 204, 'image/x-icon', '');
    if (which === 'aws-signin') return answerSignin(req, res, url, clouds);
    // The "API calls" the pages make: the content when the identity may do it, else the denial.
    if (url.pathname.startsWith('/sim-api/')) return answerSimApi(req, res, { hostname, url }, consoleClouds);
    servePage(req, res, { which, hostname, url, origin, clouds });
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
  // The consoles' view of the clouds' grants, which lags by the demo's propagation times.
  const visibility = clouds ? watchGrants(clouds) : null;
  const consoleClouds = clouds && visibility ? { clouds, visibility } : undefined;
  const server = https.createServer({ key: cert.key, cert: cert.cert }, handler(origin, consoleClouds));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    visibility?.stop();
    cert.cleanup();
    throw err;
  }
  actualPort = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    port: actualPort,
    origin,
    close() {
      visibility?.stop();
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => cert.cleanup());
      return closed;
    },
  };
}

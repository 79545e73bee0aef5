/**
 * The console pages: one HTML shell per console in ./pages (plain HTML + small inline JS), given
 * `window.SIM` (identities, and for AWS who is signed in to the tab) and the shared success-table
 * renderer; plus the index of every sim URL for any other host.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoClouds } from '../clouds/demo.ts';
import { awsIdentity, awsUserInfoCookie, viewOf, type AwsIdentityView } from './aws-identity.ts';
import { AWS, AWS_SANDBOX, AZURE, AZURE_DEV, GCP, GCP_DEV } from './messages.ts';
import { send } from './respond.ts';
import { awsConsoleDomain, SIM_URLS, type SimConsole } from './urls.ts';

const PAGES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
const HTML = 'text/html; charset=utf-8';

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

function indexPage(origin: (h: string) => string): string {
  const links = Object.entries(SIM_URLS)
    .map(([k, u]) => `<li><a href="${u}">${k}</a> <code>${u}</code></li>`)
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>Unblock simulated consoles</title><h1>Unblock simulated consoles</h1>
<p>These URLs work in a browser started with <code>--host-resolver-rules</code> mapping the console hosts to ${origin('127.0.0.1')} and <code>--ignore-certificate-errors</code>.</p><ul>${links}</ul>`;
}

/** What serves a page: the console the host is, the request, and the server's origin and clouds. */
export interface PageRequest {
  which: Exclude<SimConsole, 'aws-signin'> | null;
  hostname: string;
  url: URL;
  origin: (h: string) => string;
  clouds: DemoClouds | undefined;
}

/** `/sim-place/<name>` on a console or console-frame host: pages/place-<name>.html. */
const PLACEMENT = /^\/sim-place\/([a-z]+)$/;

function placementPage(pathname: string): string | null {
  const name = PLACEMENT.exec(pathname)?.[1];
  return name && fs.existsSync(path.join(PAGES_DIR, `place-${name}.html`)) ? `place-${name}` : null;
}

/** Answers a page load: the console's shell, or the index for a host that is no console. */
export function servePage(req: IncomingMessage, res: ServerResponse, request: PageRequest): void {
  const { url } = request;
  const placement = request.which && request.which !== 'example' ? placementPage(url.pathname) : null;
  if (placement) return send(res, 200, HTML, page(placement));
  switch (request.which) {
    case 'aws': {
      const identity = awsIdentity(request.hostname, req.headers.cookie, request.clouds);
      const name = url.pathname.startsWith('/bench/heavy') ? 'bench' : 'aws';
      return send(res, 200, HTML, page(name, viewOf(identity)), {
        'set-cookie': awsUserInfoCookie(identity, awsConsoleDomain(request.hostname) ?? undefined),
      });
    }
    case 'azure':
      // The portal is one shell at `/`; blades are chosen by the URL fragment.
      if (url.pathname !== '/') return send(res, 404, 'text/plain', 'Not found');
      return send(res, 200, HTML, page('azure'));
    case 'gcp':
      return send(res, 200, HTML, page('gcp'));
    case 'azure-frame':
      return send(res, 404, 'text/plain', 'Not found');
    case 'example':
      // The benchmark page also lives here, outside the extension's match patterns, so the
      // same page can be measured with and without the content script in one browser.
      if (url.pathname.startsWith('/bench/heavy')) return send(res, 200, HTML, page('bench'));
      return send(res, 200, HTML, page('example'));
    default:
      return send(res, 200, HTML, indexPage(request.origin));
  }
}

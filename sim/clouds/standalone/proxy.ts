/**
 * A fault proxy in front of one fake's base URL: the broker's config points at the proxy, which
 * forwards every call unchanged unless a fault rule (faults.ts) says to delay or fail it. Kept
 * outside the fakes so they stay as they are; each error answer has the shape that cloud uses
 * (AWS Query XML or JSON 1.1, ARM's `{ error: { code, message } }`, Google's
 * `{ error: { code, message, status } }`), so the broker's providers read it as the real thing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultTable, SimCloudName } from './faults';

/** The operation a call is, in the names fault rules use (see faults.ts `FaultRule.operation`). */
export function operationOf(
  cloud: SimCloudName,
  method: string,
  url: URL,
  headers: http.IncomingHttpHeaders,
  body: string,
): string {
  if (cloud === 'aws') {
    const target = headers['x-amz-target'];
    if (typeof target === 'string') return target.split('.').pop() ?? target;
    const action = new URLSearchParams(body).get('Action') ?? url.searchParams.get('Action');
    return action ?? `${method} ${url.pathname.split('/').pop() || '/'}`;
  }
  if (cloud === 'azure') {
    if (/\/oauth2\/v2\.0\/token$/.test(url.pathname)) return 'token';
    const parts = url.pathname.split('/').filter(Boolean);
    const i = parts.map((p) => p.toLowerCase()).lastIndexOf('providers');
    if (i < 0 || parts.length < i + 3) return `${method} ${parts[0] ?? '/'}`;
    const action = parts.length > i + 4 ? `/${parts[i + 4]}` : '';
    return `${method} ${parts[i + 2]}${action}`;
  }
  if (cloud === 'gcp') {
    const last = url.pathname.split('/').pop() ?? '';
    if (url.pathname === '/token') return 'token';
    if (last.includes(':')) return last.slice(last.indexOf(':') + 1);
    return `${method} ${url.pathname.split('/')[1] ?? '/'}`;
  }
  return `${method} ${url.pathname.split('/')[3] ?? '/'}`;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** The error answer of `cloud` for an injected failure. */
export function faultAnswer(
  cloud: SimCloudName,
  json11: boolean,
  status: number,
  code: string,
): { contentType: string; body: string } {
  const message = `injected fault (${code})`;
  if (cloud === 'aws' && !json11) {
    const type = status >= 500 ? 'Receiver' : 'Sender';
    return {
      contentType: 'text/xml',
      body: `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-fault</RequestId></ErrorResponse>`,
    };
  }
  if (cloud === 'aws') {
    return { contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: code, message }) };
  }
  if (cloud === 'gcp') {
    const google = GOOGLE_STATUS[status] ?? (status >= 500 ? 'UNAVAILABLE' : 'FAILED_PRECONDITION');
    return {
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: status, message, status: google } }),
    };
  }
  return { contentType: 'application/json', body: JSON.stringify({ error: { code, message } }) };
}

export interface FaultProxy {
  readonly url: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readAll(req: http.IncomingMessage | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Forwards one call to `target` and sends the answer back, with the fake's own origin in it (ARM's
 * `nextLink`, a sign-in URL) replaced by the proxy's, so follow-up calls come through the proxy too.
 */
function forward(
  target: URL,
  proxyOrigin: string,
  req: http.IncomingMessage,
  body: Buffer,
  res: http.ServerResponse,
): void {
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      // The Host header stays the proxy's: the GCP fake checks a token assertion's audience
      // against the token URL the caller used, which is the proxy's.
      headers: { ...req.headers, 'content-length': String(body.length) },
    },
    (answer) => {
      void readAll(answer).then((raw) => {
        const text = raw.toString('utf8').replaceAll(target.origin, proxyOrigin);
        const headers = { ...answer.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        if (typeof headers.location === 'string')
          headers.location = headers.location.replaceAll(target.origin, proxyOrigin);
        res.writeHead(answer.statusCode ?? 502, {
          ...headers,
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      });
    },
  );
  upstream.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`sim:clouds proxy: ${e.message}`);
  });
  upstream.end(body);
}

/**
 * Entra's token endpoint wants `scope` to be ARM's own base URL; the broker, configured with the
 * proxy as ARM, asks for the proxy's. The call is rewritten to name the fake behind the proxy.
 */
function azureScopeToFake(cloud: SimCloudName, operation: string, body: Buffer, fakeOrigin: string): Buffer {
  if (cloud !== 'azure' || operation !== 'token') return body;
  const form = new URLSearchParams(body.toString('utf8'));
  const scope = form.get('scope');
  if (scope === null || !/^https?:\/\/[^/]+\/\.default$/.test(scope)) return body;
  form.set('scope', `${fakeOrigin}/.default`);
  return Buffer.from(form.toString(), 'utf8');
}

/** A proxy on 127.0.0.1 (port 0) in front of the fake at `targetBase` (its origin). */
export async function startFaultProxy(
  cloud: SimCloudName,
  targetBase: string,
  faults: FaultTable,
): Promise<FaultProxy> {
  const target = new URL(targetBase);
  let proxyOrigin = '';
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const url = new URL(req.url ?? '/', target);
      const operation = operationOf(cloud, req.method ?? 'GET', url, req.headers, body.toString('utf8'));
      const decision = faults.decide(cloud, operation);
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (decision.fail) {
        const answer = faultAnswer(
          cloud,
          typeof req.headers['x-amz-target'] === 'string',
          decision.fail.status,
          decision.fail.code,
        );
        res.writeHead(decision.fail.status, { 'content-type': answer.contentType });
        res.end(answer.body);
        return;
      }
      forward(target, proxyOrigin, req, azureScopeToFake(cloud, operation, body, target.origin), res);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`sim:clouds proxy: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  proxyOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyOrigin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `endpoint` with its origin replaced by `proxy`'s (the path, e.g. `/federation` or `/crm`, kept). */
export function throughProxy(endpoint: string, proxy: FaultProxy): string {
  const u = new URL(endpoint);
  return `${proxy.url}${u.pathname === '/' ? '' : u.pathname}${u.search}`;
}

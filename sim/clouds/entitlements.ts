/**
 * The simulated clouds' record of who may do what, for `provisioner: sim` targets: the broker's
 * sim provisioner puts a grant here and takes it away again. One small HTTP API on loopback, so the broker can run in another process (the
 * crash test kills the broker and then checks what the "cloud" still holds).
 *
 *   PUT    /sim/v1/entitlements/{grantId}   body: Entitlement fields; 201 created, 200 unchanged
 *   DELETE /sim/v1/entitlements/{grantId}   204, also when it was never there (idempotent)
 *   GET    /sim/v1/entitlements             { items: Entitlement[] }
 *   POST   /sim/v1/faults                   { failNext?, status?, delayMs? }: test control
 *
 * The real clouds' wire protocols (STS, ARM, Resource Manager) are faked in later issues; this is
 * the provisioner interface's simplest honest counterpart.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { CLOUDS } from '../../lib/clouds';

export const Entitlement = z.strictObject({
  grantId: z.string().min(1).max(128),
  cloud: z.enum(CLOUDS),
  account: z.string().min(1).max(128),
  /** The user's identity in that cloud. */
  identity: z.string().min(1).max(256),
  actions: z.array(z.string().min(1).max(256)).min(1).max(50),
  resource: z.string().max(2048).nullable(),
  expiresAt: z.iso.datetime(),
});
export type Entitlement = z.infer<typeof Entitlement>;

const Faults = z.strictObject({
  /** Fail this many upcoming mutating calls. */
  failNext: z.number().int().min(0).max(1000).optional(),
  /** The status those failures answer with (default 503). */
  status: z.number().int().min(400).max(599).optional(),
  /** Delay every mutating call by this much (to catch a broker mid-call). */
  delayMs: z.number().int().min(0).max(60_000).optional(),
});

export interface SimCloud {
  readonly url: string;
  /** Current entitlements (a copy). */
  list(): Entitlement[];
  close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body?: unknown) => {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

export async function startSimCloud(options: { port?: number; host?: string } = {}): Promise<SimCloud> {
  const entitlements = new Map<string, Entitlement>();
  let failNext = 0;
  let failStatus = 503;
  let delayMs = 0;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const m = /^\/sim\/v1\/entitlements\/([^/]+)$/.exec(url.pathname);
      const mutating = req.method === 'PUT' || req.method === 'DELETE';
      if (mutating && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (mutating && failNext > 0) {
        failNext -= 1;
        return json(res, failStatus, { error: { code: 'ServiceUnavailable', message: 'injected fault' } });
      }
      if (m && req.method === 'PUT') {
        const parsed = Entitlement.safeParse(await readJson(req));
        const id = decodeURIComponent(m[1]!);
        if (!parsed.success || parsed.data.grantId !== id) {
          return json(res, 400, { error: { code: 'InvalidRequest', message: 'bad entitlement' } });
        }
        const existing = entitlements.get(id);
        entitlements.set(id, parsed.data);
        return json(res, existing ? 200 : 201, parsed.data);
      }
      if (m && req.method === 'DELETE') {
        entitlements.delete(decodeURIComponent(m[1]!));
        return json(res, 204);
      }
      if (url.pathname === '/sim/v1/entitlements' && req.method === 'GET') {
        return json(res, 200, { items: [...entitlements.values()] });
      }
      if (url.pathname === '/sim/v1/faults' && req.method === 'POST') {
        const parsed = Faults.safeParse(await readJson(req));
        if (!parsed.success)
          return json(res, 400, { error: { code: 'InvalidRequest', message: 'bad faults' } });
        failNext = parsed.data.failNext ?? failNext;
        failStatus = parsed.data.status ?? failStatus;
        delayMs = parsed.data.delayMs ?? delayMs;
        return json(res, 204);
      }
      json(res, 404, { error: { code: 'NotFound', message: 'no such route' } });
    })().catch(() => json(res, 400, { error: { code: 'InvalidRequest', message: 'unreadable body' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    list: () => [...entitlements.values()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

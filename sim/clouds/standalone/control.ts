/**
 * The control API of `npm run sim:clouds` (127.0.0.1, JSON; bodies validated with zod, a bad one
 * answered 400 with the field it is about):
 *
 *   GET    /v1/state        what every fake holds (state.ts)
 *   GET    /v1/operations   calls seen per cloud and operation (the names fault rules take)
 *   GET    /v1/faults       the fault rules in force, with their hits and what remains of them
 *   POST   /v1/faults       add a rule (faults.ts `FaultRule`) → 201 { id }
 *   DELETE /v1/faults[?cloud=aws|azure|gcp|sim]   clear rules → { cleared }
 *   GET    /v1/clock        { now, frozen }
 *   POST   /v1/clock        { advanceMs } | { set: ISO time } | { freeze: ISO time | null }
 *   GET    /v1/config       the broker config that points at the fakes (through the fault proxies)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import type { FakeClock } from '../clock';
import { FaultRule, SIM_CLOUDS, type FaultTable } from './faults';

const ClockChange = z.union([
  z.strictObject({
    advanceMs: z
      .int()
      .min(-10 * 365 * 86_400_000)
      .max(10 * 365 * 86_400_000),
  }),
  z.strictObject({ set: z.iso.datetime({ offset: true }) }),
  z.strictObject({ freeze: z.iso.datetime({ offset: true }).nullable() }),
]);

const ClearQuery = z.enum([...SIM_CLOUDS, '*']).optional();

export interface ControlDeps {
  readonly faults: FaultTable;
  readonly clock: FakeClock;
  readonly state: () => unknown;
  readonly config: unknown;
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** The first zod issue as "field: message" (the field path joined with dots). */
export function firstIssue(error: z.ZodError): BadRequest {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : null;
  const message = issue?.message ?? 'invalid body';
  return new BadRequest(field ? `${field}: ${message}` : message, field);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new BadRequest('body: larger than 64 KiB', null);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new BadRequest('body: not JSON', null);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw firstIssue(parsed.error);
  return parsed.data;
}

function changeClock(clock: FakeClock, change: z.infer<typeof ClockChange>): void {
  if ('advanceMs' in change) clock.advance(change.advanceMs);
  else if ('set' in change) clock.advance(Date.parse(change.set) - clock.now().getTime());
  else clock.freeze(change.freeze === null ? null : new Date(change.freeze));
}

async function route(
  deps: ControlDeps,
  req: http.IncomingMessage,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(req.url ?? '/', 'http://control');
  const key = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (key) {
    case 'GET /v1/state':
      return { status: 200, body: deps.state() };
    case 'GET /v1/operations':
      return { status: 200, body: { operations: Object.fromEntries(deps.faults.seen) } };
    case 'GET /v1/faults':
      return { status: 200, body: { items: deps.faults.list() } };
    case 'POST /v1/faults':
      return { status: 201, body: { id: deps.faults.add(parse(FaultRule, await readJson(req))) } };
    case 'DELETE /v1/faults': {
      const cloud = parse(ClearQuery, url.searchParams.get('cloud') ?? undefined);
      return { status: 200, body: { cleared: deps.faults.clear(cloud) } };
    }
    case 'GET /v1/clock':
      return { status: 200, body: { now: deps.clock.now().toISOString() } };
    case 'POST /v1/clock':
      changeClock(deps.clock, parse(ClockChange, await readJson(req)));
      return { status: 200, body: { now: deps.clock.now().toISOString() } };
    case 'GET /v1/config':
      return { status: 200, body: deps.config };
    default:
      return { status: 404, body: { error: { code: 'NotFound', message: `no route ${key}` } } };
  }
}

export async function startControlServer(deps: ControlDeps, port = 0): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    void route(deps, req)
      .catch((e: unknown) =>
        e instanceof BadRequest
          ? { status: 400, body: { error: { code: 'InvalidRequest', message: e.message, field: e.field } } }
          : { status: 500, body: { error: { code: 'Internal', message: (e as Error).message } } },
      )
      .then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

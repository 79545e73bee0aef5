/**
 * Loose input at the broker's front door (issue 12): the body's declared charset and its bytes,
 * and what a request's `resource` may be. `startBroker` on a real port, driven with global fetch,
 * on PGlite and PostgreSQL. Error bodies are checked against `ApiError` and must name what was
 * wrong (the header, the body, the field).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AccessRequestView, ApiError, type CreateRequestBody, type ErrorCode } from '../../lib/contract/api';
import { startSimulatedBroker, type SimulatedBroker } from '../../sim/broker';
import { PRODUCTION, body, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

interface Reply {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

async function post(base: string, token: string, payload: BodyInit, contentType: string): Promise<Reply> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as unknown };
}

function failure(reply: Reply, status: number, code: ErrorCode): ApiError['error'] {
  expect(reply.status, reply.text).toBe(status);
  const parsed = ApiError.safeParse(reply.json);
  expect(parsed.success, reply.text).toBe(true);
  expect(parsed.data!.error.code).toBe(code);
  return parsed.data!.error;
}

function created(reply: Reply): AccessRequestView {
  expect(reply.status, reply.text).toBe(201);
  return AccessRequestView.parse(reply.json);
}

const HOUR_MS = 3_600_000;
const JSON_TYPE = 'application/json';

forEachStore('HTTP input', (fixture) => {
  let broker: SimulatedBroker;
  let token: string;
  beforeEach(async () => {
    broker = await startSimulatedBroker({
      db: await fixture.migrated(),
      config: await testConfig(),
      port: 0,
      host: '127.0.0.1',
      log: () => undefined,
    });
    token = (await broker.createApiToken('alice', HOUR_MS, 'input tests')).token;
  });
  afterEach(() => broker.close());

  const send = (payload: BodyInit, contentType = JSON_TYPE) => post(broker.url, token, payload, contentType);
  const submit = async (draft: CreateRequestBody) => created(await send(JSON.stringify(draft)));
  const prodRead = (resource: string | null) =>
    body({ target: { cloud: 'aws', account: PRODUCTION }, resource });

  it('refuses a charset other than UTF-8 with 415 naming Content-Type', async () => {
    const draft = JSON.stringify(body());
    for (const type of [
      'application/json; charset=latin1',
      'application/json; charset=ISO-8859-1',
      'application/json;charset="utf-16"',
      'application/json; charset=us-ascii',
    ]) {
      const error = failure(await send(draft, type), 415, 'unsupported_media_type');
      expect(error.message, type).toMatch(/Content-Type/);
      expect(error.message, type).toMatch(/charset/);
      expect(error.message, type).toMatch(/UTF-8/);
    }
  });

  it('accepts no charset, and utf-8 in any case, quoted or not', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'Application/JSON;charset="Utf-8"',
    ]) {
      created(await send(JSON.stringify(body({ justification: `type ${type}` })), type));
    }
  });

  it('refuses a malformed Content-Type or one that says charset twice, naming the header', async () => {
    for (const type of [
      'application/json; charset = latin1',
      'application/json; charset',
      'application/json; charset=utf-8; charset=latin1',
      'application/json, text/plain',
    ]) {
      const error = failure(await send(JSON.stringify(body()), type), 415, 'unsupported_media_type');
      expect(error.message, type).toMatch(/Content-Type/);
    }
  });

  it('refuses a body that is not valid UTF-8 with 400 naming the body, never decoding it lossily', async () => {
    const draft = JSON.stringify(body({ justification: 'caf\u00e9 migration' }));
    const [before, after] = draft.split('migration') as [string, string];
    const withBytes = (...bytes: number[]) =>
      Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bytes), Buffer.from(after, 'utf8')]);
    for (const bytes of [
      // The same JSON in Latin-1: é is the lone byte 0xE9, which cannot start a UTF-8 character here.
      Buffer.from(draft, 'latin1'),
      // A sequence cut short, and an overlong "/" (0xC0 0xAF): lenient decoders make both U+FFFD.
      withBytes(0xc3),
      withBytes(0xc0, 0xaf),
      // An encoded UTF-16 surrogate (U+D800), which UTF-8 never carries.
      withBytes(0xed, 0xa0, 0x80),
    ]) {
      const error = failure(await send(new Uint8Array(bytes)), 400, 'invalid_request');
      expect(error.message).toMatch(/^body: /);
      expect(error.message).toMatch(/UTF-8/);
      expect(error.fields).toEqual([{ path: '', message: error.message }]);
    }
    // The UTF-8 bytes of the same text are fine, and round-trip exactly.
    const ok = created(await send(new Uint8Array(Buffer.from(draft, 'utf8'))));
    expect(ok.justification).toBe('caf\u00e9 migration');
  });

  it('files a wildcard or blank resource as one that names no resource', async () => {
    for (const resource of ['*', ' * ', '\n', '  \t ']) {
      const request = await submit(prodRead(resource));
      expect(request.resource, JSON.stringify(resource)).toBeNull();
    }
    const trimmed = await submit(prodRead('  arn:aws:s3:::acme-prod-logs \n'));
    expect(trimmed.resource).toBe('arn:aws:s3:::acme-prod-logs');
  });

  it('refuses control characters and policy-looking text in resource with 400 naming it', async () => {
    for (const resource of [
      'arn:aws:s3:::a\nb',
      'arn:aws:s3:::a\u0007b',
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      '["arn:aws:s3:::a","arn:aws:s3:::b"]',
      '"Resource": "*"',
      'arn:aws:*:*:*:*',
      'arn:*',
      '*:*',
    ]) {
      const reply = await send(JSON.stringify(prodRead(resource)));
      const error = failure(reply, 400, 'invalid_request');
      expect(
        error.fields?.map((f) => f.path),
        `${JSON.stringify(resource)}: ${reply.text}`,
      ).toContain('resource');
      expect(error.message).toMatch(/^resource: /);
    }
  });

  it('a read on the sandbox naming a resource pattern is auto-approved as a whole-account read, not a scoped one', async () => {
    const pattern = await submit(
      body({ actions: ['rds:DescribeDBInstances'], resource: 'arn:aws:rds:us-east-1:111111111111:db:*' }),
    );
    expect(pattern.resource).toBe('arn:aws:rds:us-east-1:111111111111:db:*');
    expect(pattern.decision.policyIds).toContain('auto-approve.account-read-non-prod');
    expect(pattern.decision.policyIds).not.toContain('auto-approve.read-non-prod');

    const named = await submit(body({ resource: 'arn:aws:s3:::acme-sandbox-exports/nightly.csv' }));
    expect(named.decision.policyIds).toContain('auto-approve.read-non-prod');
  });
});

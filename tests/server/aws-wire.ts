/**
 * Talking to the AWS fake on the wire for the conformance tests (not a test file itself): raw
 * Query and JSON calls signed the way the SDKs sign (the fake checks the header's shape and
 * scope, not the signature), and checks of answers against the vendored service models.
 */
import { expect } from 'vitest';
import type { AwsWorld } from './aws-fixtures';
import { ADMIN, USER_KEY } from './aws-fixtures';
import {
  child,
  constraintOf,
  errorsOf,
  membersOf,
  parseXml,
  shapeOf,
  type Model,
  type XmlElement,
} from './aws-model';

export interface Signer {
  readonly akid: string;
  readonly token?: string;
  readonly region?: string;
}

/** The broker's IAM-user keys. */
export const USER: Signer = { akid: USER_KEY };

/** Headers as a SigV4-signing SDK sends them. */
const signed = (service: string, s: Signer) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${s.akid}/20261125/${s.region ?? 'us-east-1'}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  'x-amz-date': '20261125T180000Z',
  ...(s.token ? { 'x-amz-security-token': s.token } : {}),
});

export interface Wire {
  /** A Query-protocol call on the fake: status and the parsed XML. */
  query(
    service: 'sts' | 'iam',
    params: Record<string, string>,
    s: Signer,
  ): Promise<{ status: number; xml: XmlElement }>;
  /** A CloudTrail (JSON 1.1) LookupEvents call on the fake. */
  lookup(
    body: Record<string, unknown>,
    s: Signer,
  ): Promise<{ status: number; type: string | null; json: Record<string, unknown> }>;
  /** Credentials of the admin role in the target account (IAM acts on its own account). */
  admin(): Promise<Signer>;
}

export function wireOf(world: AwsWorld): Wire {
  const wire: Wire = {
    async query(service, params, s) {
      const res = await fetch(world.fake.endpoints[service], {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed(service, s) },
        body: new URLSearchParams({ Version: service === 'sts' ? '2011-06-15' : '2010-05-08', ...params }),
      });
      return { status: res.status, xml: parseXml(await res.text()) };
    },
    async lookup(body, s) {
      const res = await fetch(world.fake.endpoints.cloudTrail, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'CloudTrail_20131101.LookupEvents',
          ...signed('cloudtrail', s),
        },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        type: res.headers.get('x-amzn-errortype'),
        json: (await res.json()) as Record<string, unknown>,
      };
    },
    async admin() {
      const out = await wire.query(
        'sts',
        { Action: 'AssumeRole', RoleArn: ADMIN, RoleSessionName: 'conformance' },
        USER,
      );
      const c = child(child(out.xml, 'AssumeRoleResult'), 'Credentials');
      return { akid: child(c, 'AccessKeyId').text, token: child(c, 'SessionToken').text };
    },
  };
  return wire;
}

const isXml = (e: XmlElement | Record<string, unknown>): e is XmlElement =>
  typeof e.name === 'string' && Array.isArray(e.children);

/** Every child of `element` is a member of `structure`, every required member is there, recursively. */
export function expectConforms(
  model: Model,
  structure: string,
  element: XmlElement | Record<string, unknown>,
): void {
  const members = membersOf(model, structure);
  const present = isXml(element) ? element.children.map((c) => c.name) : Object.keys(element);
  expect(Object.keys(members), `${structure} members`).toEqual(expect.arrayContaining(present));
  for (const [name, m] of Object.entries(members)) if (m.required) expect(present, structure).toContain(name);
  for (const name of present) {
    const target = members[name]!.target;
    const shape = shapeOf(model, target);
    const value = isXml(element) ? element.children.find((c) => c.name === name)! : element[name];
    if (shape.type === 'structure') expectConforms(model, target, value as XmlElement);
    if (shape.type === 'list' && Array.isArray(value)) {
      const item = shape.member!.target;
      for (const v of value)
        if (shapeOf(model, item).type === 'structure')
          expectConforms(model, item, v as Record<string, unknown>);
    }
    if (shape.type === 'string' && isXml(element)) {
      const text = (value as XmlElement).text;
      const c = constraintOf(model, target);
      if (c.pattern) expect(text, name).toMatch(c.pattern);
      if (c.min !== undefined) expect([...text].length, name).toBeGreaterThanOrEqual(c.min);
      if (c.max !== undefined) expect([...text].length, name).toBeLessThanOrEqual(c.max);
    }
  }
}

/** A Query error: the envelope, and a modelled code's status and fault type. */
export function expectQueryError(
  model: Model,
  operation: string,
  res: { status: number; xml: XmlElement },
  code: string,
) {
  expect(res.xml.name).toBe('ErrorResponse');
  const error = child(res.xml, 'Error');
  expect(error.children.map((c) => c.name)).toEqual(['Type', 'Code', 'Message']);
  expect(child(res.xml, 'RequestId').text).not.toBe('');
  expect(child(error, 'Code').text).toBe(code);
  const modelled = errorsOf(model, operation).find((e) => e.code === code);
  if (modelled) {
    expect(res.status).toBe(modelled.status);
    expect(child(error, 'Type').text).toBe(modelled.fault === 'client' ? 'Sender' : 'Receiver');
  }
}

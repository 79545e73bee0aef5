/**
 * Shared set-up for the broker's service tests: the demo configuration plus one engineer outside
 * every approver group, a controllable clock, principals, and valid request bodies.
 */
import type { CreateRequestBody } from '../../lib/contract/api';
import type { Principal } from '../../server/auth/principal';
import { demoConfig } from '../../server/config/demo';
import { BrokerConfig } from '../../server/config/schema';

export const START = new Date('2026-12-01T09:00:00.000Z');

export class Clock {
  private t = START.getTime();
  readonly now = () => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

let cached: Promise<BrokerConfig> | undefined;

/** The demo config plus `erin` (an engineer who approves nothing) and `ada` (an admin). */
export function testConfig(): Promise<BrokerConfig> {
  cached ??= demoConfig().then((demo) =>
    BrokerConfig.parse({
      ...demo,
      groups: [...demo.groups, { name: 'admins', description: 'Broker administrators' }],
      users: [
        ...demo.users,
        { name: 'erin', groups: ['engineers'], identities: { aws: 'erin' } },
        { name: 'ada', groups: ['admins'], identities: {} },
      ],
    }),
  );
  return cached;
}

export const as = (user: string, groups: readonly string[]): Principal => ({
  user,
  groups,
  tokenKind: 'api',
  clientId: null,
});

export const alice = as('alice', ['engineers']);
export const bob = as('bob', ['approvers', 'engineers']);
export const dave = as('dave', ['approvers', 'engineers']);
export const carol = as('carol', ['auditors']);
export const erin = as('erin', ['engineers']);
export const ada = as('ada', ['admins']);

export const SANDBOX = '111111111111';
export const PRODUCTION = '222222222222';

export function body(overrides: Partial<CreateRequestBody> = {}): CreateRequestBody {
  return {
    target: { cloud: 'aws', account: SANDBOX },
    actions: ['s3:GetObject'],
    resource: null,
    durationMinutes: 60,
    justification: 'debugging the nightly export',
    denial: {
      excerpt:
        'User: arn:aws:sts::111111111111:assumed-role/dev/alice is not authorized to perform: s3:GetObject',
      denyKind: 'implicit',
      encodedMessage: null,
    },
    pageUrl: 'https://console.aws.amazon.com/s3/buckets/exports',
    ...overrides,
  };
}

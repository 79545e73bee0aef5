/**
 * The broker's use cases hand the request's resource to policy: at submission (auto-approval of a
 * read of one named resource versus a read across the target) and when someone approves the
 * stored request later. Runs on PGlite and PostgreSQL.
 */
import { expect, it } from 'vitest';
import { createPolicyEngine, type PolicyEngine } from '../../server/policy/engine';
import { loadPolicyDir } from '../../server/policy/load';
import { createSimProvisioner } from '../../server/provision/sim';
import { createBroker } from '../../server/service/broker';
import type { ServiceResult } from '../../server/service/errors';
import type { Db } from '../../server/store/db';
import { Clock, PRODUCTION, alice, bob, body, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

function value<T>(r: ServiceResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function brokerOn(db: Db, policy: PolicyEngine) {
  const config = await testConfig();
  return createBroker({
    db,
    config,
    policy,
    now: new Clock().now,
    // Nothing is provisioned here: no worker runs.
    provisionerFor: () => createSimProvisioner('http://127.0.0.1:9'),
    identities: () => Promise.resolve({}),
  });
}

const SCOPED_READ = 'auto-approve.read-non-prod';
const ACCOUNT_READ = 'auto-approve.account-read-non-prod';

forEachStore('broker service: the resource', (fixture) => {
  it('a read on the sandbox naming no single resource is auto-approved as a read across it', async () => {
    const broker = await brokerOn(await fixture.migrated(), createPolicyEngine());
    for (const resource of [null, '*', ' \n', 'arn:aws:s3:::*', 'arn:aws:rds:us-east-1:111111111111:db:*']) {
      const request = value(await broker.createRequest(alice, body({ resource })));
      expect(request.status, JSON.stringify(resource)).toBe('approved');
      expect(request.decision.policyIds, JSON.stringify(resource)).toEqual([
        'request.engineers',
        ACCOUNT_READ,
      ]);
    }
    const named = value(
      await broker.createRequest(alice, body({ resource: 'arn:aws:s3:::exports/nightly.csv' })),
    );
    expect(named.decision.policyIds).toEqual(['request.engineers', SCOPED_READ]);
  });

  it('an approver is asked with the stored request’s resource', async () => {
    // A rule an operator might add: on approval, only requests naming one resource.
    const defaults = loadPolicyDir();
    const policy = createPolicyEngine({
      schema: defaults.schema,
      policies: [
        ...defaults.policies,
        {
          name: 'approve-scoped.cedar',
          text: '@id("approve.one-resource")\n@advice("Only requests naming one resource can be approved.")\nforbid (principal, action == Action::"approve", resource)\nunless { context.scoped };',
        },
      ],
    });
    const broker = await brokerOn(await fixture.migrated(), policy);
    const prodRead = (resource: string | null) =>
      body({ target: { cloud: 'aws', account: PRODUCTION }, resource });

    const whole = value(await broker.createRequest(alice, prodRead('arn:aws:s3:::prod-logs/*')));
    const refused = await broker.approveRequest(bob, whole.id, {});
    expect(refused.ok || refused.error.code).toBe('forbidden');
    expect(refused.ok || refused.error.message).toMatch(/naming one resource/);

    const one = value(await broker.createRequest(alice, prodRead('arn:aws:s3:::prod-logs/a.log')));
    expect(value(await broker.approveRequest(bob, one.id, {})).status).toBe('approved');
  });
});

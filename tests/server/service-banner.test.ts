/**
 * What the extension's banner asks the broker: `GET /me` names the targets the broker manages (so
 * the card can say before filing that a request would be refused), and `POST /decode` answers a
 * message the cloud refuses (malformed, expired) as a 400 on `encodedMessage` in the cloud's words,
 * not as an internal error.
 */
import { expect, it } from 'vitest';
import { MeView } from '../../lib/contract/api';
import { createPolicyEngine } from '../../server/policy/engine';
import { createSimProvisioner } from '../../server/provision/sim';
import { ProvisionError } from '../../server/provision/types';
import { createBroker } from '../../server/service/broker';
import { alice, Clock, PRODUCTION, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const policy = createPolicyEngine();

forEachStore('banner questions', (fixture) => {
  async function brokerWith(decode: () => Promise<never>) {
    const config = await testConfig();
    // Only `decode` is called here; the rest is the sim provisioner, never reached.
    const provisioner = { ...createSimProvisioner('http://127.0.0.1:9'), decode };
    return {
      config,
      broker: createBroker({
        db: await fixture.migrated(),
        config,
        policy,
        now: new Clock().now,
        provisionerFor: () => provisioner,
        identities: () => Promise.resolve({}),
      }),
    };
  }

  it('me lists every configured target with its name and environment', async () => {
    const { broker, config } = await brokerWith(() => Promise.reject(new Error('unused')));
    const r = await broker.me(alice);
    if (!r.ok) throw new Error(r.error.message);
    expect(MeView.parse(r.value).targets).toEqual(
      config.targets.map((t) => ({
        cloud: t.cloud,
        account: t.account,
        environment: t.environment,
        name: t.name,
      })),
    );
    expect(r.value.targets).toContainEqual(expect.objectContaining({ cloud: 'aws', account: PRODUCTION }));
  });

  it('decode: a message the cloud refuses for good is a 400 on encodedMessage, in its words', async () => {
    const { broker } = await brokerWith(() =>
      Promise.reject(
        new ProvisionError(
          'AWS could not decode the message: it is malformed or has expired (decode soon after the denial)',
          false,
          'InvalidAuthorizationMessageException',
        ),
      ),
    );
    const r = await broker.decodeDenial(alice, {
      target: { cloud: 'aws', account: PRODUCTION },
      encodedMessage: 'expired-blob',
    });
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'invalid_request',
        message:
          'encodedMessage: AWS could not decode the message: it is malformed or has expired (decode soon after the denial)',
        fields: [
          {
            path: 'encodedMessage',
            message:
              'encodedMessage: AWS could not decode the message: it is malformed or has expired (decode soon after the denial)',
          },
        ],
      },
    });
  });

  it('decode: a failure worth retrying stays an error of the broker', async () => {
    const { broker } = await brokerWith(() =>
      Promise.reject(new ProvisionError('STS throttled the call', true)),
    );
    await expect(
      broker.decodeDenial(alice, { target: { cloud: 'aws', account: PRODUCTION }, encodedMessage: 'blob' }),
    ).rejects.toThrow(/throttled/);
  });
});

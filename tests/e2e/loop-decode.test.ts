/**
 * With the broker (alice signed in): the EC2 console's "Stop instance" fails with an encoded
 * authorization message (a real one: the AWS fake's STS decodes it). The banner has the broker
 * decode it through the background (`decode-denial` → `POST /api/v1/decode`; the token stays in
 * the background) and shows, and files, the real action and instance instead of asking for them.
 */
import { describe, expect, it } from 'vitest';
import { AccessRequestView } from '../../lib/contract/api.ts';
import { AWS } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  readCard,
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  waitForCard,
  withLoopDiagnostics,
  type LoopE2E,
} from './harness.ts';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

const INSTANCE_ARN = `arn:aws:ec2:${AWS.region}:${AWS.account}:instance/${AWS.instanceId}`;

describe('an encoded message, decoded by the broker', () => {
  it('EC2 Stop instance: the card shows and files ec2:StopInstances on the instance', async () => {
    const page = await loop.open(SIM_URLS.ec2Instances);
    await withLoopDiagnostics(loop, 'loop-decode', [page], async () => {
      await clickPageButton(page, '#stop-instance');
      const card = await waitForCard(page, /Decoded by the broker from the encoded message/);
      expect(card.text).toMatch(/ec2:StopInstances/);
      expect(card.text).toContain(`instance/${AWS.instanceId}`);
      expect(card.text).not.toMatch(/does not name the permission/);
      expect(card.fields).not.toContain('combobox:Permission to request');
      await saveScreenshot(page, 'loop-decode-decoded');

      const justification = 'E2E decode: stop the runaway instance';
      await requestAccessOn(card, justification);
      // Production: waits for an approver; the request names what the broker decoded.
      await waitFor(async () => /Waiting for approval/.test((await readCard(page, card.handle)).text), {
        timeout: 30_000,
        what: 'the request waiting for approval',
      });
      const mine = await loop.api('alice', 'GET', '/requests?mine=true');
      const filed = (mine.json as { items: unknown[] }).items
        .map((r) => AccessRequestView.parse(r))
        .find((r) => r.justification === justification);
      expect(filed).toMatchObject({
        target: { cloud: 'aws', account: AWS.account },
        actions: [{ action: 'ec2:StopInstances', risk: 'write' }],
        resource: INSTANCE_ARN,
        status: 'pending',
      });
      expect(filed?.denial?.encodedMessage).toBeTruthy();
    });
  }, 120_000);
});

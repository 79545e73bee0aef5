/**
 * The partition consoles of lib/clouds.ts in a real browser: the simulated AWS and Azure pages,
 * served under the AWS GovCloud (US) console and the Azure Government portal (sim/consoles/urls.ts),
 * get the content script (the manifest's other match patterns), the background accepts them as
 * console pages and injects the banner, and the page context is read there as on the commercial
 * consoles: the AWS card names the account and its alias, which only the `aws-userInfo` cookie set
 * on the GovCloud console's own domain tells (the EC2 message names neither).
 */
import { describe, it } from 'vitest';
import { AWS, AZURE } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { expectCards, openScenario } from './checks.ts';
import { saveScreenshot, useE2E } from './harness.ts';
import type { E2E } from './harness.ts';
import type { Scenario } from './scenarios.ts';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const PARTITION_SCENARIOS: Scenario[] = [
  {
    id: 'aws-govcloud-ec2-encoded',
    cloud: 'aws',
    title: 'AWS GovCloud (US): Stop instance fails late; account and alias come from the page',
    url: SIM_URLS.ec2InstancesGovCloud,
    trigger: '#stop-instance',
    cards: [
      {
        text: [
          /\bAWS\b/,
          // "<alias> (<account>)": the alias is shown only when read from the cookie.
          new RegExp(`\\b${esc(AWS.alias)}\\s*\\(\\s*${AWS.account}`),
          /encoded|decod|not named|permission to request/i,
        ],
        requestable: true,
      },
    ],
  },
  {
    id: 'azure-gov-vm-start',
    cloud: 'azure',
    title: 'Azure Government portal: Start fails with AuthorizationFailed',
    url: SIM_URLS.azureVmGov,
    trigger: '#vm-start',
    cards: [
      {
        text: [
          /\bAzure\b/,
          /Microsoft\.Compute\/virtualMachines\/start\/action/i,
          new RegExp(AZURE.subscription),
        ],
        requestable: true,
      },
    ],
  },
];

describe('partition consoles (GovCloud, Azure Government)', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  for (const s of PARTITION_SCENARIOS) {
    it(s.title, async () => {
      const { page, cards } = await openScenario(e2e, s);
      try {
        await saveScreenshot(page, s.id);
        expectCards(cards, s.cards);
      } finally {
        await page.close();
      }
    });
  }
});

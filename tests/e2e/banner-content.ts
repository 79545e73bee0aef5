/** One describe block per cloud: the banner's content for every scenario of that cloud. */
import { describe, it } from 'vitest';
import { expectCards, openScenario } from './checks.ts';
import { publishScreenshot, saveScreenshot, useE2E } from './harness.ts';
import type { E2E } from './harness.ts';
import { SCENARIOS } from './scenarios.ts';

/** The scenario whose screenshot goes into the README (docs/screenshots/<cloud>.png). */
const README_SHOT: Record<string, string> = {
  aws: 'aws-lambda',
  azure: 'azure-vm-start',
  gcp: 'gcp-instances',
};

export function describeCloudBanners(cloud: 'aws' | 'azure' | 'gcp', label: string): void {
  describe(`${label} console banners`, () => {
    let e2e: E2E;
    useE2E({}, (s) => (e2e = s));

    for (const s of SCENARIOS.filter((x) => x.cloud === cloud)) {
      it(s.title, async () => {
        const { page, cards } = await openScenario(e2e, s);
        try {
          const shot = await saveScreenshot(page, s.id);
          expectCards(cards, s.cards);
          if (README_SHOT[cloud] === s.id) publishScreenshot(shot, cloud);
        } finally {
          await page.close();
        }
      });
    }
  });
}

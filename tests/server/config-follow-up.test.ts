/** `targets[].followUp` in the broker config: defaults, the documented example, and errors by field. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../server/config/load';

const BASE = `
groups:
  - name: engineers
  - name: platform
  - name: security-leads
users:
  - name: alice
    groups: [engineers]
targets:
  - id: aws-prod
    cloud: aws
    account: "222222222222"
    name: production
    environment: prod
    approverGroup: platform
`;

const withFollowUp = (yaml: string) => `${BASE}    followUp:\n${yaml.replace(/^/gm, '      ')}\n`;

describe('targets[].followUp', () => {
  it('fills the defaults: a reminder after 60 min, every 60, three at most, no escalation', () => {
    const r = checkConfigText(withFollowUp('{}'), 'unblock.yaml');
    expect(r.ok ? r.config.targets[0]!.followUp : r.problems).toEqual({
      remindAfterMinutes: 60,
      maxReminders: 3,
      escalateTo: [],
    });
    const none = checkConfigText(BASE, 'unblock.yaml');
    expect(none.ok && none.config.targets[0]!.followUp).toBeUndefined();
  });

  it('is shown in the documented example with an escalation group', () => {
    const file = join(import.meta.dirname, '../../docs/examples/unblock.yaml');
    const r = checkConfigText(readFileSync(file, 'utf8'), file);
    expect(r.ok ? r.config.targets.find((t) => t.id === 'aws-prod')?.followUp : r.problems).toMatchObject({
      escalateAfterMinutes: 120,
      escalateTo: ['security-leads'],
    });
  });

  it('names the field of each problem', () => {
    const r = checkConfigText(
      withFollowUp('escalateAfterMinutes: 120\nescalateTo: [sec-leads, platform]\nremindAfterMinutes: 0'),
      'unblock.yaml',
    );
    expect(r.ok ? [] : r.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^targets\.0\.followUp\.remindAfterMinutes: /)]),
    );
    const groups = checkConfigText(
      withFollowUp('escalateAfterMinutes: 120\nescalateTo: [sec-leads, platform]'),
      'unblock.yaml',
    );
    expect(groups.ok ? [] : groups.problems).toEqual([
      'targets.0.followUp.escalateTo.0: unknown group "sec-leads" (define it under groups)',
      `targets.0.followUp.escalateTo.1: "platform" is the target's approverGroup already; escalate to another group`,
    ]);
    const half = checkConfigText(withFollowUp('escalateAfterMinutes: 120'), 'unblock.yaml');
    expect(half.ok ? [] : half.problems).toEqual([
      'targets.0.followUp.escalateTo: escalateAfterMinutes needs escalateTo: the groups to escalate to',
    ]);
    const other = checkConfigText(withFollowUp('escalateTo: [security-leads]'), 'unblock.yaml');
    expect(other.ok ? [] : other.problems).toEqual([
      'targets.0.followUp.escalateAfterMinutes: escalateTo needs escalateAfterMinutes: when to escalate',
    ]);
  });
});

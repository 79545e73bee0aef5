// @vitest-environment happy-dom
/**
 * Which account a card names: the message's, not the page's alias paired with another id; the
 * broker's name for it when the page shows none; and, signed in, a line before filing when the
 * broker does not manage it. The background is a fake `ask` (ext-banner-card-fixtures.tsx).
 */
import { describe, expect, it } from 'vitest';
import {
  cardRoot,
  denial,
  mount,
  requestButton,
  text,
  unmount,
  useCardRoot,
} from './ext-banner-card-fixtures';

useCardRoot();

describe('the account on the card', () => {
  const other = denial({
    actions: ['lambda:ListFunctions'],
    account: '111111111111',
    denyKind: 'implicit',
    excerpt:
      'User: arn:aws:sts::111111111111:assumed-role/Developer/alice is not authorized to perform: lambda:ListFunctions',
  });

  it("shows the message's account, not the page's alias paired with another id, and says so", async () => {
    await mount({ denial: other });
    const headline = cardRoot().querySelector('.headline')?.textContent ?? '';
    expect(headline).toBe('Request lambda:ListFunctionsRead on 111111111111 for 1 h');
    expect(headline).not.toContain('prod');
    expect(text()).toContain("The message names account 111111111111, not this page's prod (222222222222).");
    const details = cardRoot().querySelector('.details')?.textContent ?? '';
    expect(details).toContain('Account111111111111');
    expect(details).toContain('This pageprod (222222222222)');
  });

  it("names the account the broker's way, and says before filing when the broker does not manage it", async () => {
    await mount({
      denial: other,
      answers: {
        'check-target': (msg) => ({
          ok: true,
          target:
            msg.type === 'check-target' && msg.target.account === '111111111111'
              ? { status: 'managed', name: 'sandbox', environment: 'dev' }
              : { status: 'unmanaged' },
        }),
      },
    });
    expect(cardRoot().querySelector('.headline')?.textContent).toContain('on sandbox (111111111111)');
    expect(cardRoot().querySelector('.warn')).toBeNull();
    unmount();
    const { ask } = await mount({
      denial: denial({ ...other, account: '333333333333' }),
      answers: { 'check-target': () => ({ ok: true, target: { status: 'unmanaged' } }) },
    });
    expect(ask).toHaveBeenCalledWith({
      type: 'check-target',
      target: { cloud: 'aws', account: '333333333333' },
    });
    expect(cardRoot().querySelector('.warn')?.textContent).toBe(
      'The broker does not manage account 333333333333: a request for it would be refused.',
    );
    expect(requestButton()).toBeDefined();
  });

  it('keeps the alias when the message names the page account, and says nothing when the broker does not know', async () => {
    await mount({
      denial: denial({ ...other, account: '222222222222' }),
      answers: { 'check-target': () => ({ ok: true, target: { status: 'unknown' } }) },
    });
    expect(cardRoot().querySelector('.headline')?.textContent).toContain('on prod (222222222222)');
    expect(cardRoot().querySelector('.warn')).toBeNull();
    expect(text()).not.toContain('not this page');
  });
});

// @vitest-environment happy-dom
/**
 * The card's side of the click guard: a refused click says why and sends nothing; admin or
 * production requests are filed only from the "Confirm request for …" step. The page measurement
 * itself needs a real browser (tests/e2e/banner-overlay.test.ts); here `checkClick` stands in.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ClickVerdict } from '../../components/banner/click-safety';
import {
  cardRoot,
  click,
  confirmButton,
  denial,
  justification,
  mount,
  requestButton,
  text,
  type,
  useCardRoot,
} from './ext-banner-card-fixtures';

useCardRoot();

const admin = denial({
  actions: ['iam:PassRole'],
  resource: 'arn:aws:iam::222222222222:role/deployer',
  confidence: 'high',
});
const read = denial({ actions: ['s3:GetObject'], resource: 'arn:aws:s3:::logs/a.txt', confidence: 'high' });
const managed = (environment: string) => ({
  'check-target': () => ({ ok: true, target: { status: 'managed', name: 'production', environment } }),
});
const button = (name: string) =>
  [...cardRoot().querySelectorAll('button')].find((b) => b.textContent?.trim() === name);

describe('a refused click', () => {
  it('says why on the card, in words, and sends nothing', async () => {
    const { send } = await mount({ denial: read, checkClick: () => ({ ok: false, refusal: 'covered' }) });
    await type(justification(), 'read the logs');
    await click(requestButton());
    expect(send).not.toHaveBeenCalled();
    const alert = cardRoot().querySelector('[role="alert"]');
    expect(alert?.textContent).toBe('The page covered this button; nothing was requested.');
  });

  it('is forgotten once a click is accepted', async () => {
    let verdict: ClickVerdict = { ok: false, refusal: 'too-soon' };
    const { send } = await mount({ denial: read, checkClick: () => verdict });
    await type(justification(), 'read the logs');
    await click(requestButton());
    expect(text()).toContain('had only just appeared or moved');
    verdict = { ok: true };
    await click(requestButton());
    expect(send).toHaveBeenCalledTimes(1);
    expect(text()).not.toContain('nothing was requested');
  });
});

describe('the confirmation step', () => {
  it('files a read on a non-production account at the first click', async () => {
    const { send } = await mount({ denial: read, answers: managed('dev') });
    await type(justification(), 'read the logs');
    await click(requestButton());
    expect(send).toHaveBeenCalledTimes(1);
    expect(confirmButton()).toBeUndefined();
  });

  it('turns the first click on an admin action into "Confirm request for …" with focus on it; the second files', async () => {
    const checkClick = vi.fn((_e: MouseEvent, _button: HTMLElement | null): ClickVerdict => ({ ok: true }));
    const { send } = await mount({ denial: admin, checkClick });
    await type(justification(), 'deploy the hotfix');
    await click(requestButton());
    expect(send).not.toHaveBeenCalled();
    const confirm = confirmButton();
    expect(confirm?.textContent).toBe('Confirm request for iam:PassRole on prod (222222222222)');
    expect(requestButton()).toBeUndefined();
    expect(cardRoot().ownerDocument.activeElement).toBe(confirm);
    await click(confirm!);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0].request.actions).toEqual(['iam:PassRole']);
    // Both clicks went through the guard: the confirmation is judged like the first button.
    expect(checkClick).toHaveBeenCalledTimes(2);
    expect(checkClick.mock.calls[1]![1]).toBe(confirm);
  });

  it('asks for a production target whatever the risk, and the guard can refuse the confirming click', async () => {
    let verdict: ClickVerdict = { ok: true };
    const { send } = await mount({ denial: read, answers: managed('prod'), checkClick: () => verdict });
    await type(justification(), 'read the logs');
    await click(requestButton());
    expect(confirmButton()?.textContent).toBe('Confirm request for s3:GetObject on prod (222222222222)');
    verdict = { ok: false, refusal: 'too-soon' };
    await click(confirmButton()!);
    expect(send).not.toHaveBeenCalled();
    expect(text()).toContain('nothing was requested');
  });

  it('Cancel goes back to "Request access" with focus on it; editing the request asks again', async () => {
    const { send } = await mount({ denial: admin });
    await type(justification(), 'deploy the hotfix');
    await click(requestButton());
    await click(button('Cancel')!);
    expect(confirmButton()).toBeUndefined();
    expect(cardRoot().ownerDocument.activeElement).toBe(requestButton());
    await click(requestButton());
    expect(confirmButton()).toBeDefined();
    await type(justification(), 'deploy the other hotfix');
    expect(confirmButton()).toBeUndefined();
    expect(send).not.toHaveBeenCalled();
  });
});

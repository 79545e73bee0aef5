// @vitest-environment happy-dom
/**
 * The card when the message names no permission (the picker over the service's actions) and when
 * it carries an AWS encoded message (the broker decodes it through the background). The
 * background is a fake `ask` (ext-banner-card-fixtures.tsx); the account: ext-banner-account.test.tsx.
 */
import { act } from 'preact/test-utils';
import { describe, expect, it } from 'vitest';
import {
  cardRoot,
  click,
  confirmButton,
  combobox,
  denial,
  justification,
  key,
  mount,
  options,
  requestButton,
  text,
  type,
  unmount,
  useCardRoot,
  type Answer,
} from './ext-banner-card-fixtures';
import { rankActions, searchActions } from '../../components/banner/action-search';

const S3_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:DeleteBucketPolicy',
  's3:ListBucket',
  's3:GetObjectAcl',
];

useCardRoot();

describe('no permission named: the picker', () => {
  const listS3: Answer = (msg) =>
    msg.type === 'list-actions' && msg.service === 's3'
      ? { ok: true, actions: S3_ACTIONS }
      : { ok: true, actions: [] };

  it('says plainly that the message names no permission, and lists the service actions read-only first with risk', async () => {
    const { ask } = await mount({ answers: { 'list-actions': listS3 } });
    expect(text()).toContain('Access was denied, and the message does not name the permission.');
    expect(ask).toHaveBeenCalledWith({ type: 'list-actions', cloud: 'aws', service: 's3' });
    const input = combobox()!;
    expect(input).not.toBeNull();
    expect(cardRoot().querySelector(`label[for="${input.id}"]`)?.textContent).toBe('Permission to request');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    await key(input, 'ArrowDown');
    expect(input.getAttribute('aria-expanded')).toBe('true');
    const list = cardRoot().querySelector(`#${input.getAttribute('aria-controls')}`)!;
    expect(list.getAttribute('role')).toBe('listbox');
    expect(list.getAttribute('aria-label')).toBe('Actions of s3');
    expect(options()).toEqual([
      's3:GetObjectRead',
      's3:GetObjectAclRead',
      's3:ListBucketRead',
      's3:PutObjectWrite',
      's3:DeleteBucketPolicyAdmin',
    ]);
    expect(input.getAttribute('aria-activedescendant')).toBe(list.querySelector('[role="option"]')!.id);
  });

  it('narrows by name as the user types, picks with the keyboard, and files the picked action', async () => {
    const { send, onDismiss } = await mount({ answers: { 'list-actions': listS3 } });
    const input = combobox()!;
    await type(input, 'get obj');
    expect(options()).toEqual(['s3:GetObjectRead', 's3:GetObjectAclRead']);
    await key(input, 'ArrowDown');
    await key(input, 'ArrowDown');
    expect(cardRoot().querySelector('[aria-selected="true"]')?.textContent).toBe('s3:GetObjectAclRead');
    await key(input, 'Enter');
    expect(input.value).toBe('s3:GetObjectAcl');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(cardRoot().querySelector('.headline')?.textContent).toContain('Request s3:GetObjectAcl');
    // Escape with the list open closes it and keeps the card; with the list closed it dismisses.
    await key(input, 'ArrowDown');
    await key(input, 'Escape');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(onDismiss).not.toHaveBeenCalled();
    await key(input, 'Escape');
    expect(onDismiss).toHaveBeenCalledTimes(1);

    await type(justification(), 'Read the ACL for INC-7');
    await click(requestButton());
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0].request.actions).toEqual(['s3:GetObjectAcl']);
  });

  it('picks with the mouse, and still takes a typed action that is not listed but checks the grammar', async () => {
    const { send } = await mount({ answers: { 'list-actions': listS3 } });
    const input = combobox()!;
    await click(input);
    const put = [...cardRoot().querySelectorAll<HTMLElement>('[role="option"]')].find((o) =>
      o.textContent?.startsWith('s3:PutObject'),
    )!;
    const down = new MouseEvent('mousedown', { bubbles: true, cancelable: true });
    await act(() => {
      put.dispatchEvent(down);
    });
    // Pressing on the list does not take focus from the field (no blur closes the list).
    expect(down.defaultPrevented).toBe(true);
    await click(put);
    expect(input.value).toBe('s3:PutObject');

    await type(justification(), 'Upload the fixed report');
    await type(input, 's3:*');
    await click(requestButton());
    expect(send).not.toHaveBeenCalled();
    expect(text()).toMatch(/Permission to request: not a valid AWS permission/);
    await type(input, 's3:RestoreObject');
    await click(requestButton());
    expect(send.mock.calls[0]![0].request.actions).toEqual(['s3:RestoreObject']);
  });

  it('shows a typed field when the background lists nothing or answers nonsense', async () => {
    await mount({ answers: { 'list-actions': () => ({ ok: true, actions: 'not a list' }) } });
    expect(combobox()).toBeNull();
    expect(text()).toContain('Enter the permission you need.');
    unmount();
    await mount({
      answers: { 'list-actions': () => ({ ok: true, actions: [] }) },
      pageUrl: 'https://console.aws.amazon.com/console/home',
    });
    expect(combobox()).toBeNull();
  });

  it('asks for the Azure provider of the blade and the GCP product of the page', async () => {
    const { ask } = await mount({
      denial: denial({
        cloud: 'azure',
        excerpt: 'You do not have permissions to view the contents of this blade.',
      }),
      context: { cloud: 'azure', account: '22222222-2222-2222-2222-222222222222' },
      pageUrl:
        'https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/app-rg/providers/Microsoft.Storage/storageAccounts/acmeprodst01/overview',
      answers: {
        'list-actions': () => ({
          ok: true,
          actions: [
            'Microsoft.Storage/storageAccounts/read',
            'Microsoft.Storage/storageAccounts/listKeys/action',
          ],
        }),
      },
    });
    expect(ask).toHaveBeenCalledWith({ type: 'list-actions', cloud: 'azure', service: 'Microsoft.Storage' });
    await key(combobox()!, 'ArrowDown');
    expect(options()).toEqual([
      'Microsoft.Storage/storageAccounts/readRead',
      'Microsoft.Storage/storageAccounts/listKeys/actionAdmin',
    ]);
    unmount();
    const gcp = await mount({
      denial: denial({ cloud: 'gcp', excerpt: "You don't have permission to view this information." }),
      context: { cloud: 'gcp', account: 'acme-prod' },
      pageUrl: 'https://console.cloud.google.com/kubernetes/list/overview?project=acme-prod',
    });
    expect(gcp.ask).toHaveBeenCalledWith({ type: 'list-actions', cloud: 'gcp', service: 'container' });
  });
});

describe('encoded messages: decoded by the broker', () => {
  const blob = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
  const ec2 = denial({
    encodedMessage: blob,
    excerpt: `You are not authorized to perform this operation. Encoded authorization failure message: ${blob}`,
    operation: 'StopInstances',
  });
  const ec2Page = 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:';
  const arn = 'arn:aws:ec2:us-east-1:222222222222:instance/i-0abc1234def567890';

  it('shows and files the decoded action and resource instead of asking for them', async () => {
    const { ask, send } = await mount({
      denial: ec2,
      pageUrl: ec2Page,
      answers: {
        'decode-denial': () => ({
          ok: true,
          decoded: {
            actions: ['ec2:StopInstances'],
            resource: arn,
            summary: `arn:aws:sts::222222222222:assumed-role/Developer/alice was denied ec2:StopInstances on ${arn}`,
          },
        }),
        'list-actions': () => ({ ok: true, actions: ['ec2:DescribeInstances'] }),
        'check-target': () => ({
          ok: true,
          target: { status: 'managed', name: 'production', environment: 'prod' },
        }),
      },
    });
    expect(ask).toHaveBeenCalledWith({
      type: 'decode-denial',
      target: { cloud: 'aws', account: '222222222222' },
      encodedMessage: blob,
    });
    expect(cardRoot().querySelector('.headline')?.textContent).toBe(
      'Request ec2:StopInstancesWrite on instance/i-0abc1234def567890 in prod (222222222222) for 1 h',
    );
    expect(text()).toContain('Decoded by the broker from the encoded message.');
    expect(text()).not.toContain('does not name the permission');
    expect(combobox()).toBeNull();
    expect(cardRoot().querySelector('.details')?.textContent).toContain(
      'Decoded by the broker: arn:aws:sts::',
    );
    await type(justification(), 'Stop the runaway instance');
    await click(requestButton());
    // A production account (the broker says `prod`): filed only on the confirmation's click.
    expect(send).not.toHaveBeenCalled();
    await click(confirmButton()!);
    const request = send.mock.calls[0]![0].request;
    expect(request.actions).toEqual(['ec2:StopInstances']);
    expect(request.resource).toBe(arn);
    expect(request.denial.encodedMessage).toBe(blob);
  });

  it('falls back to the picker and says why in one line when the broker cannot decode', async () => {
    await mount({
      denial: ec2,
      pageUrl: ec2Page,
      answers: {
        'decode-denial': () => ({
          ok: false,
          error: 'sign in to Unblock (options page) to have the broker decode it',
        }),
        'list-actions': (msg) =>
          msg.type === 'list-actions' && msg.service === 'ec2'
            ? { ok: true, actions: ['ec2:StopInstances', 'ec2:DescribeInstances'] }
            : { ok: true, actions: [] },
      },
    });
    const line = [...cardRoot().querySelectorAll('[role="status"]')].find((p) =>
      p.textContent?.startsWith('Not decoded'),
    );
    expect(line?.textContent).toBe(
      'Not decoded: sign in to Unblock (options page) to have the broker decode it.',
    );
    expect(text()).toContain('does not name the permission');
    expect(combobox()?.placeholder).toBe('ec2:StopInstances');
    await key(combobox()!, 'ArrowDown');
    expect(options()).toEqual(['ec2:DescribeInstancesRead', 'ec2:StopInstancesWrite']);
  });

  it('does not ask without an account, nor for a decoded answer naming no valid action', async () => {
    const { ask } = await mount({ denial: ec2, pageUrl: ec2Page, context: { cloud: 'aws' } });
    expect(ask.mock.calls.some(([m]) => m.type === 'decode-denial')).toBe(false);
    expect(text()).toContain('Not decoded: the page does not say which account it is.');
    unmount();
    await mount({
      denial: ec2,
      pageUrl: ec2Page,
      answers: {
        'decode-denial': () => ({ ok: true, decoded: { actions: ['ec2:*'], resource: null, summary: 'x' } }),
      },
    });
    expect(text()).toContain('Not decoded: the decoded message names no action.');
  });
});

describe('rankActions / searchActions', () => {
  it('orders read, write, admin then by name, matches every typed word and caps the list', () => {
    const ranked = rankActions('gcp', [
      'compute.instances.setIamPolicy',
      'compute.instances.start',
      'compute.instances.list',
      'compute.instances.get',
    ]);
    expect(ranked.map((r) => `${r.action} ${r.risk}`)).toEqual([
      'compute.instances.get read',
      'compute.instances.list read',
      'compute.instances.start write',
      'compute.instances.setIamPolicy admin',
    ]);
    expect(searchActions(ranked, 'Compute SET iam').shown.map((r) => r.action)).toEqual([
      'compute.instances.setIamPolicy',
    ]);
    expect(searchActions(ranked, 'instances.list').shown.map((r) => r.action)).toEqual([
      'compute.instances.list',
    ]);
    const many = rankActions(
      'aws',
      Array.from({ length: 120 }, (_, i) => `ec2:DescribeThing${i}`),
    );
    expect(searchActions(many, '')).toMatchObject({ total: 120 });
    expect(searchActions(many, '').shown).toHaveLength(50);
    expect(searchActions(many, 'thing11').total).toBe(11);
  });
});

import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import background, { WATCH_ALARM } from '../../entrypoints/background';
import { computeBadge, REVIEW_COLOR, ACTIVE_COLOR } from '../../lib/background/badge';
import type { AccessRequestView, GrantView } from '../../lib/contract/api';
import { closeDrafts, notifiedStore } from '../../lib/background/drafts';
import {
  createBrokerNotifier,
  createNotifierApi,
  EXTEND_JUSTIFICATION,
  expiringGrantId,
  type NotificationContent,
} from '../../lib/background/notifications';
import { API_TOKEN_KEY, BROKER_URL_KEY } from '../../lib/extension/settings';
import { grantView, json, requestView, resetBackgroundState } from './ext-broker-fixtures';

const BROKER = 'http://127.0.0.1:8787';
const NOW = Date.parse('2026-03-02T10:27:00.000Z');
const me = (approver: boolean) => ({
  user: 'alice',
  displayName: null,
  groups: [],
  approver,
  auditor: false,
});

interface World {
  approver: boolean;
  mine: AccessRequestView[];
  pending: AccessRequestView[];
  grants: GrantView[];
  extendAnswer: AccessRequestView;
}

function world(patch: Partial<World> = {}): World {
  return {
    approver: false,
    mine: [],
    pending: [],
    grants: [],
    extendAnswer: requestView({ id: 'req_ext', status: 'pending', linkedGrantId: 'grt_1' }),
    ...patch,
  };
}

/** A fake broker API over `fetch`, so the paths and bodies are checked too. */
function fakeFetch(w: World) {
  return vi.fn((url: string, init?: RequestInit) => {
    const path = url.slice(`${BROKER}/api/v1`.length);
    const method = init?.method ?? 'GET';
    let body: unknown;
    if (path === '/me') body = me(w.approver);
    else if (path === '/requests?mine=true') body = { items: w.mine, nextCursor: null };
    else if (path === '/requests?status=pending') body = { items: w.pending, nextCursor: null };
    else if (path === '/grants?mine=true&status=active') body = { items: w.grants, nextCursor: null };
    else if (path.startsWith('/grants/') && path.endsWith('/extend') && method === 'POST')
      return Promise.resolve(json(201, w.extendAnswer));
    else if (path.startsWith('/grants/'))
      body = w.grants.find((g) => g.id === decodeURIComponent(path.slice(8)));
    else if (path.startsWith('/requests/'))
      body = [...w.mine, ...w.pending].find((r) => r.id === decodeURIComponent(path.slice(10)));
    return Promise.resolve(
      body ? json(200, body) : json(404, { error: { code: 'not_found', message: 'no' } }),
    );
  });
}

function watcherFor(w: World, opts: { token?: string | null; now?: number } = {}) {
  const fetchMock = fakeFetch(w);
  const shown: Array<[string, NotificationContent]> = [];
  const badges: Array<{ text: string; color: string; title: string }> = [];
  const watcher = createBrokerNotifier({
    api: () =>
      Promise.resolve(
        createNotifierApi({
          baseUrl: BROKER,
          getToken: () => Promise.resolve(opts.token === undefined ? 'tok' : opts.token),
          fetch: fetchMock as unknown as typeof fetch,
        }),
      ),
    seen: notifiedStore,
    show: (id, content) => {
      shown.push([id, content]);
      return Promise.resolve();
    },
    badge: (b) => {
      badges.push(b);
      return Promise.resolve();
    },
    tracked: (id) => Promise.resolve(id === 'req_1'),
    now: () => opts.now ?? NOW,
  });
  return { watcher, fetchMock, shown, badges };
}

beforeEach(async () => {
  await resetBackgroundState();
});
afterEach(() => {
  closeDrafts();
  vi.unstubAllGlobals();
});

describe('badge', () => {
  it('counts requests to review for approvers, otherwise active grants', () => {
    expect(computeBadge({ toReview: 3, activeGrants: 1 })).toEqual({
      text: '3',
      color: REVIEW_COLOR,
      title: 'Unblock: 3 requests to review, 1 active grant',
    });
    expect(computeBadge({ toReview: 0, activeGrants: 2 })).toEqual({
      text: '2',
      color: ACTIVE_COLOR,
      title: 'Unblock: 2 active grants',
    });
    expect(computeBadge({ toReview: null, activeGrants: 0 }).text).toBe('');
    expect(computeBadge({ toReview: 250, activeGrants: 0 }).text).toBe('99+');
  });

  it('counts only requests others filed (not the approver’s own) and the user’s active grants', async () => {
    const w = world({
      approver: true,
      pending: [
        requestView({ id: 'req_b', requester: 'bob', createdAt: '2026-03-02T10:20:00.000Z' }),
        requestView({ id: 'req_own', requester: 'alice' }),
        requestView({ id: 'req_c', requester: 'carol' }),
      ],
      grants: [grantView({ status: 'active', expiresAt: '2026-03-02T11:00:00.000Z' })],
    });
    const { watcher, fetchMock, badges } = watcherFor(w);
    expect(await watcher.poll()).toMatchObject({ user: 'alice', toReview: 2, activeGrants: 1 });
    expect(badges.at(-1)).toMatchObject({ text: '2', color: REVIEW_COLOR });
    const urls = fetchMock.mock.calls.map(([u]) => u);
    expect(urls).toContain(`${BROKER}/api/v1/requests?status=pending`);
    expect(urls).toContain(`${BROKER}/api/v1/grants?mine=true&status=active`);
    const auth = (fetchMock.mock.calls[0]![1]!.headers as Record<string, string>).Authorization;
    expect(auth).toBe('Bearer tok');

    // A requester: no queue asked for, the badge counts active grants.
    const r = watcherFor(world({ grants: w.grants }));
    expect(await r.watcher.poll()).toMatchObject({ toReview: null, activeGrants: 1 });
    expect(r.badges.at(-1)).toMatchObject({ text: '1', color: ACTIVE_COLOR });
    expect(r.fetchMock.mock.calls.map(([u]) => u)).not.toContain(`${BROKER}/api/v1/requests?status=pending`);
  });

  it('clears the badge when not signed in', async () => {
    const { watcher, badges, shown } = watcherFor(world(), { token: null });
    expect(await watcher.poll()).toBeNull();
    expect(badges).toEqual([expect.objectContaining({ text: '' })]);
    expect(shown).toEqual([]);
  });
});

describe('notifications', () => {
  const approved = requestView({
    status: 'approved',
    grantId: 'grt_1',
    decidedAt: '2026-03-02T10:25:00.000Z',
  });
  const denied = requestView({
    id: 'req_2',
    status: 'denied',
    decidedAt: '2026-03-02T10:26:00.000Z',
    denials: [{ approver: 'bob', at: '2026-03-02T10:26:00.000Z', comment: 'Use the staging account' }],
  });

  it('tells about decisions once, across polls and a restarted worker', async () => {
    const w = world({
      mine: [
        approved,
        denied,
        requestView({ id: 'req_old', status: 'approved', decidedAt: '2026-03-01T09:00:00.000Z' }),
      ],
      approver: true,
      pending: [requestView({ id: 'req_b', requester: 'bob', justification: 'INC-7 restart' })],
    });
    const first = watcherFor(w);
    await first.watcher.poll();
    expect(first.shown.map(([id]) => id)).toEqual([
      'unblock:approved:req_1',
      'unblock:denied:req_2',
      'unblock:review:req_b',
    ]);
    const [, ok] = first.shown[0]!;
    expect(ok.title).toBe('Access approved');
    expect(ok.message).toMatch(/ec2:StopInstances on production \(prod\): signing you in to the console now/);
    expect(first.shown[1]![1]).toMatchObject({ title: 'Access denied' });
    expect(first.shown[1]![1].message).toContain('bob: “Use the staging account”');
    expect(first.shown[2]![1].message).toMatch(
      /^bob asks for ec2:StopInstances on production .*INC-7 restart/,
    );

    await first.watcher.poll();
    expect(first.shown).toHaveLength(3);
    // A new worker (the dedupe lives in IndexedDB, not in memory).
    closeDrafts();
    const second = watcherFor(w);
    await second.watcher.poll();
    expect(second.shown).toEqual([]);
  });

  it('warns five minutes before a grant ends, and again after an extension', async () => {
    const grant = grantView({ status: 'active', expiresAt: '2026-03-02T10:31:00.000Z' });
    const early = watcherFor(world({ grants: [grant] }), { now: Date.parse('2026-03-02T10:25:00.000Z') });
    await early.watcher.poll();
    expect(early.shown).toEqual([]); // six minutes left
    const t = watcherFor(world({ grants: [grant] }), { now: Date.parse('2026-03-02T10:27:00.000Z') });
    await t.watcher.poll();
    expect(t.shown).toHaveLength(1);
    const [id, content] = t.shown[0]!;
    expect(expiringGrantId(id)).toBe('grt_1');
    expect(content).toEqual({
      title: 'Access ending soon',
      message: 'ec2:StopInstances on production (prod) ends in 4 minutes.',
      extend: true,
    });
    await t.watcher.poll();
    expect(t.shown).toHaveLength(1);
    const later = watcherFor(world({ grants: [{ ...grant, expiresAt: '2026-03-02T11:01:00.000Z' }] }), {
      now: Date.parse('2026-03-02T10:57:00.000Z'),
    });
    await later.watcher.poll();
    expect(later.shown).toHaveLength(1);
  });

  it('extends from the notification with the same duration and the default justification', async () => {
    const grant = grantView({ status: 'active', expiresAt: '2026-03-02T10:31:00.000Z' });
    const w = world({ grants: [grant], mine: [requestView({ durationMinutes: 45 })] });
    const t = watcherFor(w);
    await t.watcher.poll();
    const [id] = t.shown[0]!;
    await t.watcher.onButton(id, 0);
    const post = t.fetchMock.mock.calls.find(([, init]) => init?.method === 'POST')!;
    expect(post[0]).toBe(`${BROKER}/api/v1/grants/grt_1/extend`);
    expect(JSON.parse(post[1]!.body as string)).toEqual({
      durationMinutes: 45,
      justification: EXTEND_JUSTIFICATION,
    });
    expect(t.shown.at(-1)).toEqual([
      'unblock:extend:grt_1',
      {
        title: 'Extension requested',
        message: expect.stringMatching(/^production \(prod\): waiting for approval/) as unknown,
      },
    ]);

    // Auto-approved by policy.
    w.extendAnswer = requestView({
      id: 'req_ext2',
      status: 'approved',
      durationMinutes: 45,
      linkedGrantId: 'grt_1',
    });
    await t.watcher.onClick(id, true); // Firefox: no buttons, the click extends
    expect(t.shown.at(-1)![1]).toEqual({
      title: 'Access extended',
      message: 'production (prod): 45 more minutes',
    });
    // A plain click elsewhere (Chrome) does not extend.
    const posts = t.fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST').length;
    await t.watcher.onClick(id, false);
    await t.watcher.onButton('unblock:approved:req_1', 0);
    expect(t.fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST').length).toBe(posts);
  });

  it('reports a refused extension', async () => {
    const grant = grantView({ status: 'active', expiresAt: '2026-03-02T10:31:00.000Z' });
    const t = watcherFor(world({ grants: [grant], mine: [requestView()] }));
    t.fetchMock.mockImplementationOnce(() => Promise.resolve(json(200, grant)));
    t.fetchMock.mockImplementationOnce(() => Promise.resolve(json(200, requestView())));
    t.fetchMock.mockImplementationOnce(() =>
      Promise.resolve(json(409, { error: { code: 'conflict', message: 'the grant is no longer active' } })),
    );
    await t.watcher.extend('grt_1');
    expect(t.shown.at(-1)![1]).toEqual({
      title: 'Could not extend',
      message: 'the grant is no longer active',
    });
  });
});

describe('background wiring', () => {
  it('polls on the watch alarm: sets the badge and shows notifications with an Extend button', async () => {
    const w = world({
      approver: true,
      mine: [requestView()],
      pending: [requestView({ id: 'req_b', requester: 'bob' })],
      grants: [grantView({ status: 'active', expiresAt: new Date(Date.now() + 3 * 60_000).toISOString() })],
    });
    const fetchMock = fakeFetch(w);
    vi.stubGlobal('fetch', fetchMock);
    const action = {
      setBadgeText: vi.fn().mockResolvedValue(undefined),
      setBadgeBackgroundColor: vi.fn().mockResolvedValue(undefined),
      setTitle: vi.fn().mockResolvedValue(undefined),
    };
    Object.assign(fakeBrowser.action, action);
    const create = vi.spyOn(fakeBrowser.notifications, 'create');
    const calls = () => create.mock.calls as unknown as Array<[string, Record<string, unknown>]>;
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: BROKER, [API_TOKEN_KEY]: 'ubk_api' });
    background.main();
    await vi.waitFor(async () => expect(await fakeBrowser.alarms.get(WATCH_ALARM)).toBeDefined());
    await fakeBrowser.alarms.onAlarm.trigger({ name: WATCH_ALARM, scheduledTime: Date.now() });
    await vi.waitFor(() => expect(action.setBadgeText).toHaveBeenCalledWith({ text: '1' }));
    expect(action.setBadgeBackgroundColor).toHaveBeenCalledWith({ color: REVIEW_COLOR });
    await vi.waitFor(() => expect(create).toHaveBeenCalledTimes(2));
    const ids = calls().map(([id]) => id);
    expect(ids[0]).toBe('unblock:review:req_b');
    expect(expiringGrantId(ids[1]!)).toBe('grt_1');
    expect(calls()[1]![1]).toMatchObject({ type: 'basic', buttons: [{ title: 'Extend' }] });
    expect((fetchMock.mock.calls[0]![1]!.headers as Record<string, string>).Authorization).toBe(
      'Bearer ubk_api',
    );

    // The button extends.
    await fakeBrowser.notifications.onButtonClicked.trigger(ids[1]!, 0);
    await vi.waitFor(() =>
      expect(fetchMock.mock.calls.some(([u]) => u === `${BROKER}/api/v1/grants/grt_1/extend`)).toBe(true),
    );
  });
});

// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Options, type OptionsDeps } from '../../components/Options';
import type { OptionsAuth } from '../../components/OptionsSignIn';
import {
  closeDrafts,
  DB_NAME,
  NOTIFIED_STORE,
  notifiedStore,
  REQUESTS_STORE,
} from '../../lib/background/drafts';
import type { BrokerSettings } from '../../lib/extension/settings';
import { json } from './ext-broker-fixtures';
import { meView } from './ext-popup-fixtures';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const tick = () =>
  act(async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
  });
/** Twice: the sign-in block mounts once the settings load, then loads its own state. */
const flush = async () => {
  await tick();
  await tick();
};

function deps(settings: BrokerSettings, auth: OptionsAuth) {
  const fetchMock = vi.fn(() => Promise.resolve(json(200, meView())));
  return {
    load: vi.fn(() => Promise.resolve(settings)),
    save: vi.fn(() => Promise.resolve({ ok: true as const, value: settings })),
    clear: vi.fn(() => Promise.resolve()),
    requestOrigin: vi.fn(() => Promise.resolve(true)),
    fetch: fetchMock as unknown as typeof fetch,
    auth,
    token: vi.fn(() => Promise.resolve('at-1')),
  } satisfies OptionsDeps;
}

function fakeAuth(signedIn: boolean, notice: string | null = null) {
  let user: string | null = signedIn ? 'alice' : null;
  return {
    status: vi.fn(() => Promise.resolve(user ? { user } : null)),
    notice: vi.fn(() => Promise.resolve(notice)),
    signIn: vi.fn(() => {
      user = 'alice';
      return Promise.resolve({ user });
    }),
    signOut: vi.fn(() => {
      user = null;
      return Promise.resolve();
    }),
  } satisfies OptionsAuth;
}

const button = (text: string) =>
  [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === text);

describe('options page sign-in', () => {
  it('signs in, shows who, and signs out', async () => {
    const auth = fakeAuth(false);
    const d = deps({ brokerUrl: 'https://unblock.example.com', token: null }, auth);
    await act(() => render(<Options deps={d} />, root));
    await flush();
    expect(root.textContent).not.toContain('Signed in as');
    await act(() => button('Sign in')!.click());
    await flush();
    expect(auth.signIn).toHaveBeenCalledWith('https://unblock.example.com');
    expect(root.querySelector('.signed-in')?.textContent).toBe('Signed in as alice');
    // The connection check used the OAuth token.
    expect(d.token).toHaveBeenCalled();
    expect(root.querySelector('.connection')?.textContent).toBe('Connected as alice');
    await act(() => button('Sign out')!.click());
    await flush();
    expect(auth.signOut).toHaveBeenCalled();
    expect(root.textContent).not.toContain('Signed in as');
    expect(button('Sign in')).toBeDefined();
  });

  it('says "Signing out…", not "Signing in…", while the sign-out is on its way', async () => {
    const auth = fakeAuth(true);
    let finish: () => void = () => undefined;
    auth.signOut.mockImplementationOnce(() => new Promise<void>((resolve) => (finish = resolve)));
    const d = deps({ brokerUrl: 'https://unblock.example.com', token: null }, auth);
    await act(() => render(<Options deps={d} />, root));
    await flush();
    await act(() => button('Sign out')!.click());
    await flush();
    expect(button('Signing in…')).toBeUndefined();
    expect(button('Signing out…')?.disabled).toBe(true);
    await act(() => finish());
    await flush();
    expect(button('Sign in')?.disabled).toBe(false);
  });

  it('says why the user was signed out, and shows a failed sign-in', async () => {
    const auth = fakeAuth(false, 'Signed out: the broker ended your session (revoked).');
    auth.signIn.mockRejectedValueOnce(new Error('sign-in was cancelled'));
    const d = deps({ brokerUrl: 'https://unblock.example.com', token: null }, auth);
    await act(() => render(<Options deps={d} />, root));
    await flush();
    expect(root.textContent).toContain('Signed out: the broker ended your session');
    await act(() => button('Sign in')!.click());
    await flush();
    expect(root.textContent).toContain('Sign-in failed: sign-in was cancelled');
  });

  it('shows a broker URL set by policy read-only, without Forget', async () => {
    const d = deps({ brokerUrl: 'https://unblock.corp.example', token: null, managed: true }, fakeAuth(true));
    await act(() => render(<Options deps={d} />, root));
    await flush();
    const input = root.querySelector<HTMLInputElement>('#broker-url')!;
    expect(input.value).toBe('https://unblock.corp.example');
    expect(input.readOnly).toBe(true);
    expect(root.textContent).toContain('Set by your organisation’s policy');
    expect(button('Forget broker')).toBeUndefined();
    expect(root.querySelector('.signed-in')?.textContent).toBe('Signed in as alice');
  });
});

describe('IndexedDB upgrade', () => {
  it('adds the notified store to a version 1 database without losing followed requests', async () => {
    closeDrafts();
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = resolve;
    });
    const v1 = await openDB(DB_NAME, 1, {
      upgrade(db) {
        db.createObjectStore('drafts', { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
        db.createObjectStore(REQUESTS_STORE, { keyPath: 'requestId' });
      },
    });
    await v1.put(REQUESTS_STORE, { requestId: 'req_1', phase: 'request' });
    v1.close();
    await notifiedStore.add('unblock:approved:req_1', 1000);
    expect(await notifiedStore.has('unblock:approved:req_1')).toBe(true);
    await notifiedStore.add('unblock:denied:req_2', 5000);
    await notifiedStore.prune(2000);
    expect(await notifiedStore.has('unblock:approved:req_1')).toBe(false);
    expect(await notifiedStore.has('unblock:denied:req_2')).toBe(true);
    closeDrafts();
    const db = await openDB(DB_NAME);
    expect(db.version).toBe(2);
    expect(db.objectStoreNames.contains(NOTIFIED_STORE)).toBe(true);
    expect(await db.getAll(REQUESTS_STORE)).toEqual([{ requestId: 'req_1', phase: 'request' }]);
    db.close();
  });
});

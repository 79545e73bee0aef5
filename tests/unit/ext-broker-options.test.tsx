// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Options, originPattern, type OptionsDeps } from '../../components/Options';
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

const flush = () =>
  act(async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
  });

function deps(stored: BrokerSettings | null, fetchImpl: (url: string) => Promise<Response>) {
  let current = stored;
  const d = {
    load: vi.fn(() => Promise.resolve(current)),
    save: vi.fn((input: { brokerUrl: string; token?: string | null }) => {
      current = {
        brokerUrl: input.brokerUrl.replace(/\/$/, ''),
        token: input.token ?? current?.token ?? null,
      };
      return Promise.resolve({ ok: true as const, value: current });
    }),
    clear: vi.fn(() => {
      current = null;
      return Promise.resolve();
    }),
    requestOrigin: vi.fn(() => Promise.resolve(true)),
    fetch: vi.fn(fetchImpl) as unknown as typeof fetch,
  } satisfies OptionsDeps;
  return d;
}

async function fill(id: string, value: string) {
  const input = root.querySelector<HTMLInputElement>(`#${id}`)!;
  await act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

const submit = () =>
  act(() => {
    root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });

const connection = () => root.querySelector('[role="status"]')?.textContent ?? '';

describe('options page', () => {
  it('saves URL and token, and says who it is connected as', async () => {
    const d = deps(null, () => Promise.resolve(json(200, meView())));
    await act(() => render(<Options deps={d} />, root));
    await flush();
    expect(root.querySelector('label[for="broker-url"]')?.textContent).toBe('Broker URL');
    expect(root.querySelector('label[for="api-token"]')?.textContent).toBe('API token');
    await fill('broker-url', 'http://127.0.0.1:8787/');
    await fill('api-token', 'tok-1');
    await submit();
    await flush();
    expect(d.requestOrigin).not.toHaveBeenCalled(); // loopback is in the manifest
    expect(d.save).toHaveBeenCalledWith({ brokerUrl: 'http://127.0.0.1:8787/', token: 'tok-1' });
    expect(connection()).toBe('Connected as alice');
    expect(d.fetch).toHaveBeenCalledWith('http://127.0.0.1:8787/api/v1/me', expect.anything());
    // The token is never shown back.
    expect(root.querySelector<HTMLInputElement>('#api-token')!.value).toBe('');
    expect(root.innerHTML).not.toContain('tok-1');
  });

  it('asks for another broker origin, names invalid URLs, and reports a refused token', async () => {
    const d = deps(null, () =>
      Promise.resolve(json(401, { error: { code: 'unauthorized', message: 'invalid or expired token' } })),
    );
    await act(() => render(<Options deps={d} />, root));
    await fill('broker-url', 'ftp://x');
    await submit();
    await flush();
    expect(root.querySelector('[role="alert"]')?.textContent).toMatch(/^Broker URL: /);
    expect(root.querySelector('#broker-url')?.getAttribute('aria-invalid')).toBe('true');
    expect(d.save).not.toHaveBeenCalled();

    await fill('broker-url', 'https://unblock.example.com:8443');
    await fill('api-token', 'bad');
    await submit();
    await flush();
    expect(d.requestOrigin).toHaveBeenCalledWith('https://unblock.example.com/*');
    expect(connection()).toMatch(/^Not connected: The broker refused the API token/);
  });

  it('does not save when the permission is refused', async () => {
    const d = deps(null, () => Promise.resolve(json(200, { items: [], nextCursor: null })));
    d.requestOrigin.mockResolvedValue(false);
    await act(() => render(<Options deps={d} />, root));
    await fill('broker-url', 'https://unblock.example.com');
    await submit();
    await flush();
    expect(d.save).not.toHaveBeenCalled();
    expect(root.querySelector('[role="alert"]')?.textContent).toMatch(/permission/);
  });

  it('checks the stored settings on load, names the user who has no requests yet, and can forget the broker', async () => {
    // The broker knows bob, who has filed nothing: the check asks who the token is, not whose
    // requests come back.
    const d = deps({ brokerUrl: 'http://127.0.0.1:8787', token: 'tok' }, (url) =>
      Promise.resolve(
        url.endsWith('/api/v1/me')
          ? json(200, meView({ user: 'bob' }))
          : json(200, { items: [], nextCursor: null }),
      ),
    );
    await act(() => render(<Options deps={d} />, root));
    await flush();
    expect(root.querySelector<HTMLInputElement>('#broker-url')!.value).toBe('http://127.0.0.1:8787');
    expect(root.querySelector<HTMLInputElement>('#api-token')!.placeholder).toMatch(/^Saved/);
    expect(connection()).toBe('Connected as bob');
    const forget = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Forget broker')!;
    await act(() => {
      forget.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    await flush();
    expect(d.clear).toHaveBeenCalled();
    expect(connection()).toBe('');
  });

  it('warns about plain http off loopback', async () => {
    const d = deps(null, () => Promise.resolve(json(200, { items: [], nextCursor: null })));
    await act(() => render(<Options deps={d} />, root));
    await fill('broker-url', 'http://broker.internal:8787');
    expect(root.textContent).toContain('unencrypted');
  });

  it('requests host patterns without ports', () => {
    expect(originPattern('http://127.0.0.1:8787')).toBeNull();
    expect(originPattern('http://localhost:9000/x')).toBeNull();
    expect(originPattern('https://localhost:8443')).toBe('https://localhost/*');
    expect(originPattern('http://broker.internal:8787')).toBe('http://broker.internal/*');
  });
});

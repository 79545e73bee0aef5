import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import {
  API_TOKEN_KEY,
  BROKER_URL_KEY,
  checkBrokerUrl,
  checkToken,
  clearSettings,
  loadSettings,
  restrictSettingsAccess,
  saveSettings,
} from '../../lib/extension/settings';

beforeEach(() => fakeBrowser.reset());

describe('broker URL validation', () => {
  it('accepts http(s) URLs and normalises them', () => {
    expect(checkBrokerUrl(' http://127.0.0.1:8787/ ')).toEqual({
      ok: true,
      value: { url: 'http://127.0.0.1:8787', origin: 'http://127.0.0.1:8787', insecure: false },
    });
    expect(checkBrokerUrl('https://unblock.example.com/broker/api/v1')).toMatchObject({
      ok: true,
      value: { url: 'https://unblock.example.com/broker', insecure: false },
    });
    expect(checkBrokerUrl('http://localhost:8787')).toMatchObject({ ok: true, value: { insecure: false } });
    // Plain http off loopback works, but is flagged: the token would cross the network in clear.
    expect(checkBrokerUrl('http://broker.internal:8787')).toMatchObject({
      ok: true,
      value: { insecure: true },
    });
  });

  it('refuses anything else, naming the field', () => {
    for (const bad of [
      '',
      'not a url',
      'ftp://broker.example.com',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://user:pw@broker.example.com',
      'https://broker.example.com/?token=x',
      'https://broker.example.com/#x',
      `https://b.example.com/${'a'.repeat(3000)}`,
    ]) {
      const r = checkBrokerUrl(bad);
      expect(r.ok, bad).toBe(false);
      expect(!r.ok && r.error).toMatch(/^Broker URL: /);
    }
  });

  it('checks tokens', () => {
    expect(checkToken('  ubk_abc.def-123  ')).toEqual({ ok: true, value: 'ubk_abc.def-123' });
    expect(checkToken('')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^API token: required/) as unknown,
    });
    expect(checkToken('two words')).toMatchObject({ ok: false });
    expect(checkToken('x'.repeat(5000))).toMatchObject({ ok: false });
  });
});

describe('settings storage', () => {
  it('is empty until configured, and stores URL and token under their keys', async () => {
    expect(await loadSettings()).toBeNull();
    const saved = await saveSettings({ brokerUrl: 'http://127.0.0.1:8787/', token: 'tok-1' });
    expect(saved).toEqual({ ok: true, value: { brokerUrl: 'http://127.0.0.1:8787', token: 'tok-1' } });
    expect(await fakeBrowser.storage.local.get([BROKER_URL_KEY, API_TOKEN_KEY])).toEqual({
      [BROKER_URL_KEY]: 'http://127.0.0.1:8787',
      [API_TOKEN_KEY]: 'tok-1',
    });
    // Token omitted: kept (the options page never shows it back); null: removed.
    await saveSettings({ brokerUrl: 'https://unblock.example.com' });
    expect(await loadSettings()).toEqual({ brokerUrl: 'https://unblock.example.com', token: 'tok-1' });
    await saveSettings({ brokerUrl: 'https://unblock.example.com', token: null });
    expect(await loadSettings()).toEqual({ brokerUrl: 'https://unblock.example.com', token: null });
    await clearSettings();
    expect(await loadSettings()).toBeNull();
  });

  it('reads settings seeded straight into storage (how an e2e test configures the extension)', async () => {
    await fakeBrowser.storage.local.set({
      [BROKER_URL_KEY]: 'http://127.0.0.1:9999',
      [API_TOKEN_KEY]: 'seeded',
    });
    expect(await loadSettings()).toEqual({ brokerUrl: 'http://127.0.0.1:9999', token: 'seeded' });
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: 'javascript:alert(1)' });
    expect(await loadSettings()).toBeNull();
  });

  it('refuses invalid input without storing anything', async () => {
    expect(await saveSettings({ brokerUrl: 'ftp://x', token: 'tok' })).toMatchObject({ ok: false });
    expect(await saveSettings({ brokerUrl: 'https://x.example.com', token: 'has space' })).toMatchObject({
      ok: false,
    });
    expect(await fakeBrowser.storage.local.get(null)).toEqual({});
  });

  it('restricts storage.local to trusted contexts where the browser can, and tolerates the rest', async () => {
    const local = fakeBrowser.storage.local as unknown as { setAccessLevel?: unknown };
    const setAccessLevel = vi.fn().mockResolvedValue(undefined);
    local.setAccessLevel = setAccessLevel;
    await saveSettings({ brokerUrl: 'http://127.0.0.1:8787', token: 'tok' });
    expect(setAccessLevel).toHaveBeenCalledWith({ accessLevel: 'TRUSTED_CONTEXTS' });
    local.setAccessLevel = vi.fn().mockRejectedValue(new Error('not supported'));
    await expect(restrictSettingsAccess()).resolves.toBeUndefined();
    delete local.setAccessLevel;
    await expect(restrictSettingsAccess()).resolves.toBeUndefined();
  });
});

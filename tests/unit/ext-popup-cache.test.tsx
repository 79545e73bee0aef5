import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { popupCacheKey, PopupSnapshot } from '../../components/popup/popup-data';
import { CACHE_DB_NAME, idbCache, memoryCache } from '../../lib/extension/cache';
import { grantView } from './ext-broker-fixtures';
import { meView } from './ext-popup-fixtures';

const snapshot: PopupSnapshot = { me: meView(), grants: [grantView()], requests: [] };

describe('popup cache (IndexedDB unblock-cache)', () => {
  it('keeps the last snapshot per broker, in its own database, validated on read', async () => {
    const cache = idbCache();
    const key = popupCacheKey('http://127.0.0.1:8787');
    expect(await cache.get(key, PopupSnapshot)).toBeUndefined();
    await cache.put(key, snapshot, new Date('2026-03-02T10:00:00.000Z'));
    expect(await cache.get(key, PopupSnapshot)).toEqual({
      savedAt: '2026-03-02T10:00:00.000Z',
      data: snapshot,
    });
    // A second instance (the next popup) reads it back.
    expect((await idbCache().get(key, PopupSnapshot))?.data.me.user).toBe('alice');
    // Another broker has its own entry.
    expect(await cache.get(popupCacheKey('https://other.example.com'), PopupSnapshot)).toBeUndefined();

    const db = await openDB(CACHE_DB_NAME);
    expect([...db.objectStoreNames]).toEqual(['snapshots']);
    // An entry that no longer matches the contract is a miss, not a crash.
    await db.put('snapshots', { key, savedAt: '2026-03-02T10:00:00.000Z', data: { me: 'x' } });
    db.close();
    expect(await cache.get(key, PopupSnapshot)).toBeUndefined();
  });

  it('forgets every entry on clear (sign-in, sign-out, another token), for the next popup too', async () => {
    const key = popupCacheKey('http://127.0.0.1:8787');
    await idbCache().put(key, snapshot);
    await idbCache().put(popupCacheKey('https://other.example.com'), snapshot);
    await idbCache().clear();
    expect(await idbCache().get(key, PopupSnapshot)).toBeUndefined();
    expect(await idbCache().get(popupCacheKey('https://other.example.com'), PopupSnapshot)).toBeUndefined();
    const memory = memoryCache();
    await memory.put(key, snapshot);
    await memory.clear();
    expect(memory.entries.size).toBe(0);
  });

  it('never stores a token: only the views it is given', async () => {
    const cache = memoryCache();
    await cache.put('popup:x', snapshot);
    expect(JSON.stringify([...cache.entries.values()])).not.toMatch(/token|Bearer/i);
  });
});

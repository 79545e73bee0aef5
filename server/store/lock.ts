/**
 * One process at a time on an embedded (PGlite) store: PGlite is a single-process database, and
 * two processes writing one data directory corrupt it. The broker and the operator CLI take this
 * lock before opening the directory; a lock left by a process that is gone (a crash, SIGKILL) is
 * taken over, so a restart after a crash just works.
 */
import fs from 'node:fs';
import path from 'node:path';

export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock on `dataDir`; returns the release function. The lock is a sibling file
 * (`<dataDir>.lock`), not one inside the directory: the store refuses to initialise a non-empty
 * directory that holds no database.
 */
export function lockDataDir(dataDir: string, purpose: string): () => void {
  const absolute = path.resolve(dataDir);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  const file = `${absolute}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }), {
        flag: 'wx',
      });
      return () => {
        try {
          const held = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number };
          if (held.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let held: { pid?: number; purpose?: string } = {};
      try {
        held = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof held;
      } catch {
        // unreadable: treat as stale
      }
      if (typeof held.pid === 'number' && held.pid !== process.pid && alive(held.pid)) {
        throw new StoreLockedError(
          `the embedded store in ${dataDir} is in use by process ${held.pid} (${held.purpose ?? 'unknown'}); ` +
            'stop it first, or run the broker on PostgreSQL (DATABASE_URL) to share the store',
        );
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new StoreLockedError(`could not lock the embedded store in ${dataDir}`);
}

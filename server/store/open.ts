/** Opening the store the broker is configured for. */
import type { Db } from './db';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';

/** The broker's choice: `DATABASE_URL` when set, else the embedded store in `dataDir`. */
export function openStore(env: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return env.databaseUrl ? openPostgres(env.databaseUrl) : openPglite(env.dataDir);
}

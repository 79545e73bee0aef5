/**
 * The stores a chaos run puts the broker on: the embedded store (PGlite, one broker process: it
 * serves one process at a time) and PostgreSQL (a temporary cluster from the machine's Debian
 * binaries, postgres.ts, with two broker replicas on it).
 */
import path from 'node:path';
import type { Db } from '../../server/store/db';
import { openStore } from '../../server/store/open';
import { startChaosPostgres } from './postgres';

export type StoreName = 'pglite' | 'postgres';

export interface ChaosStore {
  readonly name: StoreName;
  readonly replicas: number;
  /** The broker's environment for this store (`UNBLOCK_DATA_DIR` or `DATABASE_URL`). */
  readonly env: NodeJS.ProcessEnv;
  /** Opens the store from this process (PGlite: only while no broker runs). */
  open(): Promise<Db>;
  close(): Promise<void>;
}

export async function chaosStore(name: StoreName, tmp: string): Promise<ChaosStore> {
  if (name === 'pglite') {
    const dataDir = path.join(tmp, 'store');
    return {
      name,
      replicas: 1,
      env: { UNBLOCK_DATA_DIR: dataDir },
      open: () => openStore({ dataDir }),
      close: () => Promise.resolve(),
    };
  }
  const cluster = await startChaosPostgres();
  const { url } = cluster;
  return {
    name,
    replicas: 2,
    env: { DATABASE_URL: url },
    open: () => openStore({ databaseUrl: url, dataDir: '' }),
    close: () => cluster.stop(),
  };
}

/**
 * `unblock-server token create|list|revoke`: API tokens for automation, managed by the operator.
 * The token itself is printed once, by `create`, and never again: listings show its public id.
 */
import { parseArgs } from 'node:util';
import type { ApiTokenView } from '../../lib/contract/tokens';
import { createAuthService } from '../auth';
import { ApiTokenError, revokeApiTokenAudited, toApiTokenView } from '../auth/api-tokens';
import { loadConfig } from '../config/load';
import { optionsFromEnv } from '../main';
import { listApiTokens, type ApiTokenRecord } from '../store/api-tokens';
import { appendAudit } from '../store/audit';
import type { Db } from '../store/db';
import { migrate } from '../store/migrate';
import { auditFilesOf, checkpointAfterWrite, parseTtl, UsageError, withStore, type Io } from './common';

export async function tokenCreate(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: 'string' }, ttl: { type: 'string', default: '1h' }, label: { type: 'string' } },
    strict: true,
  });
  if (!values.user) throw new UsageError('token create: --user NAME is required');
  const ttl = parseTtl(values.ttl);
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  const token = await withStore(options, 'unblock-server token create', async (db) => {
    await migrate(db);
    const auth = await createAuthService({ db, config, publicUrl: `http://${options.host}:${options.port}` });
    try {
      const created = await auth.createApiToken(values.user!, ttl, values.label).catch((e: unknown) => {
        // Name the flag the operator typed next to the setting that refused it.
        if (e instanceof ApiTokenError && /lifetime|expiry/.test(e.message)) {
          throw new ApiTokenError(`--ttl ${values.ttl}: ${e.message}`);
        }
        throw e;
      });
      await appendAudit(db, {
        actor: 'operator',
        type: 'token.created',
        subject: values.user!,
        details: {
          tokenId: created.id,
          label: values.label ?? null,
          expiresAt: created.expiresAt?.toISOString() ?? null,
          via: 'unblock-server',
        },
        at: new Date(),
      });
      await checkpointAfterWrite(db, auditFilesOf(options, config));
      return created.token;
    } finally {
      await auth.close();
    }
  });
  // Only the token on stdout, so `TOKEN=$(unblock-server token create --user alice)` works.
  io.out(`${token}\n`);
  return 0;
}

async function allApiTokens(db: Db, userId: string | undefined): Promise<ApiTokenRecord[]> {
  const all: ApiTokenRecord[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await listApiTokens(db, {
      ...(userId !== undefined ? { userId } : {}),
      ...(last ? { after: { createdAt: last.createdAt, id: last.id } } : {}),
      limit: 1000,
    });
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

/** `2026-03-01 14:05Z`: minutes are what last use is recorded to. */
const minute = (iso: string | null, none: string) =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : none;

function table(views: readonly ApiTokenView[]): string {
  const header = ['ID', 'USER', 'LABEL', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'];
  const rows = views.map((v) => [
    v.id,
    v.user,
    // A label is free text: keep each token on one line.
    (v.label ?? '-').replace(/[\r\n\t]+/g, ' '),
    minute(v.createdAt, '-'),
    minute(v.lastUsedAt, 'never'),
    minute(v.expiresAt, 'never'),
    v.status === 'revoked' ? `revoked ${minute(v.revokedAt, '')}` : v.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function tokenList(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  const records = await withStore(options, 'unblock-server token list', async (db) => {
    await migrate(db);
    return allApiTokens(db, values.user);
  });
  const now = new Date();
  const views = records.map((r) => toApiTokenView(r, config.auth.apiTokens, now));
  if (values.json) {
    for (const v of views) io.out(`${JSON.stringify(v)}\n`);
  } else if (views.length === 0) {
    io.out(values.user ? `no API tokens for ${values.user}\n` : 'no API tokens\n');
  } else {
    io.out(`${table(views)}\n`);
  }
  return 0;
}

export async function tokenRevoke(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0)
    throw new UsageError('token revoke: give exactly one token ID (see token list)');
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  const now = new Date();
  const result = await withStore(options, 'unblock-server token revoke', async (db) => {
    await migrate(db);
    const revoked = await db.transaction((tx) =>
      revokeApiTokenAudited(tx, { id }, { actor: 'operator', via: 'unblock-server' }, now),
    );
    if (revoked?.changed) await checkpointAfterWrite(db, auditFilesOf(options, config));
    return revoked;
  });
  if (!result) {
    io.err(`unblock-server: no API token ${id} (see unblock-server token list)\n`);
    return 1;
  }
  const { token, changed } = result;
  const who = `${token.userId}${token.label ? `, "${token.label}"` : ''}`;
  io.out(
    changed
      ? `revoked token ${token.id} (${who}); every broker replica refuses it from now on\n`
      : `token ${token.id} (${who}) was already revoked at ${token.revokedAt?.toISOString() ?? '?'}\n`,
  );
  return 0;
}

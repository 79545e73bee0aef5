/**
 * Reading the config file: YAML (`.yaml`/`.yml`) or JSON, validated as a whole. Problems come back
 * as lines naming the file and the path inside it, e.g.
 * `unblock.yaml: targets.2.approverGroup: unknown group "platform"`.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { BrokerConfig } from './schema';
import { demoConfig } from './demo';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type CheckResult = { ok: true; config: BrokerConfig } | { ok: false; problems: string[] };

/** Validate config text; `name` decides the format (YAML unless it ends in .json). */
export function checkConfigText(text: string, name: string): CheckResult {
  let raw: unknown;
  try {
    raw = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { strict: true, maxAliasCount: 100 });
  } catch (e) {
    return {
      ok: false,
      problems: [`not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`],
    };
  }
  const r = BrokerConfig.safeParse(raw);
  if (r.success) return { ok: true, config: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`),
  };
}

export interface LoadedConfig {
  config: BrokerConfig;
  /** True when no file was given and the built-in demo configuration is in use. */
  demo: boolean;
  source: string;
}

export async function loadConfig(file: string | undefined): Promise<LoadedConfig> {
  if (!file) return { config: await demoConfig(), demo: true, source: 'built-in demo configuration' };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  const r = checkConfigText(text, file);
  if (!r.ok) throw new ConfigError(file, r.problems);
  return { config: r.config, demo: false, source: file };
}

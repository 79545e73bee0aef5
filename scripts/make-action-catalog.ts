/**
 * Writes the action catalogue the banner's permission picker offers (public/actions/<cloud>.json,
 * served to the banner by the background on demand; docs/extension.md, "The permission picker"),
 * from the clouds' own published lists (docs/cloud-mechanics.md §6):
 *
 *   npx tsx scripts/make-action-catalog.ts \
 *     --aws <dir>    one JSON file per service: AWS's service reference (`{"Name", "Actions": [{"Name"}]}`)
 *                    or the same data keyed by action (`{"getobject": {"name": "GetObject"}}`)
 *     --azure <file> role definitions as `az role definition list` prints them
 *     --gcp <file>…  roles as `gcloud iam roles describe roles/owner --format=json` prints them
 *
 * Only the clouds given are rewritten. AWS keeps the services the console paths name
 * (lib/actions/console-service.ts), GCP the services of the console's product paths, Azure every
 * provider (the portal URL names the provider itself). Azure's list is what its built-in roles
 * name explicitly (wildcards dropped), so it holds the operations people are granted most, not
 * every operation a provider has. Every entry passes the cloud's action grammar (lib/clouds.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOUD_FACTS, type Cloud } from '../lib/clouds';
import { AWS_CONSOLE_SERVICES, GCP_CONSOLE_SERVICES, SERVICE_NAME } from '../lib/actions/console-service';

const OUT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'actions');

/** The file format (lib/background/action-catalog.ts reads it): names without the service part. */
export interface CatalogFile {
  cloud: Cloud;
  source: string;
  /** Service → its action names, space-separated (without the `service:` / provider part). */
  services: Record<string, string>;
}

const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b);

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** Action names of one AWS service file, in either layout. */
export function awsServiceActions(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object') return [];
  const d = doc as { Actions?: unknown };
  const items = Array.isArray(d.Actions)
    ? (d.Actions as { Name?: unknown }[]).map((a) => a.Name)
    : Object.values(doc as Record<string, { name?: unknown }>).map((a) => a?.name);
  return items.filter((n): n is string => typeof n === 'string');
}

function keepValid(cloud: Cloud, service: string, names: Iterable<string>, join: string): string[] {
  const seen = new Map<string, string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (!seen.has(key) && CLOUD_FACTS[cloud].actionGrammar.test(`${service}${join}${name}`))
      seen.set(key, name);
  }
  return [...seen.values()].sort(byName);
}

export function awsCatalog(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const service of [...new Set(Object.values(AWS_CONSOLE_SERVICES))].sort()) {
    const file = path.join(dir, `${service}.json`);
    const names = keepValid('aws', service, awsServiceActions(readJson(file)), ':');
    if (names.length) out[service] = names.join(' ');
  }
  return out;
}

interface RoleDefinition {
  permissions?: { actions?: unknown; dataActions?: unknown }[];
  properties?: RoleDefinition;
}

/** Azure: every operation the built-in roles name explicitly, by provider. */
export function azureCatalog(roles: unknown): Record<string, string> {
  const list: RoleDefinition[] = Array.isArray(roles)
    ? (roles as RoleDefinition[])
    : ((roles as { value?: RoleDefinition[] }).value ?? []);
  interface Provider {
    spellings: Map<string, number>;
    names: string[];
  }
  const ops = new Map<string, Provider>();
  for (const role of list) {
    for (const p of (role.properties ?? role).permissions ?? []) {
      for (const a of [p.actions, p.dataActions].flatMap((x) => (Array.isArray(x) ? (x as unknown[]) : []))) {
        if (typeof a !== 'string' || a.includes('*')) continue;
        const slash = a.indexOf('/');
        if (slash < 0) continue;
        const ns = a.slice(0, slash);
        const entry: Provider = ops.get(ns.toLowerCase()) ?? { spellings: new Map(), names: [] };
        entry.spellings.set(ns, (entry.spellings.get(ns) ?? 0) + 1);
        entry.names.push(a.slice(slash + 1));
        ops.set(ns.toLowerCase(), entry);
      }
    }
  }
  const out: Record<string, string> = {};
  for (const { spellings, names } of ops.values()) {
    // The spelling the roles use most (`Microsoft.Compute`, not `microsoft.compute`).
    const ns = [...spellings].sort((a, b) => b[1] - a[1] || byName(a[0], b[0]))[0]![0];
    if (!SERVICE_NAME.azure.test(ns)) continue;
    const kept = keepValid('azure', ns, names, '/');
    if (kept.length) out[ns] = kept.join(' ');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => byName(a, b)));
}

/** GCP: the permissions of the given roles, for the services the console's product paths name. */
export function gcpCatalog(roles: unknown[]): Record<string, string> {
  const wanted = new Set(Object.values(GCP_CONSOLE_SERVICES));
  const names = new Map<string, string[]>();
  for (const role of roles) {
    const perms = (role as { includedPermissions?: unknown }).includedPermissions;
    for (const perm of Array.isArray(perms) ? (perms as unknown[]) : []) {
      if (typeof perm !== 'string') continue;
      const dot = perm.indexOf('.');
      const service = perm.slice(0, dot);
      if (dot < 0 || !wanted.has(service)) continue;
      names.set(service, [...(names.get(service) ?? []), perm.slice(dot + 1)]);
    }
  }
  const out: Record<string, string> = {};
  for (const service of [...names.keys()].sort()) {
    const kept = keepValid('gcp', service, names.get(service)!, '.');
    if (kept.length) out[service] = kept.join(' ');
  }
  return out;
}

const SOURCES: Record<Cloud, string> = {
  aws: 'AWS Service Authorization Reference (actions per service), for the services the console paths name',
  azure: 'Azure built-in role definitions (the operations they name explicitly; wildcards dropped)',
  gcp: 'Google Cloud predefined roles (their included permissions), for the services the console paths name',
};

function write(cloud: Cloud, services: Record<string, string>): void {
  const file: CatalogFile = { cloud, source: SOURCES[cloud], services };
  const lines = Object.entries(services).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const text = `{\n  "cloud": ${JSON.stringify(file.cloud)},\n  "source": ${JSON.stringify(file.source)},\n  "services": {\n${lines.join(',\n')}\n  }\n}\n`;
  writeFileSync(path.join(OUT_DIR, `${cloud}.json`), text);
  const count = Object.values(services).reduce((n, v) => n + v.split(' ').length, 0);
  console.log(`${cloud}: ${Object.keys(services).length} services, ${count} actions`);
}

function main(argv: string[]): void {
  const take = (flag: string): string[] => {
    const i = argv.indexOf(flag);
    if (i < 0) return [];
    const values: string[] = [];
    for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('--'); j++) values.push(argv[j]!);
    return values;
  };
  const [awsDir] = take('--aws');
  const [azureFile] = take('--azure');
  const gcpFiles = take('--gcp');
  if (!awsDir && !azureFile && !gcpFiles.length) {
    console.error('usage: make-action-catalog.ts [--aws <dir>] [--azure <file>] [--gcp <file>…]');
    process.exit(2);
  }
  if (awsDir) {
    readdirSync(awsDir); // fail early on a wrong path
    write('aws', awsCatalog(awsDir));
  }
  if (azureFile) write('azure', azureCatalog(readJson(azureFile)));
  if (gcpFiles.length) write('gcp', gcpCatalog(gcpFiles.map(readJson)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2));

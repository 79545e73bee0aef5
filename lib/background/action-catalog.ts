/**
 * The action catalogue behind the banner's permission picker: per cloud, each service's actions
 * (public/actions/<cloud>.json, written by scripts/make-action-catalog.ts from the clouds' own
 * lists). It ships as extension files read only here, on the first question about that cloud, so
 * neither the always-injected content script nor the lazy banner chunk carries it, and pages
 * cannot fetch it (no web-accessible resources).
 */
import * as z from 'zod/mini';
import { CLOUD_FACTS, type Cloud } from '../clouds';
import { SERVICE_NAME } from '../actions/console-service';

const CatalogFile = z.object({
  cloud: z.enum(['aws', 'azure', 'gcp']),
  source: z.string(),
  /** Service → its action names, space-separated, without the service part. */
  services: z.record(z.string(), z.string()),
});

/** How a cloud joins the service and the action's own name. */
const JOIN: Readonly<Record<Cloud, string>> = { aws: ':', azure: '/', gcp: '.' };

export interface ActionCatalog {
  /** The service's actions, full names (`s3:GetObject`); empty for a service it does not know. */
  actions(cloud: Cloud, service: string): Promise<string[]>;
}

/**
 * `load(cloud)` returns the parsed JSON of that cloud's file. A file that fails to load or does
 * not match is an empty catalogue (the picker then asks for a typed permission), and is tried
 * again next time.
 */
export function createActionCatalog(load: (cloud: Cloud) => Promise<unknown>): ActionCatalog {
  const files = new Map<Cloud, Promise<Map<string, { service: string; names: string }>>>();

  function fileOf(cloud: Cloud) {
    let file = files.get(cloud);
    if (!file) {
      file = load(cloud).then((raw) => {
        const parsed = CatalogFile.parse(raw);
        if (parsed.cloud !== cloud) throw new Error(`actions/${cloud}.json is the ${parsed.cloud} catalogue`);
        // Azure providers are case-insensitive (`microsoft.compute` in some portal URLs).
        return new Map(
          Object.entries(parsed.services).map(([service, names]) => [
            service.toLowerCase(),
            { service, names },
          ]),
        );
      });
      files.set(cloud, file);
      file.catch(() => files.delete(cloud));
    }
    return file;
  }

  return {
    async actions(cloud, service) {
      if (!SERVICE_NAME[cloud].test(service)) return [];
      let entry;
      try {
        entry = (await fileOf(cloud)).get(service.toLowerCase());
      } catch {
        return [];
      }
      if (!entry) return [];
      const grammar = CLOUD_FACTS[cloud].actionGrammar;
      return entry.names
        .split(' ')
        .map((name) => `${entry.service}${JOIN[cloud]}${name}`)
        .filter((action) => grammar.test(action));
    },
  };
}

/**
 * Landing on Azure: the denied tab reloads its own portal page once the role has had time to
 * apply. Only a page on the configured portal is reloaded; anything else goes to the portal home.
 */
import type { LandingView } from '../../../lib/contract/api';
import { consoleDestination } from '../../provision/console-destination';
import type { AzureContext } from './context';

/**
 * How long the denied tab waits before reloading. PIM provisions within seconds, but ARM caches a
 * caller's assignments for up to 10 minutes and re-reads them on a new token (docs/cloud-mechanics.md
 * §2.5): half a minute lets the usual case through on the first reload without a long wait.
 */
export const PROPAGATION_MS = 30_000;

export function landingAzure(ctx: AzureContext, destination: string | null): Promise<LandingView> {
  return Promise.resolve({
    kind: 'reload',
    url: landingUrl(ctx.portalBase, destination),
    afterMs: ctx.propagationMs ?? PROPAGATION_MS,
    message: 'Waiting for Azure to apply the grant',
  });
}

/** The denied page when it is on the portal (same scheme, host and port, no user-info); else the portal home. */
export function landingUrl(portalBase: string, destination: string | null): string {
  const home = `${portalBase}/`;
  let portal: URL;
  try {
    portal = new URL(portalBase);
  } catch {
    return home;
  }
  return consoleDestination(destination, portal)?.toString() ?? home;
}

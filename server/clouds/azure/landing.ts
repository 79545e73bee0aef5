/**
 * Landing on Azure: the denied tab reloads its own portal page at once, and again while the role
 * has not reached the portal yet (the extension watches). Only a page on the configured portal is
 * reloaded; anything else goes to the portal home.
 */
import type { LandingView } from '../../../lib/contract/api';
import { consoleDestination } from '../../provision/console-destination';
import type { AzureContext } from './context';

/**
 * How long a new assignment takes to show in the portal. PIM creates the assignment within
 * seconds, but ARM caches a caller's role assignments for up to 10 minutes and re-reads them on a
 * new token (docs/cloud-mechanics.md §2.5): the tab reloads at once and the extension retries with
 * back-off while the denial comes back, telling the user after 10 minutes to sign out and in.
 * Typically a couple of minutes (users report minutes, §2.5).
 */
export const AZURE_PROPAGATION = { expectedMs: 2 * 60_000, maxMs: 10 * 60_000 } as const;

export function landingAzure(ctx: AzureContext, destination: string | null): Promise<LandingView> {
  // `clouds.azure.propagationMs`: the limit, when the operator knows their tenant better.
  const maxMs = ctx.propagationMs ?? AZURE_PROPAGATION.maxMs;
  return Promise.resolve({
    kind: 'reload',
    url: landingUrl(ctx.portalBase, destination),
    expectedMs: Math.min(AZURE_PROPAGATION.expectedMs, maxMs),
    maxMs,
    message: 'Access granted; reloading the page while Azure applies it',
    // What to do once `maxMs` has passed (the extension says how long it waited first).
    advice:
      'Sign out of the portal and sign in again: a new sign-in makes Azure read your roles afresh. ' +
      'If the page is still denied, ask an administrator to check the role assignment.',
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

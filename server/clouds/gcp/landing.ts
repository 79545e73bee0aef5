/**
 * Landing on GCP: the denied tab reloads its own console page at once, and again while IAM has not
 * applied the binding yet (the extension watches), with the project kept; anything not on the
 * console goes to the project's console home.
 */
import type { Grant } from '../../domain';
import type { LandingView } from '../../../lib/contract/api';
import { consoleDestination } from '../../provision/console-destination';
import type { GcpContext } from './context';

/**
 * How long a new binding takes to apply: Google documents IAM policy changes as "typically
 * 2 minutes, potentially 7 minutes or longer" (iam/docs/access-change-propagation,
 * docs/cloud-mechanics.md §3.5). The tab reloads at once and the extension retries with back-off
 * while the denial comes back, telling the user what to do after 7 minutes.
 */
export const GCP_PROPAGATION = { expectedMs: 2 * 60_000, maxMs: 7 * 60_000 } as const;

export function landingGcp(ctx: GcpContext, grant: Grant, destination: string | null): Promise<LandingView> {
  // `clouds.gcp.propagationMs`: the limit, when the operator knows their organisation better.
  const maxMs = ctx.propagationMs ?? GCP_PROPAGATION.maxMs;
  return Promise.resolve({
    kind: 'reload',
    url: landingUrl(ctx.endpoints.console, grant.target.account, destination),
    expectedMs: Math.min(GCP_PROPAGATION.expectedMs, maxMs),
    maxMs,
    message: 'Access granted; reloading the page while Google Cloud applies it',
    // What to do once `maxMs` has passed (the extension says how long it waited first).
    advice:
      'It sometimes takes longer: reload the page in a few minutes. If it is still denied, ask an ' +
      "administrator to check the project's IAM policy.",
  });
}

/**
 * The page to reload: the denied page itself when it is on the configured console (its scheme,
 * host and port: https outside tests; no user-info), keeping its `authuser` (which signed-in
 * Google account) and `project`, and adding `project` when missing; otherwise the console home of
 * the project. Anything else is refused: the broker must not send a tab to an arbitrary URL.
 */
export function landingUrl(consoleBase: URL, projectId: string, destination: string | null): string {
  const url = consoleDestination(destination, consoleBase);
  if (url) {
    if (!url.searchParams.has('project')) url.searchParams.set('project', projectId);
    return url.toString();
  }
  const home = new URL('/home/dashboard', consoleBase);
  home.searchParams.set('project', projectId);
  return home.toString();
}

/**
 * Landing on GCP: the denied tab reloads its own console page once IAM has had time to apply the
 * binding, with the project kept; anything not on the console goes to the project's console home.
 */
import type { Grant } from '../../domain';
import type { LandingView } from '../../../lib/contract/api';
import { consoleDestination } from '../../provision/console-destination';
import type { GcpContext } from './context';

/**
 * How long the denied tab waits before reloading: Google documents IAM changes as "typically
 * 2 minutes, potentially 7 minutes or longer" (iam/docs/access-change-propagation,
 * docs/cloud-mechanics.md §3.5). The typical value; the extension keeps retrying with backoff after.
 */
export const GCP_PROPAGATION_MS = 120_000;

export function landingGcp(ctx: GcpContext, grant: Grant, destination: string | null): Promise<LandingView> {
  return Promise.resolve({
    kind: 'reload',
    url: landingUrl(ctx.endpoints.console, grant.target.account, destination),
    afterMs: ctx.propagationMs ?? GCP_PROPAGATION_MS,
    message: 'Waiting for Google Cloud to apply the grant',
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

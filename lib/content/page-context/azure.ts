import type { PageContext } from './types';

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// The portal and the Entra admin center (of every national cloud, cloud-mechanics.md §5) route in
// the fragment: #@<tenant>/resource/subscriptions/<sid>/resourceGroups/…
const FRAGMENT_TENANT = /^#@([A-Za-z0-9.-]{1,253})(?:\/|$)/;
// …also as a path prefix: portal.azure.com/<tenant>/#…, or a directory-switch link's ?tenant=<tenant>.
const TENANT = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[0-9a-f-]{36})$/i;
const PATH_TENANT = /^\/([^/]{1,253})\/?$/;
const SUBSCRIPTION = new RegExp(`/subscriptions?(?:Id)?/(${GUID})(?:[/?#&]|$)`, 'i');

export function azurePageContext(url: string, _cookie = '', _headerText?: string): PageContext {
  const ctx: PageContext = { cloud: 'azure', source: 'console' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ctx;
  }
  let fragment = u.hash;
  try {
    // Blade parameters are often percent-encoded (%2Fsubscriptions%2F…).
    fragment = decodeURIComponent(fragment);
  } catch {
    /* keep the raw fragment */
  }
  const tenant =
    FRAGMENT_TENANT.exec(fragment)?.[1] ??
    [PATH_TENANT.exec(u.pathname)?.[1], u.searchParams.get('tenant')].find((t) => t && TENANT.test(t));
  if (tenant) ctx.tenant = tenant;
  const subscription = SUBSCRIPTION.exec(fragment)?.[1];
  if (subscription) ctx.account = subscription.toLowerCase();
  return ctx;
}

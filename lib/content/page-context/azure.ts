import type { PageContext } from './types';

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// The portal routes in the fragment: #@<tenant>/resource/subscriptions/<sid>/resourceGroups/…
const FRAGMENT_TENANT = /^#@([A-Za-z0-9.-]{1,253})(?:\/|$)/;
// …also as a path prefix: portal.azure.com/<tenant>/#…
const PATH_TENANT = /^\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[0-9a-f-]{36})\/?$/i;
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
  const tenant = FRAGMENT_TENANT.exec(fragment)?.[1] ?? PATH_TENANT.exec(u.pathname)?.[1];
  if (tenant) ctx.tenant = tenant;
  const subscription = SUBSCRIPTION.exec(fragment)?.[1];
  if (subscription) ctx.account = subscription.toLowerCase();
  return ctx;
}

/**
 * Page context per console. Pure functions of (URL, cookie string, header text) so they can be
 * unit-tested without a DOM and shared by the content script and tests.
 */
import type { Cloud } from '../../contract/denial';
import { awsPageContext } from './aws';
import { azurePageContext } from './azure';
import { gcpPageContext } from './gcp';
import type { PageContext } from './types';

export type { PageContext } from './types';
export { awsPageContext, azurePageContext, gcpPageContext };

/** Which console a hostname belongs to; undefined for anything else. */
export function consoleCloud(hostname: string): Cloud | undefined {
  if (hostname === 'console.aws.amazon.com' || hostname.endsWith('.console.aws.amazon.com')) return 'aws';
  if (hostname === 'portal.azure.com') return 'azure';
  if (hostname === 'console.cloud.google.com') return 'gcp';
  return undefined;
}

/** True for an https URL on one of the console hosts (the content script's match patterns). */
export function isConsoleUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && consoleCloud(u.hostname) !== undefined;
  } catch {
    return false;
  }
}

export function pageContext(url: string, cookie: string, headerText?: string): PageContext | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  switch (consoleCloud(host)) {
    case 'aws':
      return awsPageContext(url, cookie, headerText);
    case 'azure':
      return azurePageContext(url, cookie, headerText);
    case 'gcp':
      return gcpPageContext(url, cookie, headerText);
    default:
      return undefined;
  }
}

/**
 * Page context per console. Pure functions of (URL, cookie string, header text) so they can be
 * unit-tested without a DOM and shared by the content script and tests.
 */
import { consoleCloud } from '../../clouds';
import { awsPageContext } from './aws';
import { azurePageContext } from './azure';
import { gcpPageContext } from './gcp';
import type { PageContext } from './types';

export type { PageContext } from './types';
export { awsPageContext, azurePageContext, gcpPageContext };

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

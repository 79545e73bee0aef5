/**
 * Page context per console. Pure functions of (URL, cookie string, header text) so they can be
 * unit-tested without a DOM and shared by the content script and tests.
 */
import { consoleOf } from '../../clouds';
import { awsPageContext } from './aws';
import { azurePageContext } from './azure';
import { gcpPageContext } from './gcp';
import type { PageContext } from './types';

export type { PageContext } from './types';
export { awsPageContext, azurePageContext, gcpPageContext };

/** The context of a console page, with its console's partition; undefined off the consoles. */
export function pageContext(url: string, cookie: string, headerText?: string): PageContext | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const on = consoleOf(host);
  if (!on) return undefined;
  const read = { aws: awsPageContext, azure: azurePageContext, gcp: gcpPageContext }[on.cloud];
  return { ...read(url, cookie, headerText), partition: on.partition };
}

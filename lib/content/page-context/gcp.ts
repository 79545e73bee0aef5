import { queryParam } from './aws';
import type { PageContext } from './types';

// Project ids: 6–30 chars, lowercase letters, digits, hyphens (plus legacy domain-scoped `example.com:proj`).
const PROJECT = /^(?:[a-z0-9.-]+\.[a-z]{2,}:)?[a-z][a-z0-9-]{4,29}$/;

export function gcpPageContext(url: string, _cookie = '', _headerText?: string): PageContext {
  const ctx: PageContext = { cloud: 'gcp', source: 'console' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ctx;
  }
  const project = queryParam(u, 'project');
  if (project && PROJECT.test(project)) ctx.account = project;
  const authuser = queryParam(u, 'authuser');
  if (authuser && /^(?:\d{1,2}|[^\s@]{1,64}@[^\s@]{1,190})$/.test(authuser)) ctx.authuser = authuser;
  return ctx;
}

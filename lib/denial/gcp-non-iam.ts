/**
 * GCP refusals outside IAM (docs/denial-formats.md §5, §6): OAuth scopes (and BigQuery's Drive
 * credentials), VPC Service Controls and organisation policy. Real denials, but no grant can fix
 * them.
 */
import type { Candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { isMasked, trimToken } from './normalise';
import { gcp, projectIdOf, projectOf } from './gcp-common';

/** OAuth scopes, VPC Service Controls and organisation policy: real refusals, no grant helps. */
export function nonIam(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const scope = kindOf('gcp-scope');
  for (const h of doc.hits(
    'gcp-oauth',
    /Request\s+had\s+insufficient\s+authentication\s+scopes|ACCESS_TOKEN_SCOPE_INSUFFICIENT|Insufficient\s+Permission(?=\s*(?:[,:]\s*insufficientPermissions|$|[."']))/gim,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        ...scope,
        reason:
          'The OAuth token lacks the required scopes (e.g. VM service-account scopes); an IAM grant cannot help.',
        family: 'gcp-oauth',
      }),
    );
  }
  // BigQuery over a Drive file (Sheets external table): the token lacks the Drive scope, or the
  // file is not shared with the caller in Drive. Neither is a Cloud IAM role.
  for (const h of doc.hits(
    'gcp-drive',
    /Permission\s+denied\s+while\s+(?:getting\s+Drive\s+credentials|globbing\s+file\s+pattern)/gi,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        ...scope,
        reason:
          'BigQuery could not read the Drive file: the credentials lack the Drive scope, or the file is not shared with the caller in Drive; an IAM grant cannot help.',
        family: 'gcp-oauth',
      }),
    );
  }
  for (const h of doc.hits(
    'gcp-vpcsc',
    /Request\s+is\s+prohibited\s+by\s+organization'?s\s+policy|SECURITY_POLICY_VIOLATED|vpcServiceControlsUniqueIdentifier/gi,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        ...scope,
        reason: 'Blocked by a VPC Service Controls perimeter; an IAM grant cannot help.',
        family: 'gcp-vpcsc',
      }),
    );
  }
  for (const h of doc.hits('gcp-orgpolicy', /constraints\/([A-Za-z0-9_.]{2,128})/g)) {
    const win = s.slice(Math.max(0, h.pos - 300), h.end + 300);
    if (!/violat|FAILED_PRECONDITION|org(?:anization)?\s*polic/i.test(win)) continue;
    if (/\$\{|<[a-z-]+>|constraint-name/i.test(win)) continue;
    const after = s.slice(h.end, h.end + 1200);
    const v =
      /violated\s+for\s+(service\s+account|project|folder|organization|resource)?\s*['"]?([^\s'"`]{1,1024})/i.exec(
        after,
      );
    const named = trimToken(v?.[2] ?? '');
    // A masked name, or a message cut off after the kind word, names nothing.
    const resource =
      named && !isMasked(named) && !/^(?:project|folder|organization|resource)$/i.test(named) ? named : null;
    // "violated for project 123456789" names the project by number: that is the account.
    const isProject = /^project$/i.test(v?.[1] ?? '');
    out.push(
      gcp(h, {
        actions: [],
        ...scope,
        policyId: `constraints/${h.value}`,
        resource,
        account: isProject ? projectIdOf(resource) : projectOf(resource),
        reason: 'Blocked by an organisation policy constraint; an IAM grant cannot help.',
        family: 'gcp-orgpolicy',
      }),
    );
  }
}

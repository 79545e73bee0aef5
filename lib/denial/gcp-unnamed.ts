/**
 * GCP wordings that name no permission, or name it only loosely (docs/denial-formats.md §4.3):
 * the UI asks the requester for the permission.
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { trimToken } from './normalise';
import { email, gcp, normPerm, PERM, projectOf, resourceAt } from './gcp-common';

/** Wordings that name no permission (§4.3) and the quota-project denial. */
export function unnamed(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-unnamed',
    /The\s+caller\s+does\s+not\s+have\s+permission\b|Request\s+denied\s+by\s+Cloud\s+IAM|You\s+don'?t\s+have\s+permissions?\s+to\s+perform\s+the\s+action\s+on\s+the\s+selected\s+resource|You\s+do\s+not\s+have\s+sufficient\s+permissions?\s+to\s+view\s+this\s+page/gi,
  )) {
    out.push(gcp(h, { actions: [], confidence: 'low', family: 'gcp-unnamed' }));
  }
  // Cloud Build: "user does not have impersonation permission on the trigger service account specified: <name>".
  for (const h of doc.hits(
    'gcp-impersonation',
    /does\s+not\s+have\s+impersonation\s+permission\s+on\s+the\s+(?:trigger\s+)?service\s+account(?:\s+specified)?\s*:?/gi,
  )) {
    const r = resourceAt(s, h.end);
    out.push(
      gcp(
        { pos: h.pos, end: r.end },
        {
          actions: [],
          resource: r.value,
          account: projectOf(r.value),
          confidence: 'low',
          family: 'gcp-unnamed',
        },
      ),
    );
  }
  // Bucket browser: "You need the <perm> permission to …".
  for (const h of doc.hits(
    'gcp-you-need',
    new RegExp(`You\\s+need\\s+(?:the\\s+)?['"]?(${PERM})['"]?\\s+permission`, 'gi'),
  )) {
    out.push(gcp(h, { actions: [normPerm(h.value)], confidence: 'medium', family: 'gcp-you-need' }));
  }
  for (const h of doc.hits(
    'gcp-gcloud-access',
    /\[([^\]\s]{1,256})\]\s+does\s+not\s+have\s+permission\s+to\s+access\s+([a-z_ -]{1,40})\s+instance\s+\[([^\]\n]{1,512})\]/gi,
  )) {
    const inner = h.groups[3] ?? '';
    const colon = inner.lastIndexOf(':');
    const id = colon > 0 ? inner.slice(0, colon) : inner;
    const method = colon > 0 ? inner.slice(colon + 1) : null;
    const kind = (h.groups[2] ?? '').trim().toLowerCase();
    out.push(
      gcp(h, {
        actions: [],
        resource: id || null,
        principal: email(h.groups[1]),
        account: /^projects?$/.test(kind) ? id || null : null,
        operation: method || null,
        confidence: 'low',
        family: 'gcp-unnamed',
      }),
    );
  }
  // BigQuery without a permission: "Access Denied: Table p:d.t: User does not have permission to query table …".
  for (const h of doc.hits(
    'gcp-bq-unnamed',
    /Access\s+Denied:\s*(Project|Dataset|Table)\s+([A-Za-z0-9:._-]{1,512}):\s*(?:User|The\s+user\s+[^\s]{1,256})\s+does\s+not\s+have\s+permission\s+to\b/gi,
  )) {
    const id = h.groups[2] ?? null;
    const isProject = /^project$/i.test(h.groups[1] ?? '');
    const who = /The\s+user\s+([^\s]{1,256})\s+does/i.exec(h.groups[0] ?? '');
    out.push(
      gcp(h, {
        actions: [],
        resource: id,
        principal: email(who?.[1]),
        account: isProject ? id : projectOf(id),
        confidence: 'low',
        family: 'gcp-unnamed',
      }),
    );
  }
  // Bucket pages: additional permissions are required … obtain "<perm>" and "<perm>" (§4.4).
  const quoted = new RegExp(`['"](${PERM})['"]`, 'g');
  for (const h of doc.hits('gcp-additional-perms', /additional\s+permissions\s+(?:are\s+)?required/gi)) {
    const win = s.slice(h.end, h.end + 800).split(/\n[^\S\n]*\n/)[0] ?? '';
    const actions: string[] = [];
    let end = h.end;
    for (const m of win.matchAll(quoted)) {
      const p = normPerm(m[1] ?? '');
      if (!actions.includes(p)) actions.push(p);
      end = h.end + (m.index ?? 0) + m[0].length;
    }
    if (actions.length) {
      out.push(
        gcp({ pos: h.pos, end }, { actions, confidence: 'medium', source: 'console', family: 'gcp-panel' }),
      );
    }
  }
  for (const h of doc.hits(
    'gcp-user-project',
    /Caller\s+does\s+not\s+have\s+required\s+permission\s+to\s+use\s+project\s+([A-Za-z0-9._:-]{1,128})/gi,
  )) {
    const project = trimToken(h.value) || null;
    const named = /serviceusage\.services\.use/i.test(s.slice(h.end, h.end + 600));
    out.push(
      gcp(h, {
        actions: named ? ['serviceusage.services.use'] : [],
        resource: project,
        account: project,
        confidence: 'medium',
        family: 'gcp-user-project',
      }),
    );
  }
  // The structured reason alone (the prose above usually accompanies it and absorbs it).
  for (const h of doc.hits('gcp-user-project-code', /USER_PROJECT_DENIED/g)) {
    out.push(gcp(h, { actions: [], confidence: 'low', family: 'gcp-user-project' }));
  }
}

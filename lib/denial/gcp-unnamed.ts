/**
 * GCP wordings that name no permission, or name it only loosely (docs/denial-formats.md §4.3):
 * the UI asks the requester for the permission. Pub/Sub's plain sentence counts only inside a
 * Google client frame; Cloud SQL's takes the instance the Auth Proxy names before it.
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { trimToken } from './normalise';
import { email, gcp, permOf, PERM, projectIdOf, projectOf, resourceAt } from './gcp-common';

/**
 * Signs that a message came from a Google API or client (gRPC status 7, `PERMISSION_DENIED`, the
 * client libraries): a sentence as plain as Pub/Sub's "User not authorized to perform this
 * action." counts only inside such a frame.
 */
const GOOGLE_FRAME_RE =
  /PERMISSION_DENIED|PermissionDenied|code\s*[:=]\s*7\b|\b7\s*:|googleapis|google\.api_core|google-gax|\bgrpc|\bgax\b|pubsub|Pub\/Sub/gi;

/** Pub/Sub (and some other gRPC APIs): "User not authorized to perform this action." */
function pubsub(doc: Doc, out: Candidate[]): void {
  const frame = doc.hits('gcp-google-frame', GOOGLE_FRAME_RE);
  for (const h of doc.hits('gcp-pubsub', /User\s+not\s+authorized\s+to\s+perform\s+this\s+action/gi)) {
    const [bs, be] = doc.block(h.pos);
    if (!firstIn(frame, Math.max(bs, h.pos - 400), Math.min(be, h.end + 400))) continue;
    out.push(gcp(h, { actions: [], confidence: 'low', family: 'gcp-unnamed' }));
  }
}

/**
 * Cloud SQL Admin API: "The client is not authorized to make this request."; the Auth Proxy names
 * the instance connection name (`<project>:<region>:<instance>`) just before.
 */
function cloudSql(doc: Doc, out: Candidate[]): void {
  const names = doc.hits(
    'gcp-sql-instance',
    /(?:has\s+access\s+to|createEphemeral\s+for|connect\s+to)\s+"?([a-z][a-z0-9.:-]{3,120}:[a-z0-9-]{2,40}:[a-z0-9-]{1,100})"?/g,
  );
  for (const h of doc.hits(
    'gcp-sql',
    /The\s+client\s+is\s+not\s+authorized\s+to\s+make\s+this\s+request/gi,
  )) {
    const [bs] = doc.block(h.pos);
    const name = lastIn(names, Math.max(bs, h.pos - 2000), h.pos)?.value ?? null;
    const project = name ? name.split(':').slice(0, -2).join(':') : null;
    out.push(
      gcp(h, {
        actions: [],
        resource: name,
        account:
          projectIdOf(project) ?? (project && /^[a-z][a-z0-9.-]*:[a-z]/.test(project) ? project : null),
        confidence: 'low',
        family: 'gcp-unnamed',
      }),
    );
  }
}

/** Wordings that name no permission (§4.3) and the quota-project denial. */
export function unnamed(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  pubsub(doc, out);
  cloudSql(doc, out);
  for (const h of doc.hits(
    'gcp-unnamed',
    /The\s+caller\s+does\s+not\s+have\s+permission\b|Request\s+denied\s+by\s+Cloud\s+IAM/gi,
  )) {
    out.push(gcp(h, { actions: [], confidence: 'low', family: 'gcp-unnamed' }));
  }
  // Google's front end for Cloud Run and Cloud Functions: "Error: Forbidden Your client does not
  // have permission to get URL <path> from this server." Either no identity token was sent or the
  // caller lacks the invoker role; the page does not say which.
  for (const h of doc.hits(
    'gcp-invoker',
    /Your\s+client\s+does\s+not\s+have\s+permission\s+to\s+get\s+URL\s+\S{1,2048}\s+from\s+this\s+server/gi,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        confidence: 'low',
        reason:
          'The service refused the request without saying why: it carried no identity token, or the caller lacks the invoker role.',
        family: 'gcp-unnamed',
      }),
    );
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
    out.push(gcp(h, { actions: [permOf(h.value)], confidence: 'medium', family: 'gcp-you-need' }));
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
      const p = permOf(m[1] ?? '');
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

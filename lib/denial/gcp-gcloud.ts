/**
 * GCP wordings that name a resource but no permission (docs/denial-formats.md §4.3): gcloud's
 * `[<who>] does not have permission to access <kind> [<id>[:<method>]] (or it may not exist)`,
 * Service Usage's `Permission denied to <verb> service [<name>]`, and `Permission denied on
 * [resource] [project] <name>`. Google words a missing resource the same way as a refusal, so
 * where the text says "or it may not exist" the denial says so too (low confidence and a reason).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { isMasked, readQuoted, readToken, skipSpace, trimToken } from './normalise';
import {
  email,
  gcp,
  isMaskedName,
  isTemplateName,
  MAY_NOT_EXIST_REASON,
  mayNotExistAt,
  projectIdOf,
  projectOf,
} from './gcp-common';

/** After the gcloud wording, these say the API is disabled: a look-alike (§5), not a denial. */
const DISABLED_RE =
  /is\s+not\s+enabled\s+for\s+consumer|has\s+not\s+been\s+used\s+in\s+project|SERVICE_DISABLED/i;

/** Kinds whose id is the project itself (a Cloud Run namespace, an App Engine app). */
const PROJECT_KINDS = /^(?:projects?|namespaces?|apps?)$/i;

/** `[<who>]|You does not have permission to access <kind> [instance] [<id>[:<method>]]`. */
function gcloudAccess(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-gcloud-access',
    /(?:\[([^\]\s]{1,256})\]|\bYou)\s+do(?:es)?\s+not\s+have\s+permission\s+to\s+access\s+([A-Za-z_ -]{1,40}?)\s*\[([^\]\n]{1,512})\]/g,
  )) {
    const inner = h.groups[3] ?? '';
    const colon = inner.lastIndexOf(':');
    const method =
      colon > 0 && /^[A-Za-z]{2,64}$/.test(inner.slice(colon + 1)) ? inner.slice(colon + 1) : null;
    const id = trimToken(method ? inner.slice(0, colon) : inner);
    const kind = (h.groups[2] ?? '').trim().replace(/\s+instance$/i, '');
    const ambiguous = mayNotExistAt(s, h.end);
    const end = ambiguous ? ambiguous.end : h.end;
    const rest = s.slice(end, end + 300).split('\n')[0] ?? '';
    if (DISABLED_RE.test(rest)) continue;
    out.push(
      gcp(
        { pos: h.pos, end },
        {
          actions: [],
          resource: id && !isMasked(id) ? id : null,
          principal: email(h.groups[1]),
          account: PROJECT_KINDS.test(kind) ? projectIdOf(id) : null,
          operation: method,
          confidence: 'low',
          ...(ambiguous ? { reason: MAY_NOT_EXIST_REASON } : {}),
          family: 'gcp-unnamed',
        },
      ),
    );
  }
}

/**
 * Service Usage: `Permission denied to <verb> service [<name>]` (gcloud services, Firebase) and
 * `Permission denied to list services for consumer container [projects/<n>]` (Terraform).
 */
function serviceUsage(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-service-usage',
    /Permission\s+denied\s+to\s+([a-z]{2,32})\s+services?\s+(for\s+consumer\s+container\s+)?\[\[?([^\]\s]{1,256})/gi,
  )) {
    const raw = h.groups[3] ?? '';
    const name = raw && !isMaskedName(raw) ? raw : null;
    out.push(
      gcp(h, {
        actions: [],
        resource: name,
        account: h.groups[2] ? projectIdOf(name) : null,
        operation: (h.groups[1] ?? '').toLowerCase() || null,
        confidence: 'low',
        family: 'gcp-unnamed',
      }),
    );
  }
}

/**
 * `Failed to get Firebase project <id>. Please make sure the project exists and your account has
 * permission to access it.` (Firebase CLI): a refusal or a wrong id, the text cannot tell.
 */
function firebaseProject(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-firebase-project',
    /Failed\s+to\s+get\s+Firebase\s+project\s+([A-Za-z0-9._:-]{1,128}?)\.?\s+Please\s+make\s+sure\s+the\s+project\s+exists\s+and\s+your\s+account\s+has\s+permission/gi,
  )) {
    const id = trimToken(h.value);
    if (isTemplateName(id)) continue;
    out.push(
      gcp(h, {
        actions: [],
        resource: id || null,
        account: projectIdOf(id),
        confidence: 'low',
        reason: MAY_NOT_EXIST_REASON,
        family: 'gcp-unnamed',
      }),
    );
  }
}

/**
 * Dataflow and Dataproc refuse to run as a service account the caller may not use: `Current user
 * cannot act as service account <email>`, `User not authorized to act as service account '<email>'`.
 * The permission behind it is not named in the text, so none is reported.
 */
function actAsServiceAccount(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-act-as',
    /(?:cannot|not\s+authorized\s+to)\s+act\s+as\s+(?:the\s+)?service\s+account\b/gi,
  )) {
    const r = nameAt(s, h.end);
    const resource = r && !isMasked(r.value) ? r.value : null;
    out.push(
      gcp(
        { pos: h.pos, end: r ? r.end : h.end },
        {
          actions: [],
          resource,
          account: projectOf(resource),
          confidence: 'low',
          family: 'gcp-unnamed',
        },
      ),
    );
  }
}

/** The name after "Permission denied on …": quoted, bracketed or bare. */
function nameAt(s: string, i: number): { value: string; end: number } | null {
  const j = skipSpace(s, i, 40);
  const q = readQuoted(s, j, 2048);
  if (q) return { value: trimToken(q.value), end: q.end };
  if (s[j] === '(') return null;
  const t = readToken(s, j, 1024, false);
  return t ? { value: trimToken(t.value), end: t.end } : null;
}

/**
 * `Permission denied on resource project <id>.` (Vertex AI, Gemini and other gRPC APIs, often with
 * ErrorInfo `CONSUMER_INVALID`), `Permission denied on resource (or it may not exist).` and, only
 * with the "may not exist" tail, `Permission denied on '<name>'`.
 */
function deniedOn(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits('gcp-denied-on', /Permission\s+denied\s+on\s+(resource\s+)?(project\s+)?/gi)) {
    const named = nameAt(s, h.end);
    const value = named && !isMasked(named.value) ? named.value : null;
    const after = named ? named.end : h.end;
    const ambiguous = mayNotExistAt(s, after);
    const isProject = Boolean(h.groups[2]);
    // A bare "Permission denied on <x>" is too common elsewhere (file systems) without the tail.
    if (!h.groups[1] && !isProject && !ambiguous) continue;
    if (value && (isTemplateName(value) || (!isProject && /^\/(?!\/)/.test(value)))) continue;
    const account = isProject ? projectIdOf(value) : projectOf(value);
    if (isProject && value && !account) continue; // not a project id: a sample or a typo
    out.push(
      gcp(
        { pos: h.pos, end: ambiguous ? ambiguous.end : after },
        {
          actions: [],
          resource: value,
          account,
          confidence: 'low',
          ...(ambiguous ? { reason: MAY_NOT_EXIST_REASON } : {}),
          family: 'gcp-unnamed',
        },
      ),
    );
  }
}

/**
 * App Engine deploy: `Permissions error fetching application [apps/<id>]. Please make sure that
 * you have permission to view applications on the project …` (the app id is the project id).
 */
function appEngine(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-app-engine',
    /Permissions?\s+error\s+fetching\s+application\s+\[apps\/([a-z][a-z0-9-]{4,28}[a-z0-9])\]/g,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        resource: `apps/${h.value}`,
        account: projectIdOf(h.value),
        confidence: 'low',
        family: 'gcp-unnamed',
      }),
    );
  }
}

export function gcloudWordings(doc: Doc, out: Candidate[]): void {
  appEngine(doc, out);
  gcloudAccess(doc, out);
  serviceUsage(doc, out);
  firebaseProject(doc, out);
  actAsServiceAccount(doc, out);
  deniedOn(doc, out);
}

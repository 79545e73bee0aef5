/**
 * GCP phrase families (denial-formats.md §4): `Permission … denied`, `Required … permission`,
 * Cloud Storage / BigQuery / service-account wordings, `lacks IAM permission`, structured
 * `ErrorInfo` details, the console's "You need additional access" panel and troubleshooter URL,
 * wordings that name no permission, and the non-IAM blocks (OAuth scopes, VPC Service Controls,
 * organisation policy) that no grant can fix.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import { isMasked, readQuoted, readToken, safeDecode, skipSpace, trimToken } from './normalise';

/** `service.resource.verb`, optionally service-qualified (`iam.googleapis.com/denypolicies.create`). */
const PERM =
  '[a-zA-Z][a-zA-Z0-9-]{0,62}(?:\\.googleapis\\.com/|\\.)[a-zA-Z0-9_-]{1,80}(?:\\.[a-zA-Z0-9_-]{1,80}){1,3}';
const PERM_FULL = new RegExp(`^${PERM}$`);

/** Lower-case and drop the `.googleapis.com/` service qualifier (README field conventions). */
export function normPerm(p: string): string {
  const l = p.toLowerCase();
  return l.includes('.googleapis.com/') ? l.replace('.googleapis.com/', '.') : l;
}

/** Project id named by a resource (`projects/<id>`) or a BigQuery dataset id (`<project>:<dataset>`). */
export function projectOf(resource: string | null | undefined): string | null {
  if (!resource || isMasked(resource.replace(/^.*?projects\//, '').split('/')[0])) return null;
  const m = /(?:^|\/)projects\/([a-z0-9][a-z0-9.:-]{0,62}[a-z0-9])(?=\/|$)/i.exec(resource);
  if (m?.[1]) return m[1];
  const ds = /^([a-z][a-z0-9.:-]{3,62}[a-z0-9]):[A-Za-z0-9_]+(?:\.[A-Za-z0-9_$-]+)?$/.exec(resource);
  return ds?.[1] ?? null;
}

function email(v: string | undefined | null): string | null {
  if (!v) return null;
  const t = trimToken(v.replace(/^(?:user|serviceAccount|group|principal)[:=]/i, ''));
  if (!/^[^@\s]{1,128}@[A-Za-z0-9.-]{1,255}$/.test(t) || isMasked(t)) return null;
  return t;
}

function gcp(
  h: { pos: number; end: number },
  init: Partial<Candidate> & Pick<Candidate, 'actions' | 'family'>,
): Candidate {
  return candidate({
    start: h.pos,
    end: h.end,
    cloud: 'gcp',
    denyKind: 'gcp-iam',
    requestable: true,
    confidence: 'high',
    ...init,
  });
}

/** A resource token after `i`: quoted, or unquoted up to whitespace; `(or it may not exist)` → none. */
function resourceAt(s: string, i: number): { value: string | null; end: number } {
  const j = skipSpace(s, i);
  const q = readQuoted(s, j, 4096);
  if (q) return { value: trimToken(q.value) || null, end: q.end };
  if (s[j] === '(') return { value: null, end: j };
  const t = readToken(s, j);
  if (!t) return { value: null, end: j };
  const v = trimToken(t.value);
  return { value: v || null, end: t.end };
}

const DENIED_RE = new RegExp(`Permission\\s+['"]?(${PERM})['"]?\\s+denied\\b`, 'gi');
const DENIED_TAIL_RE = /\s*(?:on|for)\s+(?:(resource)|(service\s+account)|(dataset)|(table)|(project))?\s*/iy;

/** `Permission '<perm>' denied on|for resource '<name>'` and its variants (§4.1). */
function permissionDenied(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  DENIED_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DENIED_RE.exec(s)) !== null) {
    let end = m.index + m[0].length;
    let resource: string | null = null;
    DENIED_TAIL_RE.lastIndex = end;
    const t = DENIED_TAIL_RE.exec(s);
    if (
      t &&
      (t[1] ||
        t[2] ||
        t[3] ||
        t[4] ||
        t[5] ||
        s[DENIED_TAIL_RE.lastIndex] === "'" ||
        s[DENIED_TAIL_RE.lastIndex] === '"')
    ) {
      const r = resourceAt(s, DENIED_TAIL_RE.lastIndex);
      resource = r.value;
      end = r.end;
    }
    out.push(
      gcp(
        { pos: m.index, end },
        { actions: [normPerm(m[1] ?? '')], resource, account: projectOf(resource), family: 'gcp-denied' },
      ),
    );
  }
}

/** Word before `pos` (for "<principal> does not have …"). */
function wordBefore(s: string, pos: number): string {
  let j = pos;
  while (j > 0 && pos - j < 100 && /\s/.test(s[j - 1] ?? '')) j--;
  let b = j;
  while (b > 0 && j - b < 512 && !/[\s'"([]/.test(s[b - 1] ?? ' ')) b--;
  return s.slice(b, j);
}

function otherWordings(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  // Compute / legacy REST and gRPC: Required '<perm>' permission(s) for '<resource>' (§4.2).
  for (const h of doc.hits(
    'gcp-required',
    new RegExp(
      `Required\\s+['"](${PERM})['"]\\s+permissions?(?:\\(s\\))?(?:\\s+for\\s+['"]([^'"\\n]{1,2048})['"])?`,
      'gi',
    ),
  )) {
    const resource = trimToken(h.value2 ?? '') || null;
    out.push(
      gcp(h, {
        actions: [normPerm(h.value)],
        resource,
        account: projectOf(resource),
        family: 'gcp-required',
      }),
    );
  }
  // Cloud Storage: <principal> does not have <perm> access to the Google Cloud Storage <kind>.
  for (const h of doc.hits(
    'gcp-gcs',
    new RegExp(`does\\s+not\\s+have\\s+(${PERM})\\s+access\\s+to\\s+`, 'gi'),
  )) {
    const who = wordBefore(s, h.pos);
    const lead = s.slice(Math.max(0, h.pos - 40), h.pos);
    if (/anonymous\s+caller\s*$/i.test(lead)) continue; // not signed in (§5)
    let resource: string | null = null;
    let end = h.end;
    // "… to the Google Cloud Storage bucket." / "… to the Google Cloud project." name nothing.
    const generic = /the\s+Google\s+Cloud\s+(?:Storage\s+(?:bucket|object)|project)s?\b/iy;
    generic.lastIndex = h.end;
    if (generic.exec(s)) end = generic.lastIndex;
    else {
      const t = readToken(s, h.end, 2048, false);
      if (t) {
        resource = trimToken(t.value) || null;
        end = t.end;
      }
    }
    out.push(
      gcp(
        { pos: h.pos, end },
        {
          actions: [normPerm(h.value)],
          principal: email(who),
          resource,
          account: projectOf(resource),
          family: 'gcp-gcs',
        },
      ),
    );
  }
  // BigQuery and others: <who> does not have [the] <perm> permission [in project <id>] (§4.2).
  for (const h of doc.hits(
    'gcp-does-not-have',
    new RegExp(`does\\s+not\\s+have\\s+(?:the\\s+)?['"]?(${PERM})['"]?\\s+permission\\b`, 'gi'),
  )) {
    const who = wordBefore(s, h.pos);
    let end = h.end;
    let resource: string | null = null;
    let account: string | null = null;
    const tail =
      /\s*(?:in|for|on)\s+(?:the\s+)?(project|dataset|table|resource|bucket)?\s*['"]?([A-Za-z0-9:._/-]{1,1024})/iy;
    tail.lastIndex = end;
    const t = tail.exec(s);
    if (t?.[2]) {
      const v = trimToken(t[2]);
      resource = v;
      if (/^project$/i.test(t[1] ?? '')) account = v;
      end = tail.lastIndex;
    }
    if (!resource) {
      // "Access Denied: Dataset p:d: User … does not have …": the object named before.
      const lead = s.slice(Math.max(0, h.pos - 600), h.pos);
      const obj = /Access\s+Denied:\s*(Project|Dataset|Table)\s+([A-Za-z0-9:._-]{1,512}):/i.exec(lead);
      if (obj?.[2] && !/^project$/i.test(obj[1] ?? '')) resource = obj[2];
      if (obj?.[2] && /^project$/i.test(obj[1] ?? '') && !account) account = obj[2];
    }
    out.push(
      gcp(
        { pos: h.pos, end },
        {
          actions: [normPerm(h.value)],
          resource,
          principal: email(who),
          account: account ?? projectOf(resource),
          family: 'gcp-does-not-have',
        },
      ),
    );
  }
  // Service accounts (§4.2).
  for (const h of doc.hits(
    'gcp-sa',
    new RegExp(
      `(?:Permission\\s+['"]?(${PERM})['"]?\\s+is\\s+required\\s+to\\s+perform\\s+this\\s+operation|You\\s+must\\s+have\\s+permission\\s+['"]?(${PERM})['"]?)\\s+on\\s+service\\s+account\\s+`,
      'gi',
    ),
  )) {
    const perm = h.groups[1] ?? h.groups[2] ?? '';
    const r = resourceAt(s, h.end);
    out.push(
      gcp(
        { pos: h.pos, end: r.end },
        { actions: [normPerm(perm)], resource: r.value, account: projectOf(r.value), family: 'gcp-sa' },
      ),
    );
  }
  // Build/deploy tools: lacks IAM permission "<perm>" [for the resource "<name>"].
  for (const h of doc.hits(
    'gcp-lacks',
    new RegExp(
      `lacks\\s+IAM\\s+permission\\s+['"]?(${PERM})['"]?(?:\\s+for\\s+(?:the\\s+)?resource\\s+['"]([^'"\\n]{1,2048})['"])?`,
      'gi',
    ),
  )) {
    const resource = h.value2 ? trimToken(h.value2) || null : null;
    out.push(
      gcp(h, { actions: [normPerm(h.value)], resource, account: projectOf(resource), family: 'gcp-lacks' }),
    );
  }
}

/** Structured `ErrorInfo` with reason `IAM_PERMISSION_DENIED`: metadata.permission / resource. */
function errorInfo(doc: Doc, out: Candidate[]): void {
  const perms = doc.hits('gcp-meta-perm', new RegExp(`"permission"\\s*:\\s*"(${PERM})"`, 'g'));
  const resources = doc.hits('gcp-meta-res', /"resource"\s*:\s*"([^"\n]{1,2048})"/g);
  const nearest = (hits: Hit[], pos: number, a: number, b: number): Hit | undefined => {
    const before = lastIn(hits, a, pos);
    const after = firstIn(hits, pos, b);
    if (!before) return after;
    if (!after) return before;
    return pos - before.pos <= after.pos - pos ? before : after;
  };
  for (const h of doc.hits('gcp-errorinfo', /IAM_PERMISSION_DENIED/g)) {
    const [bs, be] = doc.block(h.pos);
    const a = Math.max(bs, h.pos - 1500);
    const b = Math.min(be, h.end + 1500);
    const p = nearest(perms, h.pos, a, b);
    const r = nearest(resources, h.pos, a, b);
    const resource = r ? trimToken(r.value) || null : null;
    out.push(
      gcp(h, {
        actions: p ? [normPerm(p.value)] : [],
        resource,
        account: projectOf(resource),
        structured: true,
        family: 'gcp-errorinfo',
      }),
    );
  }
}

const HEADING_RE =
  /Missing(?:\s+or\s+(?:denied|blocked))?\s+permissions\s*:|missing\s+at\s+least\s+one\s+of\s+the\s+following\s+required\s+permissions\s*:/gi;

/** Console "You need additional access" panel: permissions listed after the heading (§4.4). */
function consolePanel(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  HEADING_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let prevEnd = 0;
  while ((m = HEADING_RE.exec(s)) !== null) {
    const actions: string[] = [];
    let i = m.index + m[0].length;
    let end = i;
    for (let n = 0; n < 200; n++) {
      const ws = i;
      while (i < s.length && i - ws < 400 && /[\s,•·*-]/.test(s[i] ?? '')) i++;
      const gap = s.slice(ws, i);
      if (actions.length && /\n[^\S\n]*\n/.test(gap)) break; // a blank line ends the list
      let e = i;
      while (e < s.length && e - i < 300 && !/[\s,]/.test(s[e] ?? ' ')) e++;
      const tok = trimToken(s.slice(i, e));
      // The 2020 page puts the resource kind ("Project") on its own line before the permission.
      if (!actions.length && n < 2 && /^[A-Z][a-z]{2,20}$/.test(tok)) {
        i = e;
        continue;
      }
      if (!PERM_FULL.test(tok)) break;
      actions.push(normPerm(tok));
      end = e;
      i = e;
    }
    if (!actions.length) continue;
    const panel = lastIn(
      doc.hits('gcp-panel', /You\s+need\s+additional\s+access/gi),
      Math.max(0, m.index - 6000),
      m.index,
    );
    // The panel's labelled lines sit between its title and the heading (not before a previous list).
    const from = Math.max(panel ? panel.pos : m.index - 3000, prevEnd, 0);
    prevEnd = end;
    const region = s.slice(from, m.index);
    const principal = lastMatch(region, /Principal\s*:\s*([^\s]{1,512})/gi);
    const res = lastMatch(region, /(?:^|\n)\s*Resource\s*:\s*([^\s]{1,2048})/gi);
    const target =
      /You\s+need\s+additional\s+access\s+to\s+(?:the\s+)?(project|folder|organization)?[^:\n]{0,80}:\s+([^\s]{1,512})/i.exec(
        region,
      );
    const resource = res
      ? safeDecode(trimToken(res)) || null
      : target?.[2]
        ? trimToken(target[2]) || null
        : null;
    const account =
      projectOf(resource) ??
      (/^project$/i.test(target?.[1] ?? '') && target?.[2] ? trimToken(target[2]) : null);
    out.push(
      gcp(
        { pos: panel ? panel.pos : m.index, end },
        { actions, resource, principal: email(principal), account, source: 'console', family: 'gcp-panel' },
      ),
    );
  }
}

function lastMatch(s: string, re: RegExp): string | null {
  let last: string | null = null;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(s)) !== null) last = m[1] ?? null;
  return last;
}

/** Troubleshooter URL matrix parameters: `…/troubleshooter…;permissions=a,b;principal=…;resources=…`. */
function troubleshooterUrl(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-troubleshooter',
    /iam-admin\/troubleshooter[A-Za-z/]{0,32}((?:;[A-Za-z]{1,32}=[^;\s?#&'"<>]{0,4096}){1,8})/g,
  )) {
    const params = new Map<string, string>();
    for (const part of h.value.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) params.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
    }
    const perms = (params.get('permissions') ?? params.get('permission') ?? '')
      .split(/,|%2C/i)
      .map((p) => safeDecode(p).trim())
      .filter((p) => PERM_FULL.test(p))
      .map(normPerm);
    if (!perms.length) continue;
    const res = params.get('resources') ?? params.get('resource');
    const resource = res
      ? safeDecode(res)
          .split(',')[0]
          ?.replace(/\/result$/, '') || null
      : null;
    out.push(
      gcp(h, {
        actions: perms,
        resource,
        principal: email(safeDecode(params.get('principal') ?? '')),
        account: projectOf(resource),
        confidence: 'medium',
        family: 'gcp-troubleshooter',
      }),
    );
  }
}

/** Wordings that name no permission (§4.3) and the quota-project denial. */
function unnamed(doc: Doc, out: Candidate[]): void {
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

/** OAuth scopes, VPC Service Controls and organisation policy: real refusals, no grant helps. */
function nonIam(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const scope = { denyKind: 'gcp-scope' as const, requestable: false };
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
  for (const h of doc.hits(
    'gcp-vpcsc',
    /Request\s+is\s+prohibited\s+by\s+organization'?s\s+policy|SECURITY_POLICY_VIOLATED/gi,
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
      /violated\s+for\s+(?:service\s+account|project|folder|organization|resource)?\s*['"]?([^\s'"]{1,1024})/i.exec(
        after,
      );
    const resource = v?.[1] ? trimToken(v[1]) || null : null;
    out.push(
      gcp(h, {
        actions: [],
        ...scope,
        policyId: `constraints/${h.value}`,
        resource,
        account: projectOf(resource),
        reason: 'Blocked by an organisation policy constraint; an IAM grant cannot help.',
        family: 'gcp-orgpolicy',
      }),
    );
  }
}

export function parseGcp(doc: Doc, out: Candidate[]): void {
  permissionDenied(doc, out);
  otherWordings(doc, out);
  errorInfo(doc, out);
  consolePanel(doc, out);
  troubleshooterUrl(doc, out);
  unnamed(doc, out);
  nonIam(doc, out);
}

const PROJECT_NEAR_RE =
  /"consumer"\s*:\s*"projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])"|googleapis\.com\/[^\s?"'<>]{0,200}?\/projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])(?=\/)/g;

/**
 * The project a GCP message names outside its sentence: ErrorInfo `metadata.consumer`, or the
 * request URL path (`…googleapis.com/…/projects/<id>/…`). A `?project=` query is not a reference.
 */
export function projectNear(doc: Doc, start: number, end: number): string | null {
  const [bs, be] = doc.block(start);
  const hits = doc.hits('gcp-project-near', PROJECT_NEAR_RE);
  const h = lastIn(hits, Math.max(bs, start - 2000), start) ?? firstIn(hits, start, Math.min(be, end + 2000));
  return h ? (h.groups[1] ?? h.groups[2] ?? null) : null;
}

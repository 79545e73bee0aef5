/**
 * GCP wordings that name the missing permission (docs/denial-formats.md §4.1, §4.2):
 * `Permission … denied`, `Required … permission`, BigQuery, service-account and build-tool
 * wordings, Spanner / Bigtable `missing IAM permission`, the GKE authorizer's `requires one of`,
 * Container Registry's token exchange, and structured `ErrorInfo` details (JSON or the protobuf
 * text Python's gRPC clients print). Cloud Storage wordings live in ./gcp-storage.ts.
 */
import type { Candidate } from './candidate';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import { trimToken } from './normalise';
import { email, gcp, PERM, permOf, projectIdOf, projectOf, resourceAt, wordBefore } from './gcp-common';

// The quote may sit on the line before the permission when a terminal wraps right after it.
const DENIED_RE = new RegExp(`Permission\\s+(?:['"]\\s*)?(${PERM})(?:\\s*['"])?\\s+denied\\b`, 'gi');
const DENIED_TAIL_RE = /\s*(?:on|for)\s+(?:(resource)|(service\s+account)|(dataset)|(table)|(project))?\s*/iy;

/** `Permission '<perm>' denied on|for resource '<name>'` and its variants (§4.1). */
export function permissionDenied(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  DENIED_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DENIED_RE.exec(s)) !== null) {
    let end = m.index + m[0].length;
    let resource: string | null = null;
    DENIED_TAIL_RE.lastIndex = end;
    const t = DENIED_TAIL_RE.exec(s);
    const next = s[DENIED_TAIL_RE.lastIndex];
    if (t && (t.slice(1).some(Boolean) || next === "'" || next === '"')) {
      const r = resourceAt(s, DENIED_TAIL_RE.lastIndex);
      resource = r.value;
      end = r.end;
    }
    out.push(
      gcp(
        { pos: m.index, end },
        { actions: [permOf(m[1] ?? '')], resource, account: projectOf(resource), family: 'gcp-denied' },
      ),
    );
  }
}

/** Compute / legacy REST and gRPC: Required '<perm>' permission(s) for '<resource>' (§4.2). */
function required(doc: Doc, out: Candidate[]): void {
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
        actions: [permOf(h.value)],
        resource,
        account: projectOf(resource),
        principal: kubernetesUser(doc.text, h.pos),
        family: 'gcp-required',
      }),
    );
  }
}

/** BigQuery and others: <who> does not have [the] <perm> permission [in project <id>] (§4.2). */
function doesNotHave(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
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
          actions: [permOf(h.value)],
          resource,
          principal: email(who),
          account: account ?? projectOf(resource),
          family: 'gcp-does-not-have',
        },
      ),
    );
  }
}

/**
 * `Permission <perm> is required to perform this operation on service account|project <name>`;
 * Firebase: `You must have permission <perm> on service account <email>` (§4.2).
 */
function requiredForOperation(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-sa',
    new RegExp(
      `(?:Permission\\s+['"]?(${PERM})['"]?\\s+is\\s+required\\s+to\\s+perform\\s+this\\s+operation|You\\s+must\\s+have\\s+permission\\s+['"]?(${PERM})['"]?)\\s+on\\s+(?:the\\s+)?(service\\s+account|project|resource)\\s+`,
      'gi',
    ),
  )) {
    const perm = h.groups[1] ?? h.groups[2] ?? '';
    const r = resourceAt(s, h.end);
    const isProject = /^project$/i.test(h.groups[3] ?? '');
    out.push(
      gcp(
        { pos: h.pos, end: r.end },
        {
          actions: [permOf(perm)],
          resource: r.value,
          account: isProject ? projectIdOf(r.value) : projectOf(r.value),
          family: 'gcp-sa',
        },
      ),
    );
  }
}

/** Build/deploy tools: lacks IAM permission "<perm>" [for the resource "<name>"] (§4.2). */
function lacks(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-lacks',
    new RegExp(
      `lacks\\s+IAM\\s+permission\\s+['"]?(${PERM})['"]?(?:\\s+for\\s+(?:the\\s+)?resource\\s+['"]([^'"\\n]{1,2048})['"])?`,
      'gi',
    ),
  )) {
    const resource = h.value2 ? trimToken(h.value2) || null : null;
    out.push(
      gcp(h, { actions: [permOf(h.value)], resource, account: projectOf(resource), family: 'gcp-lacks' }),
    );
  }
}

/** A resource name as a sentence ends it; a bare collection (`projects/`, cut off) names nothing. */
function resourceName(v: string | undefined): string | null {
  const t = trimToken(v ?? '');
  return t && !/^[a-z]+\/?$/i.test(t) ? t : null;
}

/**
 * Spanner and Bigtable: `Caller is missing IAM permission <perm> on resource <name>`,
 * `Resource <name> is missing IAM permission: <perm>.`, `Access denied. Missing IAM permission: <perm>.`
 */
function missingIamPermission(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-missing-iam',
    new RegExp(
      `missing\\s+IAM\\s+permission:?\\s+['"]?(${PERM})['"]?(?:\\s+on\\s+resource\\s+([^\\s'"]{1,2048}))?`,
      'gi',
    ),
  )) {
    let resource = resourceName(h.value2);
    if (!resource) {
      const lead = /Resource\s+([^\s'"]{1,2048})\s+is\s+$/.exec(s.slice(Math.max(0, h.pos - 2100), h.pos));
      resource = resourceName(lead?.[1]);
    }
    out.push(
      gcp(h, {
        actions: [permOf(h.value)],
        resource,
        account: projectOf(resource),
        family: 'gcp-missing-iam',
      }),
    );
  }
}

/** The user of a Kubernetes "is forbidden: User "<who>" cannot <verb> …" sentence on the same line (GKE). */
function kubernetesUser(s: string, pos: number): string | null {
  const who = /User\s+"([^"\n]{1,512})"\s+cannot\s[^\n]*$/.exec(s.slice(Math.max(0, pos - 1000), pos));
  return email(who?.[1]);
}

/** GKE's authorizer: `User "<who>" cannot <verb> … : requires one of ["<perm>", …] permission(s).` */
function gkeRequiresOneOf(doc: Doc, out: Candidate[]): void {
  const quoted = new RegExp(`['"](${PERM})['"]`, 'g');
  for (const h of doc.hits('gcp-gke', /requires\s+one\s+of\s+\[([^\]\n]{1,2000})\]\s+permission/gi)) {
    const actions = [...h.value.matchAll(quoted)].map((m) => permOf(m[1] ?? ''));
    if (!actions.length) continue;
    out.push(gcp(h, { actions, principal: kubernetesUser(doc.text, h.pos), family: 'gcp-gke' }));
  }
}

/**
 * Container Registry's token exchange: `Token exchange failed for project '<p>'. Caller does not
 * have permission [or the resource may not exist] '<perm>'.`
 */
function tokenExchange(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'gcp-gcr',
    new RegExp(
      `Caller\\s+does\\s+not\\s+have\\s+permission(?:\\s+or\\s+the\\s+resource\\s+may\\s+not\\s+exist)?\\s+['"](${PERM})['"]`,
      'g',
    ),
  )) {
    const lead = /Token\s+exchange\s+failed\s+for\s+project\s+['"]([^'"\s]{1,256})['"]\.?\s*$/i.exec(
      s.slice(Math.max(0, h.pos - 400), h.pos),
    );
    out.push(gcp(h, { actions: [permOf(h.value)], account: projectIdOf(lead?.[1]), family: 'gcp-gcr' }));
  }
}

/** App Engine's ResourceInfo detail: `The "<perm>" permission is required.` */
function permissionIsRequired(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-perm-required',
    new RegExp(`The\\s+['"]?(${PERM})['"]?\\s+permission\\s+is\\s+required\\b`, 'g'),
  )) {
    out.push(gcp(h, { actions: [permOf(h.value)], family: 'gcp-perm-required' }));
  }
}

/**
 * Firebase CLI: `Authorization failed. This account is missing the following required permissions
 * on project <id>:` and one permission per line below (a blank line may come first).
 */
function firebaseMissingList(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const line = new RegExp(`^[^\\S\\n]*(${PERM})[^\\S\\n]*$`);
  for (const h of doc.hits(
    'gcp-firebase-missing',
    /missing\s+the\s+following\s+required\s+permissions\s+on\s+project\s+([A-Za-z0-9._:-]{1,128}?):/gi,
  )) {
    const actions: string[] = [];
    let end = h.end;
    // The sentence ends its line; each following line (bounded) holds one permission.
    let i = lineEnd(s, h.end);
    for (let n = 0, blank = 0; i < s.length && s[i] === '\n' && n < 200; n++) {
      const next = lineEnd(s, i + 1);
      const text = s.slice(i + 1, next);
      const m = line.exec(text);
      if (m?.[1]) {
        actions.push(permOf(m[1]));
        end = next;
      } else if (!text.trim() && !actions.length && blank++ === 0) {
        // the CLI leaves one blank line between the sentence and the list
      } else break;
      i = next;
    }
    if (!actions.length) continue;
    out.push(
      gcp({ pos: h.pos, end }, { actions, account: projectIdOf(h.value), family: 'gcp-firebase-missing' }),
    );
  }
}

/** End of the line from `i` (its newline, or the text's end), scanning at most 400 characters. */
function lineEnd(s: string, i: number): number {
  let e = i;
  while (e < s.length && e - i < 400 && s.charCodeAt(e) !== 10) e++;
  return e;
}

export function otherWordings(doc: Doc, out: Candidate[]): void {
  permissionIsRequired(doc, out);
  firebaseMissingList(doc, out);
  required(doc, out);
  doesNotHave(doc, out);
  requiredForOperation(doc, out);
  lacks(doc, out);
  missingIamPermission(doc, out);
  gkeRequiresOneOf(doc, out);
  tokenExchange(doc, out);
}

/**
 * ErrorInfo metadata as JSON (`"permission": "…"`), protobuf text (`key: "permission" value: "…"`,
 * Python gRPC) or YAML (`permission: …`, gcloud's details).
 */
const META_PERM_RE = new RegExp(
  `"permission"\\s*:\\s*"(${PERM})"|key:\\s*"permission"\\s*value:\\s*"(${PERM})"|(?:^|\\n)[^\\S\\n]*permission:[^\\S\\n]*['"]?(${PERM})['"]?[^\\S\\n]*(?=\\n|$)`,
  'g',
);
const META_RES_RE =
  /"resource"\s*:\s*"([^"\n]{1,2048})"|key:\s*"resource"\s*value:\s*"([^"\n]{1,2048})"|(?:^|\n)[^\S\n]*resource:[^\S\n]*['"]?([^\s'"]{1,2048})['"]?[^\S\n]*(?=\n|$)/g;

/** Structured `ErrorInfo` with reason `IAM_PERMISSION_DENIED`: metadata.permission / resource. */
export function errorInfo(doc: Doc, out: Candidate[]): void {
  const perms = doc.hits('gcp-meta-perm', META_PERM_RE);
  const resources = doc.hits('gcp-meta-res', META_RES_RE);
  const nearest = (hits: Hit[], pos: number, a: number, b: number): Hit | undefined => {
    const before = lastIn(hits, a, pos);
    const after = firstIn(hits, pos, b);
    if (!before) return after;
    if (!after) return before;
    return pos - before.pos <= after.pos - pos ? before : after;
  };
  const valueOf = (h: Hit | undefined): string | null =>
    h ? (h.groups[1] ?? h.groups[2] ?? h.groups[3] ?? null) : null;
  for (const h of doc.hits('gcp-errorinfo', /IAM_PERMISSION_DENIED/g)) {
    const [bs, be] = doc.block(h.pos);
    const a = Math.max(bs, h.pos - 1500);
    const b = Math.min(be, h.end + 1500);
    const perm = valueOf(nearest(perms, h.pos, a, b));
    const res = valueOf(nearest(resources, h.pos, a, b));
    const resource = res ? trimToken(res) || null : null;
    out.push(
      gcp(h, {
        actions: perm ? [permOf(perm)] : [],
        resource,
        account: projectOf(resource),
        structured: true,
        family: 'gcp-errorinfo',
      }),
    );
  }
}

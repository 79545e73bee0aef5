/**
 * GCP wordings that name the missing permission (docs/denial-formats.md §4.1, §4.2):
 * `Permission … denied`, `Required … permission`, Cloud Storage / BigQuery / service-account
 * wordings, `lacks IAM permission`, and structured `ErrorInfo` details.
 */
import type { Candidate } from './candidate';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import { readToken, trimToken } from './normalise';
import { email, gcp, normPerm, PERM, projectOf, resourceAt, wordBefore } from './gcp-common';

const DENIED_RE = new RegExp(`Permission\\s+['"]?(${PERM})['"]?\\s+denied\\b`, 'gi');
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

export function otherWordings(doc: Doc, out: Candidate[]): void {
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
export function errorInfo(doc: Doc, out: Candidate[]): void {
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

/**
 * Key Vault data plane (docs/denial-formats.md §3.5): the RBAC denial in both of its wordings
 * (`Caller is not authorized to perform action on resource.` and the newer `The operation is not
 * allowed by RBAC.`), each followed by labelled lines naming the data action, the resource and the
 * caller; and the access-policy model's wordings, which no role assignment can fix.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { callerPrincipal, subscriptionOf } from './azure-common';
import { joinWrapped, trimToken } from './normalise';

const RBAC_RE =
  /Caller\s+is\s+not\s+authori[sz]ed\s+to\s+perform\s+action\s+on\s+resource|The\s+operation\s+is\s+not\s+allowed\s+by\s+RBAC/gi;

/** RBAC-model denial; the labelled lines follow the sentence, up to the next Key Vault message. */
function rbac(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const hits = doc.hits('az-kv-rbac', RBAC_RE);
  hits.forEach((h, i) => {
    const win = s.slice(h.end, Math.min(h.end + 4000, hits[i + 1]?.pos ?? Infinity));
    const caller = /Caller\s*:\s*([^\n]{1,1024})/i.exec(win);
    const action = /Action\s*:\s*'([^'\n]{1,512})'/i.exec(win);
    const res = /Resource\s*:\s*'([^']{1,4096})'/i.exec(win);
    const resource = res?.[1] ? joinWrapped(res[1]) || null : null;
    const endRel = Math.max(
      caller ? caller.index + caller[0].length : 0,
      action ? action.index + action[0].length : 0,
      res ? res.index + res[0].length : 0,
    );
    out.push(
      candidate({
        start: h.pos,
        end: h.end + endRel,
        cloud: 'azure',
        actions: action?.[1] ? [action[1].trim()] : [],
        resource,
        principal: caller?.[1] ? callerPrincipal(caller[1]) : null,
        account: subscriptionOf(resource),
        ...kindOf('azure-rbac'),
        confidence: action ? 'high' : 'medium',
        family: 'az-kv-rbac',
      }),
    );
  });
}

const POLICY_REASON =
  "The key vault uses access policies; the vault's access policy must be changed, a role assignment cannot help.";

/** Access-policy model: the data-plane sentence and the portal's "not enabled" notice. */
function accessPolicy(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'az-kv-policy',
    /does\s+not\s+have\s+((?:secrets|keys|certificates|storage)\s+[a-z]{2,32}(?:\s*,\s*[a-z]{2,32}){0,16})\s+permission\s+on\s+key\s+vault\s+'([^'\n]{1,512})'/gi,
  )) {
    const lead = s.slice(Math.max(0, h.pos - 1200), h.pos);
    const who = /The\s+user,\s+group\s+or\s+application\s+'([^'\n]{1,1024})'\s*$/i.exec(lead);
    const vault = trimToken((h.value2 ?? '').split(';')[0] ?? '') || null;
    out.push(
      candidate({
        start: who ? h.pos - (lead.length - who.index) : h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        resource: vault,
        principal: who?.[1] ? callerPrincipal(who[1]) : null,
        ...kindOf('azure-policy'),
        reason: POLICY_REASON,
        confidence: 'high',
        family: 'az-kv-policy',
      }),
    );
  }
  for (const h of doc.hits(
    'az-kv-policy-portal',
    /The\s+operation\s+["']?[A-Za-z]{2,32}["']?\s+is\s+not\s+enabled\s+in\s+this\s+key\s+vault'?s\s+access\s+policy/gi,
  )) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        ...kindOf('azure-policy'),
        reason: POLICY_REASON,
        confidence: 'medium',
        family: 'az-kv-policy',
      }),
    );
  }
}

export function parseKeyVault(doc: Doc, out: Candidate[]): void {
  rbac(doc, out);
  accessPolicy(doc, out);
}

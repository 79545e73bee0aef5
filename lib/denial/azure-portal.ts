/**
 * Azure portal renderings (docs/denial-formats.md §3.7): the create / assign validation that lists
 * the missing permissions, and the panels that say access was refused without naming a permission
 * ("You do not have access", Key Vault's "You are unauthorized to view these contents.", a blade's
 * error details with `"message": "No access"`). A panel yields a denial with no action, scoped by
 * the blade's `resourceId` or by a portal resource link (any cloud's portal host) when the text
 * shows one. Panel wordings are matched as panels (a title on a line of its own, the portal's own
 * sentences), never as a phrase inside prose.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import type { DenyKind } from '../deny-kinds';
import { resourceIdOf, subscriptionOf } from './azure-common';
import { safeDecode, trimToken } from './normalise';

/** Create / assign validation: `… without the following permissions over selected scope: (<actions>)`. */
function permissionList(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'az-portal-perms',
    /without\s+the\s+following\s+permissions?\s+over\s+(?:the\s+)?selected\s+scope\s*:?\s*\(([^()]{1,2048})\)/gi,
  )) {
    const actions = h.value
      .split(/[,\s]+/)
      .map((a) => trimToken(a))
      .filter((a) => /^[A-Za-z][A-Za-z0-9.]*\/[A-Za-z0-9/._*-]+$/.test(a));
    if (!actions.length) continue;
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions,
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        source: 'console',
        family: 'az-portal',
      }),
    );
  }
}

interface Panel {
  key: string;
  re: RegExp;
  kind: DenyKind;
}

/**
 * Panels, most specific first. "You do not have access" counts only as a title on a line of its
 * own: as a phrase it starts ordinary sentences ("If you do not have access to a subscription, …").
 */
const PANELS: readonly Panel[] = [
  {
    key: 'az-panel-kv',
    re: /You\s+(?:are|'re)\s+(?:unauthori[sz]ed|not\s+authori[sz]ed)\s+to\s+view\s+(?:these|this)\s+(?:contents?|resources?|page|blade|data)\b/gi,
    kind: 'azure-rbac',
  },
  {
    key: 'az-panel-title',
    re: /^[^\S\n]*You\s+(?:do\s+not|don't)\s+have\s+access[^\S\n]*\.?[^\S\n]*$/gim,
    kind: 'unknown',
  },
  {
    key: 'az-panel-body',
    re: /Looks\s+like\s+you\s+don't\s+have\s+access\s+to\s+this\s+content/gi,
    kind: 'unknown',
  },
  { key: 'az-panel-blade', re: /"error"\s*:\s*\{\s*"message"\s*:\s*"No access"/g, kind: 'unknown' },
];

/** A blade's error details name the resource it could not load. */
const BLADE_RESOURCE_RE = /"resourceId"\s*:\s*"(\/(?:subscriptions|providers)\/[^"\s]{1,2000})"/g;
/** Portal links of every cloud (`portal.azure.com`, `.us`, `.cn`): `…/resource/subscriptions/…` or an encoded `resourceId/…`. */
const PORTAL_LINK_RE =
  /https?:\/\/(?:[a-z0-9-]{1,30}\.)?portal\.azure\.(?:com|us|cn)\/[^\s"'<>]{0,300}?(?:\/resource(\/(?:subscriptions|providers)\/[^\s"'<>?#]{1,2000})|\/resourceId\/(%2F[^\s"'<>/?#]{1,2000}))/gi;

/** The resource a panel is about, from the blade details or a portal link in the same paragraph. */
function panelScope(doc: Doc, pos: number): string | null {
  const [bs, be] = doc.block(pos);
  const a = Math.max(bs, pos - 1500);
  const b = Math.min(be, pos + 1500);
  const near = (hits: Hit[]): Hit | undefined => lastIn(hits, a, pos) ?? firstIn(hits, pos, b);
  const blade = near(doc.hits('az-blade-resource', BLADE_RESOURCE_RE));
  if (blade) return resourceIdOf(blade.value);
  const link = near(doc.hits('az-portal-link', PORTAL_LINK_RE));
  if (!link) return null;
  const path = link.groups[1] ?? safeDecode(link.groups[2] ?? '');
  return resourceIdOf(path);
}

function panels(doc: Doc, out: Candidate[]): void {
  for (const p of PANELS) {
    for (const h of doc.hits(p.key, p.re)) {
      const resource = panelScope(doc, h.pos);
      out.push(
        candidate({
          start: h.pos,
          end: h.end,
          cloud: 'azure',
          actions: [],
          resource,
          account: subscriptionOf(resource),
          ...kindOf(p.kind),
          confidence: 'low',
          source: 'console',
          family: 'az-panel',
        }),
      );
    }
  }
}

export function parsePortal(doc: Doc, out: Candidate[]): void {
  permissionList(doc, out);
  panels(doc, out);
}

/**
 * Microsoft Entra ID and Microsoft Graph (docs/denial-formats.md §3.8): `Authorization_RequestDenied`
 * / "Insufficient privileges to complete the operation.", Graph's bare `Forbidden` (recognised only
 * inside a Graph frame: a Graph host of any cloud, or Graph's `innerError` with a `request-id`),
 * Exchange's `ErrorAccessDenied` through Graph, and Graph's "Missing role permissions" message that
 * lists the application permissions it would accept. What is missing is a directory role (for a
 * user) or a Graph permission granted by admin consent (for an application), never an Azure role,
 * so these are of their own kind (`entra-directory`) and not requestable from this broker.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { firstIn } from './context';

/** Microsoft Graph (and the retired Azure AD Graph) hosts of the public, US Government and China clouds. */
const GRAPH_HOST_RE =
  /\b(?:dod-)?graph\.microsoft\.(?:com|us)\b|\bmicrosoftgraph\.chinacloudapi\.cn\b|\bgraph\.(?:windows\.net|chinacloudapi\.cn)\b/gi;
/** Graph's error envelope: `"innerError": { … "request-id": … }`. */
const GRAPH_INNER_RE = /"innerError"\s*:\s*\{[^{}]{0,400}"request-id"/gi;
const FORBIDDEN_RE =
  /"code"\s*:\s*"Forbidden"|\bForbidden\s+for\s+url\b|\b403\b[^\S\n]{0,4}(?:\(Forbidden\)|Forbidden\b)/g;
const DIRECTORY_RE =
  /Authorization_RequestDenied|Insufficient\s+privileges\s+to\s+complete\s+the\s+operation|\bErrorAccessDenied\b/g;
const MISSING_ROLES_RE =
  /Missing\s+role\s+permissions\s+on\s+the\s+request\.?\s+API\s+requires\s+one\s+of\s+'([^'\n]{1,1024})'/g;

const DIRECTORY_REASON =
  'Microsoft Entra ID refused this: the caller lacks a directory role (a user) or a Microsoft Graph permission (an application); neither is an Azure role assignment, so this broker cannot grant it.';

/** Whether [a, b) of the paragraph holding `pos` shows a Microsoft Graph frame. */
function inGraphFrame(doc: Doc, pos: number, a: number, b: number): boolean {
  const [bs, be] = doc.block(pos);
  const from = Math.max(bs, a);
  const to = Math.min(be, b);
  return (
    firstIn(doc.hits('az-graph-host', GRAPH_HOST_RE), from, to) !== undefined ||
    firstIn(doc.hits('az-graph-inner', GRAPH_INNER_RE), from, to) !== undefined
  );
}

function entra(start: number, end: number, reason: string, confidence: 'high' | 'medium'): Candidate {
  return candidate({
    start,
    end,
    cloud: 'azure',
    actions: [],
    ...kindOf('entra-directory'),
    reason,
    confidence,
    family: 'az-entra',
  });
}

export function parseEntra(doc: Doc, out: Candidate[]): void {
  const directory = doc.hits('az-entra', DIRECTORY_RE);
  const missingRoles = doc.hits('az-graph-roles', MISSING_ROLES_RE);
  for (const h of directory) out.push(entra(h.pos, h.end, DIRECTORY_REASON, 'medium'));
  for (const h of missingRoles) {
    const wanted = h.value
      .split(',')
      .map((p) => p.trim())
      .filter((p) => /^[A-Za-z][A-Za-z0-9.]{1,100}$/.test(p));
    const reason = `Microsoft Graph needs one of these permissions: ${wanted.join(', ')}. They are granted by admin consent in Microsoft Entra ID, not by an Azure role assignment, so this broker cannot grant them.`;
    out.push(entra(h.pos, h.end, wanted.length ? reason : DIRECTORY_REASON, 'high'));
  }
  for (const h of doc.hits('az-graph-forbidden', FORBIDDEN_RE)) {
    if (!inGraphFrame(doc, h.pos, h.pos - 1500, h.end + 600)) continue;
    // The status next to a message this module reads already: that reading says more.
    if (firstIn(directory, h.pos - 300, h.end + 1500) || firstIn(missingRoles, h.pos - 300, h.end + 1500))
      continue;
    out.push(entra(h.pos, h.end, DIRECTORY_REASON, 'medium'));
  }
}

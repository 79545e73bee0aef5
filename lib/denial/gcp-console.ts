/**
 * The Cloud console's "You need additional access" panel and its Policy Troubleshooter link, the
 * tooltip of a disabled button ("You need permissions for this action. Required permission(s): …")
 * and the notices that name no permission (docs/denial-formats.md §4.4).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { isSpace, safeDecode, trimToken } from './normalise';
import { email, gcp, PERM_FULL, permOf, projectOf } from './gcp-common';

const HEADING_RE =
  /Missing(?:\s+or\s+(?:denied|blocked))?\s+permissions\s*:|missing\s+at\s+least\s+one\s+of\s+the\s+following\s+required\s+permissions\s*:/gi;

/** Console "You need additional access" panel: permissions listed after the heading (§4.4). */
export function consolePanel(doc: Doc, out: Candidate[]): void {
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
      actions.push(permOf(tok));
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
export function troubleshooterUrl(doc: Doc, out: Candidate[]): void {
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
      .map(permOf);
    if (!perms.length) continue;
    const res = params.get('resources') ?? params.get('resource');
    // A link pasted into Markdown or prose ends with ")" or "." that is not part of the name.
    const resource = res
      ? trimToken(
          safeDecode(res)
            .split(',')[0]
            ?.replace(/\/result$/, '') ?? '',
        ) || null
      : null;
    out.push(
      gcp(h, {
        actions: perms,
        resource,
        principal: email(trimToken(safeDecode(params.get('principal') ?? ''))),
        account: projectOf(resource),
        confidence: 'medium',
        family: 'gcp-troubleshooter',
      }),
    );
  }
}

/** The console page's own project (`?project=<id>` in its URL), for notices that name none. */
const CONSOLE_PROJECT_RE = /[?&]project=([a-z][a-z0-9-]{4,28}[a-z0-9])(?![a-z0-9-])/g;

function consoleProject(doc: Doc, start: number, end: number): string | null {
  const [bs, be] = doc.block(start);
  const hits = doc.hits('gcp-console-project', CONSOLE_PROJECT_RE);
  const h = firstIn(hits, end, Math.min(be, end + 600)) ?? lastIn(hits, Math.max(bs, start - 600), start);
  return h ? h.value : null;
}

/** Permissions listed on one line after `Required permission(s):`, comma or space separated. */
function permissionList(s: string, from: number): { actions: string[]; end: number } {
  const actions: string[] = [];
  let i = from;
  let end = from;
  for (let n = 0; n < 50; n++) {
    const ws = i;
    while (i < s.length && i - ws < 200 && (s[i] === ',' || (isSpace(s[i]) && (n === 0 || s[i] !== '\n'))))
      i++;
    let e = i;
    while (e < s.length && e - i < 300 && s[e] !== ',' && !isSpace(s[e])) e++;
    const tok = trimToken(s.slice(i, e));
    if (!PERM_FULL.test(tok)) break;
    actions.push(permOf(tok));
    end = e;
    i = e;
  }
  return { actions, end };
}

/**
 * The console's tooltip on a disabled control ("You need permissions for this action. Required
 * permission(s): <perm>, …") and its notices that name no permission ("You don't have permission
 * to see this information", "… sufficient permissions to view this page", "… to perform the action
 * on the selected resource"). The project is the page's when the text carries its URL.
 */
export function consoleNotices(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'gcp-console-tooltip',
    /You\s+need\s+permissions?\s+for\s+this\s+action\b\.?(\s*Required\s+permission\(s\)\s*:)?/gi,
  )) {
    const list = h.groups[1] ? permissionList(doc.text, h.end) : { actions: [], end: h.end };
    out.push(
      gcp(
        { pos: h.pos, end: list.end },
        {
          actions: list.actions,
          account: consoleProject(doc, h.pos, list.end),
          confidence: list.actions.length ? 'medium' : 'low',
          source: 'console',
          family: 'gcp-console-notice',
        },
      ),
    );
  }
  for (const h of doc.hits(
    'gcp-console-unnamed',
    /You\s+(?:don'?t|do\s+not)\s+have\s+(?:sufficient\s+)?permissions?\s+to\s+(?:see\s+this\s+information|view\s+this\s+page|perform\s+the\s+action\s+on\s+the\s+selected\s+resource)/gi,
  )) {
    out.push(
      gcp(h, {
        actions: [],
        account: consoleProject(doc, h.pos, h.end),
        confidence: 'low',
        source: 'console',
        family: 'gcp-console-notice',
      }),
    );
  }
}

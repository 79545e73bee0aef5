/**
 * Runs inside the lazily injected banner chunk: parses candidate texts from the content core,
 * de-duplicates denials across the page, and renders one card per distinct denial into a single
 * host element with a closed shadow root. A newer text of the same node that completes an earlier
 * denial (text streamed in pieces: a truncated action, a missing resource) replaces that card.
 */
import { render } from 'preact';
import type { Denial } from '@/lib/contract/denial';
import { parseDenials } from '@/lib/denial';
import type { AnchorRect, CandidateBatch } from '@/lib/content/handoff';
import { ACTIONS_PER_REQUEST_MAX } from '@/lib/contract/constants';
import {
  DenialSeenMessage,
  SeenReply,
  type BannerMessage,
  type RequestProgress,
  type RequestProgressMessage,
} from '@/lib/messaging/messages';
import type { PageContext } from '@/lib/content/page-context/types';
import { BannerStack, type BannerEntry } from './BannerStack';
import { CARD_EXTRA_CSS } from './banner/card-css';
import { hostIntents } from './banner/click-guard';
import { BANNER_CSS, HEADER_OFFSET } from './styles';

export const HOST_TAG = 'unblock-banner';
/** A hostile page could flood us with distinct denials; more than this wait for a dismissal. */
const MAX_CARDS = 5;

export type Parse = (text: string, hints?: PageContext) => Denial[];

/** Same denial, same card: (cloud, actions, resource), case-insensitive for actions. */
export function denialKey(d: Denial): string {
  const actions = d.actions.map((a) => a.toLowerCase()).sort();
  return `${d.cloud}|${actions.join(',')}|${d.resource ?? ''}`;
}

/** Where a card's denial was read: the node's source id (handoff.ts), element and time. */
interface Origin {
  source?: string;
  node?: Element;
  at: number;
}

/** A card from a node the page has since replaced is still replaced by its completion this long. */
const REPLACED_NODE_MS = 3000;

const startsWithCi = (full: string, part: string) => full.toLowerCase().startsWith(part.toLowerCase());

/**
 * `newer` completes `older`: the same cloud, every older action the start of a newer one, and the
 * older resource, principal and account (when named) the start of the newer ones — what a parse of
 * a truncated text gives next to a parse of the whole.
 */
export function completes(newer: Denial, older: Denial): boolean {
  const prefix = (n: string | null, o: string | null) => o === null || (n !== null && startsWithCi(n, o));
  return (
    newer.cloud === older.cloud &&
    denialKey(newer) !== denialKey(older) &&
    older.actions.every((a) => newer.actions.some((b) => startsWithCi(b, a))) &&
    prefix(newer.resource, older.resource) &&
    prefix(newer.principal, older.principal) &&
    prefix(newer.account, older.account)
  );
}

/** Fill what the message lacks from the page (the parser does this with hints too; belt and braces). */
export function withPageContext(d: Denial, ctx: PageContext): Denial {
  return {
    ...d,
    account: d.account ?? (ctx.cloud === d.cloud ? (ctx.account ?? null) : null),
    principal: d.principal ?? (ctx.cloud === d.cloud ? (ctx.principal ?? null) : null),
  };
}

function parseHints(ctx: PageContext): PageContext {
  const { cloud, account, principal, region, source } = ctx;
  return Object.fromEntries(
    Object.entries({ cloud, account, principal, region, source }).filter(([, v]) => v !== undefined),
  );
}

/**
 * Where the stack goes: top-right just below the console header, unless that would cover the
 * denial text; then bottom-right, usually the emptiest corner of a console page; then bottom-left
 * (where the navigation usually ends) when the denial reaches down the right side. When every
 * corner covers part of the denial, the one covering least wins.
 */
export type Side = 'right' | 'left';
export type Placement = { top: number; side?: Side } | { bottom: number; reserveTop: number; side?: Side };

/** Card width plus the stack's padding (room for the shadow). */
export const STACK_WIDTH = 360 + 16;
/** A collapsed card with one action is about 170 px; a little more for a two-line headline. */
const CARD_HEIGHT_ESTIMATE = 190;
const BOTTOM_GAP = 16;

interface Box {
  top: number;
  left: number;
  right: number;
  bottom: number;
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

export function stackPlacement(
  anchors: readonly AnchorRect[],
  headerOffset: number,
  viewport: { width: number; height: number },
  cards = 1,
): Placement {
  const { width: vw, height: vh } = viewport;
  // A whole-page anchor (the initial scan of <body>, a console's main pane) says nothing about
  // where the denial is: ignore anchors covering most of the viewport.
  const screen = { top: 0, left: 0, right: vw, bottom: vh };
  const denial = anchors.filter((a) => {
    const visible = overlapArea(a, screen);
    return visible > 0 && visible < vw * vh * 0.6;
  });
  const height = Math.min(vh * 0.48, CARD_HEIGHT_ESTIMATE * Math.min(cards, 2) + (cards > 2 ? 40 : 0));
  const width = Math.min(STACK_WIDTH, vw);
  const low = { top: vh - BOTTOM_GAP - height, bottom: vh - BOTTOM_GAP };
  const corners: Array<{ side: Side; top: boolean; box: Box }> = [
    {
      side: 'right',
      top: true,
      box: { left: vw - width, right: vw, top: headerOffset, bottom: headerOffset + height },
    },
    { side: 'right', top: false, box: { left: vw - width, right: vw, ...low } },
    { side: 'left', top: false, box: { left: 0, right: width, ...low } },
  ];
  let best = corners[0]!;
  let bestArea = Infinity;
  for (const c of corners) {
    const area = denial.reduce((sum, a) => sum + overlapArea(c.box, a), 0);
    if (area < bestArea) {
      best = c;
      bestArea = area;
    }
    if (area === 0) break;
  }
  const side = best.side === 'left' ? { side: 'left' as const } : {};
  if (best.top) return { top: headerOffset, ...side };
  // Not just below the denial: that is where consoles put their action buttons. From the bottom,
  // grow up to the denial (then scroll), unless that leaves too little room to be usable.
  const above = denial.filter((a) => a.right > best.box.left && a.left < best.box.right);
  const clear = above.length ? Math.max(...above.map((a) => a.bottom)) + 8 : headerOffset;
  return { bottom: BOTTOM_GAP, reserveTop: vh - clear > height ? clear : headerOffset, ...side };
}

function rectOf(el: Element): AnchorRect {
  if (!el.isConnected) return { top: 0, left: 0, right: 0, bottom: 0 };
  const r = el.getBoundingClientRect();
  return { top: r.top, left: r.left, right: r.right, bottom: r.bottom };
}

/**
 * Shows the host in the top layer, as a manual popover: nothing of the page's outside the top
 * layer paints over it (whatever its z-index or place in the tree), and no ancestor's opacity,
 * filter, clip or transform applies to it (docs/extension.md, "Clicks the page arranged"). False
 * where the browser has no popovers: the host stays a fixed element with the highest z-index.
 */
function showOnTop(host: HTMLElement): boolean {
  if (typeof host.showPopover !== 'function') return false;
  try {
    if (host.getAttribute('popover') !== 'manual') host.setAttribute('popover', 'manual');
    if (!host.matches(':popover-open')) host.showPopover();
    return true;
  } catch {
    return false; // not shown (a document being torn down): the guard then checks the ancestors
  }
}

export class BannerController {
  private entries: BannerEntry[] = [];
  private waiting: BannerEntry[] = [];
  private keys = new Set<string>();
  private origins = new Map<string, Origin>();
  private dismissed = new Set<string>();
  private seq = 0;
  private host?: HTMLElement;
  private container?: HTMLElement;
  private root?: ShadowRoot;
  private placement: Placement | undefined;
  /** The background's progress reports, by draft id (a card looks up its own). */
  private progress = new Map<string, RequestProgress>();

  constructor(
    private readonly doc: Document,
    private readonly send: (msg: BannerMessage) => Promise<unknown>,
    private readonly parse: Parse = parseDenials,
    /** Milliseconds since the document started loading (its `performance.now()`). */
    private readonly sinceLoad: () => number = () => doc.defaultView?.performance.now() ?? 0,
  ) {}

  deliver(batch: CandidateBatch): void {
    let added = false;
    const fresh: BannerEntry[] = [];
    const hints = parseHints(batch.context);
    batch.texts.forEach((text, i) => {
      let denials: Denial[];
      try {
        denials = this.parse(text, hints);
      } catch {
        return; // a parser bug must not break the page
      }
      const source = batch.sources?.[i];
      const node = batch.nodes[i];
      const origin: Origin = { at: Date.now(), ...(source ? { source } : {}), ...(node ? { node } : {}) };
      const found = denials.map((raw) => withPageContext(raw, batch.context));
      // A denial this text still shows is never "completed" by another one in it.
      const current = new Set(found.map(denialKey));
      for (const denial of found) {
        const key = denialKey(denial);
        if (this.dismissed.has(key)) continue;
        const older = this.completedBy(denial, origin).filter((e) => !current.has(e.key));
        if (this.keys.has(key)) {
          // Already shown: its partial versions go.
          if (older.length) this.retire(older.map((e) => e.key));
          added ||= older.length > 0;
          continue;
        }
        this.keys.add(key);
        this.origins.set(key, origin);
        const entry: BannerEntry = {
          key,
          seq: ++this.seq,
          denial,
          context: batch.context,
          pageUrl: batch.pageUrl,
        };
        fresh.push(entry);
        const first = older[0];
        if (first) {
          // In the place of the card it completes, so the stack does not jump.
          const list = this.entries.includes(first) ? this.entries : this.waiting;
          list[list.indexOf(first)] = entry;
          this.retire(older.map((e) => e.key));
        } else if (this.entries.length < MAX_CARDS) this.entries.push(entry);
        else this.waiting.push(entry);
        added = true;
      }
    });
    if (!added) return;
    const cloud = batch.context.cloud ?? 'aws';
    const view = this.doc.defaultView;
    // Decided once, for the first denial shown: the stack should not jump around afterwards.
    this.placement ??= stackPlacement(
      batch.nodes.map(rectOf),
      HEADER_OFFSET[cloud],
      { width: view?.innerWidth ?? 1280, height: view?.innerHeight ?? 800 },
      this.entries.length,
    );
    this.render(cloud);
    for (const entry of fresh) if (entry.denial.requestable) void this.askIfGranted(entry);
  }

  /**
   * Tells the background a denial a grant could lift is shown. When it is the one a request from
   * this tab was just granted for (the page reloaded into it and is still denied), the card
   * adopts that request: it shows its progress (access is propagating) instead of a new form.
   */
  private async askIfGranted(entry: BannerEntry): Promise<void> {
    const { denial } = entry;
    const message = DenialSeenMessage.safeParse({
      type: 'denial-seen',
      cloud: denial.cloud,
      account: denial.account,
      actions: denial.actions.slice(0, ACTIONS_PER_REQUEST_MAX),
      sinceLoadMs: Math.max(0, Math.round(this.sinceLoad())),
    });
    if (!message.success) return;
    let reply: unknown;
    try {
      reply = await this.send(message.data);
    } catch {
      return; // the background is gone (extension reloaded): nothing to adopt
    }
    const parsed = SeenReply.safeParse(reply);
    if (!parsed.success || !parsed.data.ok || !parsed.data.adopted) return;
    const { draftId, progress } = parsed.data.adopted;
    const shown = [...this.entries, ...this.waiting].find((e) => e.key === entry.key);
    if (!shown) return;
    shown.draftId = draftId;
    this.report({ type: 'request-progress', draftId, progress });
  }

  /**
   * The cards `denial` completes: from the same node, or from a node the page has just replaced
   * (a streamed text re-rendered whole).
   */
  private completedBy(denial: Denial, origin: Origin): BannerEntry[] {
    return [...this.entries, ...this.waiting].filter((e) => {
      const was = this.origins.get(e.key);
      if (!was || !completes(denial, e.denial)) return false;
      if (was.source !== undefined && was.source === origin.source) return true;
      return !!was.node && !was.node.isConnected && origin.at - was.at < REPLACED_NODE_MS;
    });
  }

  /** Removes cards (no longer shown, not dismissed: a later text may bring them back). */
  private retire(keys: string[]): void {
    const gone = new Set(keys.filter((k) => this.keys.delete(k)));
    for (const k of gone) this.origins.delete(k);
    this.entries = this.entries.filter((e) => !gone.has(e.key));
    this.waiting = this.waiting.filter((e) => !gone.has(e.key));
    while (this.entries.length < MAX_CARDS && this.waiting.length) this.entries.push(this.waiting.shift()!);
  }

  /** A validated `request-progress` message from the background (entrypoints/banner.ts). */
  report(msg: RequestProgressMessage): void {
    // A fresh map, so the cards re-render; bounded like the cards themselves.
    const next = new Map(this.progress);
    next.delete(msg.draftId);
    next.set(msg.draftId, msg.progress);
    while (next.size > 50) next.delete(next.keys().next().value!);
    this.progress = next;
    if (this.entries.length) this.render(this.entries[0]!.denial.cloud);
  }

  /** Remove the banner for good (this chunk's extension context is gone). */
  destroy(): void {
    this.entries = [];
    this.waiting = [];
    this.render('aws');
  }

  private dismiss = (key: string): void => {
    // Keyboard users dismissing a card should land on the next one, not at the top of the page.
    const hadFocus = !!this.root?.activeElement;
    this.dismissed.add(key);
    this.keys.delete(key);
    this.origins.delete(key);
    this.entries = this.entries.filter((e) => e.key !== key);
    const next = this.waiting.shift();
    if (next) this.entries.push(next);
    this.render(this.entries[0]?.denial.cloud ?? 'aws');
    if (hadFocus) this.root?.querySelector<HTMLElement>('.dismiss')?.focus();
  };

  private mount(cloud: 'aws' | 'azure' | 'gcp'): HTMLElement {
    if (!this.host) {
      let host = this.doc.createElement(HOST_TAG);
      // If the page defined <unblock-banner> first, its class could read our closed root through
      // ElementInternals.shadowRoot; an undefined name (or a plain div) cannot.
      if (host.matches(':defined')) host = this.doc.createElement('div');
      const root = host.attachShadow({ mode: 'closed' });
      const style = this.doc.createElement('style');
      style.textContent = BANNER_CSS + CARD_EXTRA_CSS;
      const container = this.doc.createElement('div');
      root.append(style, container);
      this.host = host;
      this.container = container;
      this.root = root;
    }
    const place = this.placement ?? { top: HEADER_OFFSET[cloud] };
    // The stack's own padding (room for the shadow) sits between the edge and the first card.
    const edge =
      'top' in place
        ? `top: ${place.top - 4}px !important;`
        : `bottom: ${Math.max(0, place.bottom - 16)}px !important;`;
    const reserved = 'top' in place ? place.top : place.reserveTop;
    const side = place.side === 'left' ? 'left' : 'right';
    // Inline !important beats page rules on the host; `all: initial` stops inherited page styles.
    const style = `all: initial !important; --top: ${reserved}px; position: fixed !important; ${edge} ${side}: 4px !important; z-index: 2147483647 !important; display: block !important;`;
    this.host.setAttribute('style', style);
    // SPAs may rebuild <body>; the root element survives, so the host lives there.
    if (!this.host.isConnected) this.doc.documentElement.append(this.host);
    // The click guard compares the host with what was set here (click-guard.ts).
    hostIntents.set(this.host, { style, topLayer: showOnTop(this.host) });
    return this.container!;
  }

  private render(cloud: 'aws' | 'azure' | 'gcp'): void {
    if (!this.entries.length) {
      if (this.container) render(null, this.container);
      this.host?.remove();
      this.placement = undefined;
      return;
    }
    const container = this.mount(cloud);
    render(
      <BannerStack
        entries={this.entries}
        send={this.send}
        onDismiss={this.dismiss}
        progress={this.progress}
      />,
      container,
    );
  }
}

/**
 * The background's message handler, separate from the entrypoint so it can be tested directly.
 * Every message is validated (zod) and must come from our own content script in a top-level or
 * child frame of a console tab; anything else gets `{ok:false}` and no side effect. A console
 * frame's `frame-candidates` is relayed to the top frame of its tab (frame-relay.ts).
 */
import type { RelayedFrameCandidates } from '../messaging/frame-relay';
import { FRAME_CANDIDATES } from '../messaging/frame-relay';
import { parseRuntimeMessage, type AnyReply } from '../messaging/messages';
import { isConsoleFrameUrl, isConsoleUrl } from '../clouds';
import type { BannerQueries } from './banner-queries';
import type { DraftRecord } from './drafts';
import type { NewAccessRequest } from '../contract/request';
import type { SeenDenial } from './propagation';
import type { Adopted } from './request-watch';
import type { Where } from './tracked-request';

export interface MessageSender {
  id?: string;
  url?: string;
  frameId?: number;
  tab?: { id?: number; url?: string };
}

export interface HandlerDeps {
  runtimeId: string;
  injectBanner(tabId: number, frameId: number): Promise<void>;
  saveDraft(request: NewAccessRequest): Promise<DraftRecord>;
  /**
   * Files the saved draft with the broker when one is configured (in the background, reporting
   * progress to the sender's frame); resolves false when there is none.
   */
  fileRequest?(draft: DraftRecord, where: Where): Promise<boolean>;
  /** The banner's questions: a service's actions, decoding a message, whether an account is managed. */
  queries?: BannerQueries;
  /**
   * Gives a console frame's candidates to the top frame of the tab; resolves false when nothing
   * there took them (its content script has not started yet: the frame tries again).
   */
  relayToTop?(tabId: number, message: RelayedFrameCandidates): Promise<boolean>;
  /**
   * The banner shows a denial: the request (draft id and progress) it belongs to when a request
   * from this tab was just granted for it and has not reached the console yet; else null.
   */
  denialSeen?(where: { tabId: number; frameId: number }, seen: SeenDenial): Promise<Adopted | null>;
}

export function checkSender(sender: MessageSender, runtimeId: string): string | undefined {
  if (sender.id !== runtimeId) return 'sender: not this extension';
  if (typeof sender.tab?.id !== 'number') return 'sender: not a tab';
  // sender.url is the frame's own URL; the tab URL covers browsers that omit it.
  if (!isConsoleUrl(sender.url ?? sender.tab.url)) return 'sender: not a console page';
  return undefined;
}

/**
 * A child frame of a console tab: the tab shows a console, and the frame is a console page or a
 * console frame host (lib/clouds.ts), or an about:blank / about:srcdoc document, which our content
 * script only runs in when its parent matched.
 */
export function checkFrameSender(sender: MessageSender, runtimeId: string): string | undefined {
  if (sender.id !== runtimeId) return 'sender: not this extension';
  if (typeof sender.tab?.id !== 'number') return 'sender: not a tab';
  if (typeof sender.frameId !== 'number' || sender.frameId <= 0) return 'sender: not a child frame';
  if (!isConsoleUrl(sender.tab.url)) return 'sender: not a console page';
  const url = sender.url ?? sender.tab.url;
  if (!isConsoleFrameUrl(url) && !/^about:(blank|srcdoc)$/.test(url ?? ''))
    return 'sender: not a console frame';
  return undefined;
}

function isFrameCandidates(raw: unknown): boolean {
  return !!raw && typeof raw === 'object' && (raw as { type?: unknown }).type === FRAME_CANDIDATES;
}

export async function handleMessage(
  raw: unknown,
  sender: MessageSender,
  deps: HandlerDeps,
): Promise<AnyReply> {
  const senderError = isFrameCandidates(raw)
    ? checkFrameSender(sender, deps.runtimeId)
    : checkSender(sender, deps.runtimeId);
  if (senderError) return { ok: false, error: senderError };
  const parsed = parseRuntimeMessage(raw);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const msg = parsed.value;
  try {
    switch (msg.type) {
      case 'load-ui':
        await deps.injectBanner(sender.tab!.id!, sender.frameId ?? 0);
        return { ok: true };
      case 'save-draft': {
        // Only our banner sends this, and only on a trusted click (components/Banner.tsx).
        const record = await deps.saveDraft(msg.request);
        const where: Where = {
          tabId: sender.tab!.id!,
          frameId: sender.frameId ?? 0,
          pageUrl: sender.tab!.url ?? msg.request.pageUrl,
        };
        // The draft is saved whatever happens with the broker.
        const broker = (await deps.fileRequest?.(record, where).catch(() => false)) ?? false;
        return { ok: true, id: record.id, broker };
      }
      case 'list-actions':
        return deps.queries
          ? await deps.queries.listActions(msg.cloud, msg.service)
          : { ok: true, actions: [] };
      case 'decode-denial':
        return deps.queries
          ? await deps.queries.decodeDenial(msg.target, msg.encodedMessage)
          : { ok: false, error: 'decoding is not available here' };
      case 'check-target':
        return deps.queries
          ? await deps.queries.checkTarget(msg.target)
          : { ok: true, target: { status: 'unknown' } };
      case 'frame-candidates': {
        const relayed = await deps.relayToTop?.(sender.tab!.id!, {
          type: FRAME_CANDIDATES,
          frameId: sender.frameId!,
          candidates: msg.candidates,
        });
        return relayed ? { ok: true } : { ok: false, error: 'top frame not listening' };
      }
      case 'denial-seen': {
        const where = { tabId: sender.tab!.id!, frameId: sender.frameId ?? 0 };
        const { cloud, account, actions, sinceLoadMs } = msg;
        const adopted = (await deps.denialSeen?.(where, { cloud, account, actions, sinceLoadMs })) ?? null;
        return { ok: true, adopted };
      }
    }
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

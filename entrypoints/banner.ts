/**
 * The banner chunk, injected by the background (browser.scripting) only after the content core's
 * prefilter saw denial-like text. Runs in the same isolated world as the core and picks up its
 * queued texts through the shared bridge.
 */
import { browser } from 'wxt/browser';
import { defineUnlistedScript } from 'wxt/utils/define-unlisted-script';
import { BannerController } from '@/components/banner-controller';
import { bridge } from '@/lib/content/handoff';
import { holdLivePort, livePortSwitch } from '@/lib/messaging/live-port';
import { isFollowing, parseProgressMessage, type BannerMessage } from '@/lib/messaging/messages';

/** Drafts remembered as followed (like the controller's progress map, bounded). */
const FOLLOWED_MAX = 50;

export default defineUnlistedScript(() => {
  const b = bridge();
  if (b.deliver) return; // injected twice (e.g. two load-ui races): the first instance serves
  // The request on a trusted click, and the cards' questions (actions, decoding, the account).
  const send = (msg: BannerMessage): Promise<unknown> => browser.runtime.sendMessage(msg);
  const controller = new BannerController(document, send);
  b.deliver = (batch) => controller.deliver(batch);
  // While a card follows its request (until denied or failed; a landing replaces the page) and
  // the page is shown, hold the live port: the background then follows the broker's events and
  // lands this tab as soon as access is ready, instead of at its next (backed-off) poll.
  const followed = new Set<string>();
  let shown = !document.hidden;
  const live = livePortSwitch(() => holdLivePort({ connect: (name) => browser.runtime.connect({ name }) }));
  const sync = () => live.update(shown && !document.hidden && followed.size > 0);
  const onPageHide = () => {
    shown = false;
    sync();
  };
  const onPageShow = () => {
    shown = true;
    sync();
  };
  // Progress of filed requests, from our background only; validated before it reaches the UI.
  const onMessage = (raw: unknown, sender: { id?: string; tab?: unknown }): undefined => {
    const msg = parseProgressMessage(raw, sender, browser.runtime.id);
    if (!msg) return undefined;
    controller.report(msg);
    followed.delete(msg.draftId);
    if (isFollowing(msg.progress)) followed.add(msg.draftId);
    if (followed.size > FOLLOWED_MAX) followed.delete(followed.values().next().value!);
    sync();
    return undefined;
  };
  browser.runtime.onMessage.addListener(onMessage);
  document.addEventListener('visibilitychange', sync);
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('pageshow', onPageShow);
  b.teardown = () => {
    browser.runtime.onMessage.removeListener(onMessage);
    document.removeEventListener('visibilitychange', sync);
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('pageshow', onPageShow);
    followed.clear();
    sync();
    controller.destroy();
  };
  for (const batch of b.queue.splice(0)) controller.deliver(batch);
});

/**
 * The banner chunk, injected by the background (browser.scripting) only after the content core's
 * prefilter saw denial-like text. Runs in the same isolated world as the core and picks up its
 * queued texts through the shared bridge.
 */
import { browser } from 'wxt/browser';
import { defineUnlistedScript } from 'wxt/utils/define-unlisted-script';
import { BannerController } from '@/components/banner-controller';
import { bridge } from '@/lib/handoff';
import { parseProgressMessage, type SaveDraftMessage } from '@/lib/messages';

export default defineUnlistedScript(() => {
  const b = bridge();
  if (b.deliver) return; // injected twice (e.g. two load-ui races): the first instance serves
  const send = (msg: SaveDraftMessage): Promise<unknown> => browser.runtime.sendMessage(msg);
  const controller = new BannerController(document, send);
  b.deliver = (batch) => controller.deliver(batch);
  // Progress of filed requests, from our background only; validated before it reaches the UI.
  const onMessage = (raw: unknown, sender: { id?: string; tab?: unknown }): undefined => {
    const msg = parseProgressMessage(raw, sender, browser.runtime.id);
    if (msg) controller.report(msg);
    return undefined;
  };
  browser.runtime.onMessage.addListener(onMessage);
  b.teardown = () => {
    browser.runtime.onMessage.removeListener(onMessage);
    controller.destroy();
  };
  for (const batch of b.queue.splice(0)) controller.deliver(batch);
});

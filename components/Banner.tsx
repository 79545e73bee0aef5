/**
 * The card shown in the page's closed shadow root when an access denial is found. Its parts live in
 * components/banner/: the request form and its state, the "no grant can help" explanation, the
 * details disclosure. Page text is rendered as text only, through `safeText`.
 */
import { useState } from 'preact/hooks';
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Denial } from '@/lib/contract/denial';
import type { RequestProgress, SaveDraftMessage } from '@/lib/messaging/messages';
import type { PageContext } from '@/lib/content/page-context/types';
import { DenialDetails } from './banner/DenialDetails';
import { GrantWillNotHelp } from './banner/GrantWillNotHelp';
import { RequestForm } from './banner/RequestForm';
import { useRequestForm } from './banner/use-request-form';

export interface BannerProps {
  denial: Denial;
  context: PageContext;
  pageUrl: string;
  /** Unique per card, for label/input ids inside the shared shadow root. */
  idPrefix: string;
  send: (msg: SaveDraftMessage) => Promise<unknown>;
  onDismiss: () => void;
  /** Injected by tests; in the page only real user input (`event.isTrusted`) may send a request. */
  isTrustedEvent?: (e: Event) => boolean;
  /** What the background reported about filed requests, by draft id. */
  progress?: ReadonlyMap<string, RequestProgress>;
}

export function Banner(props: BannerProps) {
  const { denial, context, idPrefix } = props;
  const cloud = denial.cloud;
  const account = denial.account ?? context.account ?? null;
  const label = context.cloud === cloud ? context.accountLabel : undefined;
  const form = useRequestForm({
    denial,
    account,
    pageUrl: props.pageUrl,
    send: props.send,
    isTrusted: props.isTrustedEvent ?? ((e: Event) => e.isTrusted),
    progress: props.progress,
  });
  const [open, setOpen] = useState(false);
  const titleId = `${idPrefix}-title`;
  const detailsId = `${idPrefix}-details`;

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onDismiss();
    }
  }

  return (
    <article class={`card theme-${cloud}`} aria-labelledby={titleId} onKeyDown={onKeyDown}>
      <header class="bar">
        <h2 id={titleId}>Access denied — {CLOUD_FACTS[cloud].label}</h2>
        <button
          type="button"
          class="disclose"
          aria-expanded={open}
          aria-controls={detailsId}
          onClick={() => setOpen(!open)}
        >
          Details
        </button>
        <button
          type="button"
          class="dismiss"
          aria-label="Dismiss"
          title="Dismiss (Esc)"
          onClick={props.onDismiss}
        >
          ×
        </button>
      </header>
      <div class="body">
        {denial.requestable ? (
          <RequestForm denial={denial} account={account} label={label} idPrefix={idPrefix} form={form} />
        ) : (
          <GrantWillNotHelp denial={denial} account={account} label={label} />
        )}
        <DenialDetails id={detailsId} open={open} denial={denial} account={account} label={label} />
      </div>
    </article>
  );
}

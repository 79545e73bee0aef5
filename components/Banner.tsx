/**
 * The card shown in the page's closed shadow root when an access denial is found. Its parts live in
 * components/banner/: the request form and its state, the "no grant can help" explanation, the
 * details disclosure, what the card asks the background (a service's actions, decoding, whether
 * the broker manages the account). Page text is rendered as text only, through `safeText`.
 */
import { useState } from 'preact/hooks';
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Denial } from '@/lib/contract/denial';
import type { RequestProgress, SaveDraftMessage } from '@/lib/messaging/messages';
import type { PageContext } from '@/lib/content/page-context/types';
import { deniedService } from './describe';
import { AccountNote, sameAccount } from './banner/AccountNote';
import { DenialDetails } from './banner/DenialDetails';
import { GrantWillNotHelp } from './banner/GrantWillNotHelp';
import type { CheckClick } from './banner/click-guard';
import { RequestForm } from './banner/RequestForm';
import {
  useDecodedDenial,
  useServiceActions,
  useTargetCheck,
  type AskBackground,
} from './banner/use-banner-queries';
import { useRequestForm } from './banner/use-request-form';

export interface BannerProps {
  denial: Denial;
  context: PageContext;
  pageUrl: string;
  /** Unique per card, for label/input ids inside the shared shadow root. */
  idPrefix: string;
  /** Files the request (a trusted click only). */
  send: (msg: SaveDraftMessage) => Promise<unknown>;
  /** The card's questions to the background (actions, decoding, the account); none when absent. */
  ask?: AskBackground;
  onDismiss: () => void;
  /** Injected by tests; in the page only real user input (`event.isTrusted`) may send a request. */
  isTrustedEvent?: (e: Event) => boolean;
  /** What the background reported about filed requests, by draft id. */
  progress?: ReadonlyMap<string, RequestProgress>;
  /** A request filed earlier for this denial (its draft id): the card follows it. */
  adoptedDraft?: string;
  /** Injected by tests (happy-dom has no layout); in the page the click guard measures the button. */
  checkClick?: CheckClick;
}

export function Banner(props: BannerProps) {
  const { denial, context, idPrefix, ask } = props;
  const cloud = denial.cloud;
  const pageAccount = context.cloud === cloud ? (context.account ?? null) : null;
  // The text's account wins; the page's alias names the page's account only.
  const account = denial.account ?? pageAccount;
  const onPageAccount = !!account && !!pageAccount && sameAccount(account, pageAccount);
  const target = useTargetCheck(ask, cloud, denial.requestable ? account : null);
  const label =
    (onPageAccount ? context.accountLabel : undefined) ??
    (target?.status === 'managed' ? target.name : undefined);
  const decode = useDecodedDenial(ask, denial, account);
  // What the broker decoded replaces what the page could not say.
  const effective: Denial =
    decode.kind === 'decoded'
      ? { ...denial, actions: decode.actions, resource: decode.resource ?? denial.resource }
      : denial;
  const needsPermission = effective.requestable && effective.actions.length === 0;
  const service = needsPermission ? deniedService(effective, props.pageUrl) : null;
  const catalog = useServiceActions(ask, cloud, service, needsPermission);
  const form = useRequestForm({
    denial: effective,
    account,
    pageUrl: props.pageUrl,
    send: props.send,
    isTrusted: props.isTrustedEvent ?? ((e: Event) => e.isTrusted),
    progress: props.progress,
    adoptedDraft: props.adoptedDraft,
    environment: target?.status === 'managed' ? target.environment : null,
    checkClick: props.checkClick,
  });
  const [open, setOpen] = useState(false);
  const titleId = `${idPrefix}-title`;
  const detailsId = `${idPrefix}-details`;
  const pageSide =
    account && pageAccount && !onPageAccount ? { account: pageAccount, label: context.accountLabel } : null;

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
        {effective.requestable ? (
          <RequestForm
            denial={effective}
            account={account}
            label={label}
            idPrefix={idPrefix}
            form={form}
            decode={decode}
            catalog={catalog}
          />
        ) : (
          <GrantWillNotHelp denial={denial} account={account} label={label} />
        )}
        <AccountNote cloud={cloud} account={account} pageSide={pageSide} target={target} />
        <DenialDetails
          id={detailsId}
          open={open}
          denial={effective}
          account={account}
          label={label}
          pageSide={pageSide}
          decode={decode}
        />
      </div>
    </article>
  );
}

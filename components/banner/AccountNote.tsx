/**
 * Which account the card is about, when that needs saying: the message names another account
 * than the one the page is signed in to (the card then shows the message's), and, when signed in,
 * the broker does not manage it (a request would be refused). Ids are page text: safeText.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Cloud } from '@/lib/contract/denial';
import type { TargetCheck } from '@/lib/messaging/messages';
import { safeText } from '../safe-text';

/** Account ids compare case-insensitively (Azure subscription GUIDs come in either case). */
export function sameAccount(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The page's own account, when the message names another one. */
export interface PageSide {
  account: string;
  /** The page's name for it (the AWS alias), when it shows one. */
  label?: string;
}

export function pageSideText(side: PageSide): string {
  const id = safeText(side.account, 80);
  return side.label ? `${safeText(side.label, 64)} (${id})` : id;
}

export function AccountNote(props: {
  cloud: Cloud;
  account: string | null;
  pageSide: PageSide | null;
  target: TargetCheck | null;
}) {
  const noun = CLOUD_FACTS[props.cloud].accountNoun.toLowerCase();
  const id = safeText(props.account, 80);
  return (
    <>
      {props.pageSide && (
        <p class="note">
          The message names {noun} <span class="bidi">{id}</span>, not this page&apos;s{' '}
          <span class="bidi">{pageSideText(props.pageSide)}</span>.
        </p>
      )}
      {props.target?.status === 'unmanaged' && (
        <p class="warn" role="status">
          The broker does not manage {noun} <span class="bidi">{id}</span>: a request for it would be refused.
        </p>
      )}
    </>
  );
}

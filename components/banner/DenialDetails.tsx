/**
 * The card's "Details" disclosure: everything the denial said, in full (still text only and
 * truncated), including the page's own words.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Denial } from '@/lib/contract/denial';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { ActionList } from '../ActionList';
import { EXCERPT_DISPLAY_MAX, safeText } from '../safe-text';
import { pageSideText, type PageSide } from './AccountNote';
import type { DecodeState } from './use-banner-queries';

export function DenialDetails(props: {
  id: string;
  open: boolean;
  denial: Denial;
  account: string | null;
  label?: string;
  /** The page's own account, when the message names another. */
  pageSide?: PageSide | null;
  decode?: DecodeState;
}) {
  const { denial, account, label, pageSide, decode } = props;
  const cloud = denial.cloud;
  return (
    <div id={props.id} class="details" hidden={!props.open}>
      <dl>
        {denial.actions.length > 0 && (
          <>
            <dt>{denial.actions.length > 1 ? 'Actions' : 'Action'}</dt>
            <dd>
              <ActionList cloud={cloud} actions={denial.actions} />
            </dd>
          </>
        )}
        {denial.resource && (
          <>
            <dt>Resource</dt>
            <dd class="bidi mono">{safeText(denial.resource)}</dd>
          </>
        )}
        {account && (
          <>
            <dt>{CLOUD_FACTS[cloud].accountNoun}</dt>
            <dd class="bidi">
              {safeText(account, 80)}
              {label && ` (${safeText(label, 64)})`}
            </dd>
          </>
        )}
        {pageSide && (
          <>
            <dt>This page</dt>
            <dd class="bidi">{pageSideText(pageSide)}</dd>
          </>
        )}
        {denial.principal && (
          <>
            <dt>Principal</dt>
            <dd class="bidi mono">{safeText(denial.principal)}</dd>
          </>
        )}
        <dt>Why</dt>
        <dd>{DENY_KIND_FACTS[denial.denyKind].text}</dd>
        {denial.policyId && (
          <>
            <dt>Blocked by</dt>
            <dd class="bidi mono">{safeText(denial.policyId)}</dd>
          </>
        )}
        {!denial.requestable && (
          <>
            <dt>Owner</dt>
            <dd>{DENY_KIND_FACTS[denial.denyKind].owner}</dd>
          </>
        )}
        {denial.encodedMessage && (
          <>
            <dt>Encoded</dt>
            <dd>
              {decode?.kind === 'decoded'
                ? `Decoded by the broker: ${safeText(decode.summary, 300)}`
                : 'An encoded authorization message; the broker decodes it when you are signed in, and it goes with the request.'}
            </dd>
          </>
        )}
      </dl>
      <p class="said">What the page said</p>
      <p class="excerpt bidi">{safeText(denial.excerpt, EXCERPT_DISPLAY_MAX)}</p>
    </div>
  );
}

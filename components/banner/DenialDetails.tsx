/**
 * The card's "Details" disclosure: everything the denial said, in full (still text only and
 * truncated), including the page's own words.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Denial } from '@/lib/contract/denial';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { ActionList } from '../ActionList';
import { EXCERPT_DISPLAY_MAX, safeText } from '../safe-text';

export function DenialDetails(props: {
  id: string;
  open: boolean;
  denial: Denial;
  account: string | null;
  label?: string;
}) {
  const { denial, account, label } = props;
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
            <dd>An encoded authorization message; sent with the request for the broker to decode.</dd>
          </>
        )}
      </dl>
      <p class="said">What the page said</p>
      <p class="excerpt bidi">{safeText(denial.excerpt, EXCERPT_DISPLAY_MAX)}</p>
    </div>
  );
}

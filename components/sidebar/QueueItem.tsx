/**
 * One request an approver may decide: who, where, what (with risk), on what, why, the denial it
 * came from, exactly what approving grants, the policy's decision and advice, quorum progress,
 * the requester's recent requests, and Approve / Deny.
 */
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView } from '@/lib/contract/api';
import { ActionRisks } from '../ActionRisks';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { formatTime, REQUEST_STATUS_LABEL } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { EXCERPT_DISPLAY_MAX, safeText } from '../safe-text';
import { durationLabel } from '../DurationPicker';
import { DecisionForm } from './DecisionForm';
import { PreviewBlock } from './PreviewBlock';
import { QuorumProgress } from './QuorumProgress';

const OUTCOME_TEXT = {
  'auto-approve': 'Policy: approve automatically',
  'needs-approval': 'Policy: needs approval',
  deny: 'Policy: deny',
} as const;

export function QueueItem(props: {
  client: BrokerApi;
  request: AccessRequestView;
  me: string;
  recent: readonly AccessRequestView[];
  onDecided: (r: AccessRequestView) => void;
}) {
  const r = props.request;
  const own = r.requester === props.me;
  const titleId = `req-${r.id}-title`;
  return (
    <li class="item queue" aria-labelledby={titleId}>
      <div class="item-head">
        <h3 id={titleId} class="bidi">
          {safeText(r.requester, 60)}
        </h3>
        <span class="status">{formatTime(r.createdAt)}</span>
      </div>
      <TargetLine target={r.target} />
      <ActionRisks actions={r.actions} />
      <dl class="facts">
        <dt>Resource</dt>
        <dd class="mono bidi">{r.resource ? safeText(r.resource, 300) : 'any (as the actions allow)'}</dd>
        <dt>For</dt>
        <dd>{durationLabel(r.durationMinutes)}</dd>
        <dt>Why</dt>
        <dd class="bidi">{safeText(r.justification, 500)}</dd>
        {r.ticket && (
          <>
            <dt>Ticket</dt>
            <dd class="bidi">{safeText(r.ticket, 64)}</dd>
          </>
        )}
        {r.linkedGrantId && (
          <>
            <dt>Extends</dt>
            <dd class="mono">{safeText(r.linkedGrantId, 64)}</dd>
          </>
        )}
      </dl>
      {r.denial && (
        <div class="denial">
          <h3>The denial</h3>
          <pre class="excerpt">{safeText(r.denial.excerpt, EXCERPT_DISPLAY_MAX)}</pre>
          <p class="muted">
            <span class="mono">{r.denial.denyKind}</span>: {DENY_KIND_FACTS[r.denial.denyKind].text}
          </p>
        </div>
      )}
      <PreviewBlock client={props.client} requestId={r.id} />
      <div class="policy-decision">
        <h3>{OUTCOME_TEXT[r.decision.outcome]}</h3>
        {r.decision.advice.map((a, i) => (
          <p key={i} class="bidi">
            {safeText(a, 300)}
          </p>
        ))}
      </div>
      <QuorumProgress request={r} />
      {props.recent.length > 0 && (
        <details class="recent">
          <summary>
            {safeText(r.requester, 60)}’s recent requests ({props.recent.length})
          </summary>
          <ul>
            {props.recent.map((p) => (
              <li key={p.id}>
                {REQUEST_STATUS_LABEL[p.status]} · {safeText(p.target.name, 60)} ·{' '}
                {p.actions.map((a) => safeText(a.action, 80)).join(', ')} · {formatTime(p.createdAt)}
              </li>
            ))}
          </ul>
        </details>
      )}
      {own ? (
        <p class="muted">Your own request: another approver decides it.</p>
      ) : (
        <DecisionForm client={props.client} request={r} onDecided={props.onDecided} />
      )}
    </li>
  );
}

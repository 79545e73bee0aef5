import { JUSTIFICATION_MAX } from '@/lib/contract/constants';
import type { Denial } from '@/lib/contract/denial';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { ActionsInline } from '../ActionList';
import { DurationPicker, durationLabel } from '../DurationPicker';
import { safeText } from '../safe-text';
import { REFUSAL_TEXT } from './click-safety';
import { TextField } from '../TextField';
import { PermissionField } from './PermissionField';
import { RequestStatusLine } from './RequestStatusLine';
import { Target } from './Target';
import type { DecodeState, ServiceActions } from './use-banner-queries';
import type { RequestFormState } from './use-request-form';

interface RequestFormProps {
  /** The denial as the card requests it: with what the broker decoded, if it did. */
  denial: Denial;
  account: string | null;
  label?: string;
  /** Unique per card, for label/input ids inside the shared shadow root. */
  idPrefix: string;
  form: RequestFormState;
  decode: DecodeState;
  /** The page's service and its actions, for the picker when the denial names none. */
  catalog: ServiceActions;
}

/** The broker's decoding of an encoded message: under way, done, or why not (a live region). */
function DecodeLine({ decode }: { decode: DecodeState }) {
  if (decode.kind === 'none') return null;
  return (
    <p class="note" role="status">
      {decode.kind === 'asking' && 'Asking the broker to decode the encoded message…'}
      {decode.kind === 'decoded' && 'Decoded by the broker from the encoded message.'}
      {decode.kind === 'failed' && `Not decoded: ${safeText(decode.reason, 200)}.`}
    </p>
  );
}

/** "Request <actions> on <resource> in <account> for <duration>": the sentence the form fills in. */
function RequestHeadline(props: RequestFormProps) {
  const { denial, form } = props;
  const cloud = denial.cloud;
  const typed = safeText(form.permission, 120);
  return (
    <p class="headline">
      Request{' '}
      {denial.actions.length > 0 ? (
        <ActionsInline cloud={cloud} actions={denial.actions} />
      ) : typed ? (
        <code class="bidi">{typed}</code>
      ) : (
        'a permission'
      )}
      <Target cloud={cloud} resource={denial.resource} account={props.account} label={props.label} />{' '}
      <span class="nowrap">
        for <strong>{durationLabel(form.duration)}</strong>
      </span>
    </p>
  );
}

/** "s3:GetObject and 2 more" / "prod (222222222222)": what the confirmation names, as text. */
function confirmWords(props: RequestFormProps): { what: string; where: string } {
  const { denial, form } = props;
  const actions = denial.actions.length ? denial.actions : [form.permission.trim()];
  const first = safeText(actions[0] ?? '', 120);
  const what = actions.length > 1 ? `${first} and ${actions.length - 1} more` : first;
  const account = props.account ? safeText(props.account, 80) : null;
  const label = props.label ? safeText(props.label, 60) : null;
  const where = label && account ? `${label} (${account})` : (label ?? account ?? 'this account');
  return { what, where };
}

/**
 * The second step of an admin or production request: the filing button now names what it files
 * and where, with a way back. It is a new button, so it too must be steady before a click counts.
 */
function ConfirmStep(props: RequestFormProps) {
  const { form } = props;
  const { what, where } = confirmWords(props);
  return (
    <div class="confirm-step" role="group" aria-label="Confirm the request">
      <p class="warn">Admin access or a production account: check this is the request you meant.</p>
      <div class="row">
        <button
          type="button"
          class="primary wrap"
          ref={form.buttonRef}
          disabled={form.busy}
          onClick={(e) => void form.onRequest(e)}
        >
          Confirm request for {what} on {where}
        </button>
        <button type="button" class="secondary" onClick={form.cancelConfirm}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** A denial a grant can lift: what would be requested, the fields, the button and its outcome. */
export function RequestForm(props: RequestFormProps) {
  const { denial, idPrefix, form } = props;
  const justificationId = `${idPrefix}-justification`;
  return (
    <>
      <RequestHeadline {...props} />
      {denial.actions.length === 0 && (
        <p class="why">Access was denied, and the message does not name the permission.</p>
      )}
      {denial.denyKind !== 'unknown' && <p class="why clamp">{DENY_KIND_FACTS[denial.denyKind].text}</p>}
      <DecodeLine decode={props.decode} />
      {denial.actions.length === 0 && (
        <PermissionField
          id={`${idPrefix}-permission`}
          cloud={denial.cloud}
          catalog={props.catalog}
          form={form}
        />
      )}
      <div class="row">
        <DurationPicker
          id={`${idPrefix}-duration`}
          value={form.duration}
          disabled={form.busy}
          onChange={form.setDuration}
        />
        <TextField
          id={justificationId}
          class="grow"
          label="Justification"
          value={form.justification}
          maxLength={JUSTIFICATION_MAX}
          placeholder="Reason or ticket"
          describedBy={form.errors.justification ? `${justificationId}-error` : undefined}
          invalid={!!form.errors.justification}
          disabled={form.busy}
          onInput={form.setJustification}
        />
        {!form.confirming && (
          <button
            type="button"
            class="primary"
            ref={form.buttonRef}
            disabled={form.busy}
            onClick={(e) => void form.onRequest(e)}
          >
            Request access
          </button>
        )}
      </div>
      {form.confirming && <ConfirmStep {...props} />}
      {form.refusal && (
        <p class="error" role="alert">
          {REFUSAL_TEXT[form.refusal]}
        </p>
      )}
      {form.errors.justification && (
        <p id={`${justificationId}-error`} class="error" role="alert">
          {form.errors.justification}
        </p>
      )}
      {form.errors.form && (
        <p class="error" role="alert">
          {form.errors.form}
        </p>
      )}
      <RequestStatusLine status={form.status} progress={form.progress} />
    </>
  );
}

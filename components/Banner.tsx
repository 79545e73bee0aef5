import { useState } from 'preact/hooks';
import { CLOUD_FACTS } from '@/lib/clouds';
import { DEFAULT_DURATION_MINUTES, EXCERPT_MAX, JUSTIFICATION_MAX } from '@/lib/contract/constants';
import type { Cloud, Denial } from '@/lib/contract/denial';
import type { NewAccessRequest } from '@/lib/contract/request';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { isReply, SaveDraftMessage, type RequestProgress } from '@/lib/messaging/messages';
import type { PageContext } from '@/lib/content/page-context/types';
import { ActionList, ActionsInline } from './ActionList';
import { permissionPlaceholder, shortResource } from './describe';
import { DurationPicker, durationLabel } from './DurationPicker';
import { ProgressLine, progressSettled } from './ProgressLine';
import { EXCERPT_DISPLAY_MAX, safeText } from './safe-text';
import { TextField } from './TextField';

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

type Status =
  | { kind: 'idle' }
  | { kind: 'sending' }
  /** `draftId`/`broker`: the background's reply; with a broker, progress follows by draft id. */
  | { kind: 'saved'; draftId?: string; broker: boolean }
  | { kind: 'failed'; message: string };
type FieldErrors = { justification?: string; permission?: string; form?: string };

const URL_MAX = 4096;

/** The page URL for the request: drop query and fragment rather than fail on a monster URL. */
function requestPageUrl(url: string): string {
  if (url.length <= URL_MAX) return url;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.slice(0, URL_MAX);
  } catch {
    return url.slice(0, URL_MAX);
  }
}

/**
 * Map a validation issue to the field the user can fix, with a message naming that field. A bad
 * permission is explained with this card's own example, not the contract's generic one.
 */
function fieldErrors(
  issues: readonly { path: PropertyKey[]; message: string }[],
  cloud: Cloud,
  example: string,
): FieldErrors {
  const issue = issues[0];
  if (!issue) return {};
  const field = String(issue.path[1] ?? issue.path[0] ?? '');
  const detail = issue.message.replace(/^[\w.]+: /, '');
  if (field === 'justification') return { justification: `Justification: ${detail}` };
  if (field === 'actions')
    return {
      permission: `Permission to request: not a valid ${CLOUD_FACTS[cloud].label} permission (like ${example}, no wildcards)`,
    };
  return { form: `Cannot send the request: ${safeText(issue.message, 160)}` };
}

/** "prod (2222…)": the alias in full, the id visually shortened (the full id stays in the text). */
function AccountName(props: { cloud: Cloud; account: string; label?: string }) {
  const id = safeText(props.account, 80);
  const idClass = `trunc id id-${props.cloud}${props.label ? ' id-short' : ''}`;
  const idNode = (
    <span class={idClass} title={id}>
      {id}
    </span>
  );
  if (!props.label) return idNode;
  return (
    <span class="nowrap">
      <span class="bidi">{safeText(props.label, 64)}</span> ({idNode})
    </span>
  );
}

/** " on <resource> in <account>", " on <account>", or nothing when the text names neither. */
function Target(props: { cloud: Cloud; resource: string | null; account: string | null; label?: string }) {
  const account = props.account ? (
    <AccountName cloud={props.cloud} account={props.account} label={props.label} />
  ) : null;
  const res = shortResource(props.resource, props.account);
  if (res) {
    const text = safeText(res, 80);
    return (
      <>
        {' on '}
        <span class="trunc res mono bidi" title={text}>
          {text}
        </span>
        {account && <> in {account}</>}
      </>
    );
  }
  return account ? <> on {account}</> : null;
}

export function Banner(props: BannerProps) {
  const { denial, context, idPrefix } = props;
  const cloud: Cloud = denial.cloud;
  const isTrusted = props.isTrustedEvent ?? ((e: Event) => e.isTrusted);
  const [duration, setDuration] = useState(DEFAULT_DURATION_MINUTES);
  const [justification, setJustification] = useState('');
  const [permission, setPermission] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [open, setOpen] = useState(false);

  const account = denial.account ?? context.account ?? null;
  const label = context.cloud === cloud ? context.accountLabel : undefined;
  const progress =
    status.kind === 'saved' && status.draftId ? props.progress?.get(status.draftId) : undefined;
  // A request the broker refused or that failed may be filed again.
  const busy = status.kind === 'sending' || (status.kind === 'saved' && !progressSettled(progress));
  const titleId = `${idPrefix}-title`;
  const detailsId = `${idPrefix}-details`;
  const justificationId = `${idPrefix}-justification`;
  const permissionId = `${idPrefix}-permission`;
  const placeholder = permissionPlaceholder(denial, props.pageUrl);
  const named = denial.actions.length > 0;
  const typed = safeText(permission, 120);

  async function onRequest(e: Event) {
    // A page script cannot reach this closed shadow root, but a synthetic event must never
    // create a request even if it somehow did.
    if (!isTrusted(e) || busy) return;
    const request: NewAccessRequest = {
      target: { cloud, account },
      actions: named ? denial.actions : [permission.trim()],
      resource: denial.resource,
      durationMinutes: duration,
      justification,
      denial: {
        excerpt: denial.excerpt.slice(0, EXCERPT_MAX),
        denyKind: denial.denyKind,
        encodedMessage: denial.encodedMessage,
      },
      pageUrl: requestPageUrl(props.pageUrl),
    };
    const parsed = SaveDraftMessage.safeParse({ type: 'save-draft', request });
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues, cloud, placeholder));
      return;
    }
    setErrors({});
    setStatus({ kind: 'sending' });
    try {
      const reply = await props.send(parsed.data);
      if (isReply(reply) && reply.ok)
        setStatus({ kind: 'saved', draftId: reply.id, broker: reply.broker === true });
      else setStatus({ kind: 'failed', message: isReply(reply) && !reply.ok ? reply.error : 'no answer' });
    } catch (err) {
      setStatus({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onDismiss();
    }
  }

  const target = <Target cloud={cloud} resource={denial.resource} account={account} label={label} />;

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
          <>
            <p class="headline">
              Request{' '}
              {named ? (
                <ActionsInline cloud={cloud} actions={denial.actions} />
              ) : typed ? (
                <code class="bidi">{typed}</code>
              ) : (
                'a permission'
              )}
              {target}{' '}
              <span class="nowrap">
                for <strong>{durationLabel(duration)}</strong>
              </span>
            </p>
            {denial.denyKind !== 'unknown' && (
              <p class="why clamp">{DENY_KIND_FACTS[denial.denyKind].text}</p>
            )}
            {!named && (
              <div class="perm-row">
                <TextField
                  id={permissionId}
                  label="Permission to request"
                  value={permission}
                  maxLength={256}
                  placeholder={placeholder}
                  describedBy={`${permissionId}-hint${errors.permission ? ` ${permissionId}-error` : ''}`}
                  invalid={!!errors.permission}
                  disabled={busy}
                  onInput={setPermission}
                />
                <p id={`${permissionId}-hint`} class="hint">
                  {denial.encodedMessage
                    ? 'Not named; the broker can decode the encoded message later.'
                    : 'Not named in the message; enter the one you need.'}
                </p>
                {errors.permission && (
                  <p id={`${permissionId}-error`} class="error" role="alert">
                    {errors.permission}
                  </p>
                )}
              </div>
            )}
            <div class="row">
              <DurationPicker
                id={`${idPrefix}-duration`}
                value={duration}
                disabled={busy}
                onChange={setDuration}
              />
              <TextField
                id={justificationId}
                class="grow"
                label="Justification"
                value={justification}
                maxLength={JUSTIFICATION_MAX}
                placeholder="Reason or ticket"
                describedBy={errors.justification ? `${justificationId}-error` : undefined}
                invalid={!!errors.justification}
                disabled={busy}
                onInput={setJustification}
              />
              <button type="button" class="primary" disabled={busy} onClick={(e) => void onRequest(e)}>
                Request access
              </button>
            </div>
            {errors.justification && (
              <p id={`${justificationId}-error`} class="error" role="alert">
                {errors.justification}
              </p>
            )}
            {errors.form && (
              <p class="error" role="alert">
                {errors.form}
              </p>
            )}
            <p
              class={`status ${status.kind}${status.kind === 'saved' && status.broker ? ' filed' : ''}`}
              aria-live="polite"
            >
              {status.kind === 'sending' && 'Saving…'}
              {status.kind === 'saved' && !status.broker && 'Request saved'}
              {status.kind === 'saved' && status.broker && <ProgressLine progress={progress} />}
              {status.kind === 'failed' && (
                <span class="error">Could not save the request: {safeText(status.message, 160)}</span>
              )}
            </p>
          </>
        ) : (
          <>
            <p class="headline">
              <strong>A grant will not help here.</strong>
            </p>
            <p class="why clamp">
              {named ? <ActionsInline cloud={cloud} actions={denial.actions} /> : 'This request'}
              {target}:{' '}
              <span class="bidi">
                {safeText(denial.reason ?? DENY_KIND_FACTS[denial.denyKind].text, 300)}
              </span>
            </p>
            <p class="owner clamp">Who can change this: {DENY_KIND_FACTS[denial.denyKind].owner}</p>
          </>
        )}
        <div id={detailsId} class="details" hidden={!open}>
          <dl>
            {named && (
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
      </div>
    </article>
  );
}

import { useState } from 'preact/hooks';
import type { Denial } from '@/lib/contract/denial';
import { EXCERPT_MAX, type Cloud } from '@/lib/contract/denial';
import {
  ACTION_EXAMPLE,
  DEFAULT_DURATION_MINUTES,
  JUSTIFICATION_MAX,
  type NewAccessRequest,
} from '@/lib/contract/request';
import { isReply, SaveDraftMessage } from '@/lib/messages';
import type { PageContext } from '@/lib/page-context/types';
import { ActionList } from './ActionList';
import { DurationPicker } from './DurationPicker';
import { BLOCK_OWNER, CLOUD_NAME, DENY_KIND_TEXT } from './labels';
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
}

type Status =
  { kind: 'idle' } | { kind: 'sending' } | { kind: 'saved' } | { kind: 'failed'; message: string };
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

function accountText(account: string | null, label: string | undefined): string {
  if (!account) return '';
  return label ? `${safeText(account, 80)} (${safeText(label, 64)})` : safeText(account, 80);
}

/** Map a validation issue to the field the user can fix, with a message naming that field. */
function fieldErrors(issues: readonly { path: PropertyKey[]; message: string }[]): FieldErrors {
  const issue = issues[0];
  if (!issue) return {};
  const field = String(issue.path[1] ?? issue.path[0] ?? '');
  const detail = issue.message.replace(/^[\w.]+: /, '');
  if (field === 'justification') return { justification: `Justification: ${detail}` };
  if (field === 'actions') return { permission: `Permission to request: ${safeText(detail, 160)}` };
  return { form: `Cannot send the request: ${safeText(issue.message, 160)}` };
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

  const account = denial.account ?? context.account ?? null;
  const busy = status.kind === 'sending' || status.kind === 'saved';
  const titleId = `${idPrefix}-title`;

  async function onRequest(e: Event) {
    // A page script cannot reach this closed shadow root, but a synthetic event must never
    // create a request even if it somehow did.
    if (!isTrusted(e) || busy) return;
    const request: NewAccessRequest = {
      target: { cloud, account },
      actions: denial.actions.length ? denial.actions : [permission.trim()],
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
      setErrors(fieldErrors(parsed.error.issues));
      return;
    }
    setErrors({});
    setStatus({ kind: 'sending' });
    try {
      const reply = await props.send(parsed.data);
      if (isReply(reply) && reply.ok) setStatus({ kind: 'saved' });
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

  return (
    <article class={`card theme-${cloud}`} aria-labelledby={titleId} onKeyDown={onKeyDown}>
      <header>
        <h2 id={titleId}>Access denied — {CLOUD_NAME[cloud]}</h2>
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
      <dl>
        <dt>{denial.actions.length > 1 ? 'Actions' : 'Action'}</dt>
        <dd>
          <ActionList cloud={cloud} actions={denial.actions} />
        </dd>
        {denial.resource && (
          <>
            <dt>Resource</dt>
            <dd class="bidi mono">{safeText(denial.resource)}</dd>
          </>
        )}
        {account && (
          <>
            <dt>{cloud === 'aws' ? 'Account' : cloud === 'azure' ? 'Subscription' : 'Project'}</dt>
            <dd class="bidi">{accountText(account, context.accountLabel)}</dd>
          </>
        )}
        <dt>Why</dt>
        <dd>{DENY_KIND_TEXT[denial.denyKind]}</dd>
      </dl>
      {denial.requestable ? (
        <div class="form">
          {!denial.actions.length && (
            <TextField
              id={`${idPrefix}-permission`}
              label="Permission to request"
              value={permission}
              maxLength={256}
              placeholder={ACTION_EXAMPLE[cloud]}
              hint="The message does not name the permission; enter the one you need."
              error={errors.permission}
              disabled={busy}
              onInput={setPermission}
            />
          )}
          <TextField
            id={`${idPrefix}-justification`}
            label="Justification"
            value={justification}
            multiline
            maxLength={JUSTIFICATION_MAX}
            placeholder="Why do you need this access?"
            error={errors.justification}
            disabled={busy}
            onInput={setJustification}
          />
          {errors.form && (
            <p class="error" role="alert">
              {errors.form}
            </p>
          )}
          <div class="actions-row">
            <DurationPicker
              id={`${idPrefix}-duration`}
              value={duration}
              disabled={busy}
              onChange={setDuration}
            />
            <button type="button" class="primary" disabled={busy} onClick={(e) => void onRequest(e)}>
              Request access
            </button>
          </div>
          <p class="status" aria-live="polite">
            {status.kind === 'sending' && 'Saving…'}
            {status.kind === 'saved' && 'Request saved'}
            {status.kind === 'failed' && (
              <span class="error">Could not save the request: {safeText(status.message, 160)}</span>
            )}
          </p>
        </div>
      ) : (
        <div class="blocked">
          <p>
            <strong>A grant will not help here.</strong>{' '}
            <span class="bidi">{safeText(denial.reason ?? DENY_KIND_TEXT[denial.denyKind], 300)}</span>
          </p>
          {denial.policyId && (
            <p>
              Blocked by: <span class="bidi mono">{safeText(denial.policyId)}</span>
            </p>
          )}
          <p>Who can change this: {BLOCK_OWNER[denial.denyKind]}</p>
        </div>
      )}
      <details class="excerpt">
        <summary>What the page said</summary>
        <p class="bidi">{safeText(denial.excerpt, EXCERPT_DISPLAY_MAX)}</p>
      </details>
    </article>
  );
}

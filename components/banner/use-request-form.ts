/**
 * The request form's state on one banner card: the fields, their errors, and the request's status
 * from "sending" through the broker's progress. Filing is allowed only for real user input on a
 * button the user could really see (click-guard.ts), and an admin or production request only on
 * a second click, on "Confirm request for …".
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { highestRisk } from '@/lib/risk';
import { DEFAULT_DURATION_MINUTES } from '@/lib/contract/constants';
import type { Denial } from '@/lib/contract/denial';
import { isReply, SaveDraftMessage, type RequestProgress } from '@/lib/messaging/messages';
import { permissionPlaceholder } from '../describe';
import { progressSettled } from '../ProgressLine';
import { useClickGuard, type CheckClick } from './click-guard';
import { needsConfirmation, type Refusal } from './click-safety';
import { fieldErrors, newAccessRequest, type FieldErrors, type RequestStatus } from './request-draft';

export interface RequestFormContext {
  denial: Denial;
  account: string | null;
  pageUrl: string;
  send: (msg: SaveDraftMessage) => Promise<unknown>;
  /** In the page only real user input (`event.isTrusted`) may send a request. */
  isTrusted: (e: Event) => boolean;
  /** What the background reported about filed requests, by draft id. */
  progress?: ReadonlyMap<string, RequestProgress>;
  /** A request filed earlier for this denial (its draft id): the card starts as filed. */
  adoptedDraft?: string;
  /** The broker's environment for the account (`prod`…), when it manages it. */
  environment: string | null;
  /** Injected by tests (no layout in happy-dom); in the page, click-guard.ts measures. */
  checkClick?: CheckClick;
}

export interface RequestFormState {
  duration: number;
  setDuration: (minutes: number) => void;
  justification: string;
  setJustification: (value: string) => void;
  permission: string;
  setPermission: (value: string) => void;
  /** The example permission for this card: the field's placeholder and the error's "like …". */
  placeholder: string;
  errors: FieldErrors;
  status: RequestStatus;
  /** The broker's progress for the filed request, once there is one. */
  progress: RequestProgress | undefined;
  /** Sending, or filed and not yet settled: the fields and the button are disabled. */
  busy: boolean;
  onRequest: (e: Event) => Promise<void>;
  /** Admin or production: the first click asks for a second one on "Confirm request for …". */
  needsConfirm: boolean;
  /** The confirmation step is shown (the filing button is now "Confirm request for …"). */
  confirming: boolean;
  cancelConfirm: () => void;
  /** Why the last click filed nothing (the page covered or hid the button, it had just appeared). */
  refusal: Refusal | null;
  /** The `ref` of the button that files now. */
  buttonRef: (el: HTMLButtonElement | null) => void;
}

export function useRequestForm(ctx: RequestFormContext): RequestFormState {
  const { denial } = ctx;
  const [duration, setDuration] = useState(DEFAULT_DURATION_MINUTES);
  const [justification, setJustification] = useState('');
  const [permission, setPermission] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<RequestStatus>(
    ctx.adoptedDraft ? { kind: 'saved', draftId: ctx.adoptedDraft, broker: true } : { kind: 'idle' },
  );

  const [confirming, setConfirming] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const guard = useClickGuard(setRefusal, ctx.checkClick);
  const button = useRef<HTMLButtonElement | null>(null);
  /** Focus follows the filing button when the confirmation step opens or is cancelled. */
  const moveFocus = useRef(false);
  useEffect(() => {
    if (moveFocus.current) button.current?.focus();
    moveFocus.current = false;
  }, [confirming]);
  // One function for the form's life: a new ref each render would restart the guard's watch.
  const buttonRef = useRef((el: HTMLButtonElement | null) => {
    button.current = el;
    guard.ref(el);
  }).current;
  const step = (next: boolean) => {
    moveFocus.current = next !== confirming;
    setConfirming(next);
  };
  // What a confirmation confirms is the request as it was: editing it asks again.
  const edited =
    <T>(set: (v: T) => void) =>
    (v: T) => {
      if (confirming) setConfirming(false);
      set(v);
    };
  const actions = denial.actions.length ? denial.actions : permission.trim() ? [permission.trim()] : [];
  const needsConfirm = needsConfirmation(highestRisk(denial.cloud, actions), ctx.environment);

  const progress = status.kind === 'saved' && status.draftId ? ctx.progress?.get(status.draftId) : undefined;
  // A request the broker refused or that failed may be filed again.
  const busy = status.kind === 'sending' || (status.kind === 'saved' && !progressSettled(progress));
  const placeholder = permissionPlaceholder(denial, ctx.pageUrl);

  async function onRequest(e: Event) {
    // A page script cannot reach this closed shadow root, but a synthetic event must never
    // create a request even if it somehow did.
    if (!ctx.isTrusted(e) || busy) return;
    // A real click, but maybe not on a button the user could see: the card says why, files nothing.
    if (!guard.check(e as MouseEvent).ok) return;
    setRefusal(null);
    const request = newAccessRequest(
      denial,
      { account: ctx.account, permission, durationMinutes: duration, justification },
      ctx.pageUrl,
    );
    const parsed = SaveDraftMessage.safeParse({ type: 'save-draft', request });
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues, denial.cloud, placeholder));
      return;
    }
    setErrors({});
    if (needsConfirm && !confirming) return step(true);
    setConfirming(false);
    setStatus({ kind: 'sending' });
    try {
      const reply = await ctx.send(parsed.data);
      if (isReply(reply) && reply.ok)
        setStatus({ kind: 'saved', draftId: reply.id, broker: reply.broker === true });
      else setStatus({ kind: 'failed', message: isReply(reply) && !reply.ok ? reply.error : 'no answer' });
    } catch (err) {
      setStatus({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  return {
    duration,
    setDuration: edited(setDuration),
    justification,
    setJustification: edited(setJustification),
    permission,
    setPermission: edited(setPermission),
    placeholder,
    errors,
    status,
    progress,
    busy,
    onRequest,
    needsConfirm,
    confirming,
    cancelConfirm: () => step(false),
    refusal,
    buttonRef,
  };
}

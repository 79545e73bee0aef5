/**
 * What a card asks the background (lib/background/banner-queries.ts answers): the actions of the
 * page's service for the picker, the broker's decoding of an AWS encoded message, and whether the
 * broker manages the account. Each answer is validated before use; a missing or malformed answer
 * is the same as "nothing known" (the card then asks the user, as without a broker).
 */
import { useEffect, useState } from 'preact/hooks';
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Cloud, Denial } from '@/lib/contract/denial';
import {
  ActionsReply,
  DecodeReply,
  TargetReply,
  type BannerMessage,
  type TargetCheck,
} from '@/lib/messaging/messages';

/**
 * Sends one message to the background and resolves with its (unvalidated) answer. Absent (tests
 * of the form alone), the card asks nothing and knows nothing more than the page said.
 */
export type AskBackground = (msg: BannerMessage) => Promise<unknown>;

/** One question, as a promise whatever `send` does (throws, or returns no promise). */
function ask(send: AskBackground, msg: BannerMessage): Promise<unknown> {
  return Promise.resolve().then(() => send(msg));
}

export interface ServiceActions {
  /** The service the page is about, when it says (`s3`, `Microsoft.Compute`, `compute`). */
  service: string | null;
  /** Its actions; null until the background answered (or when it knows none). */
  actions: readonly string[] | null;
}

export function useServiceActions(
  send: AskBackground | undefined,
  cloud: Cloud,
  service: string | null,
  wanted: boolean,
): ServiceActions {
  const [actions, setActions] = useState<{ service: string; list: readonly string[] } | null>(null);
  useEffect(() => {
    if (!send || !wanted || !service) return undefined;
    let live = true;
    ask(send, { type: 'list-actions', cloud, service })
      .then((raw) => {
        const reply = ActionsReply.safeParse(raw);
        if (live && reply.success && reply.data.ok) setActions({ service, list: reply.data.actions });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [send, cloud, service, wanted]);
  return { service, actions: wanted && actions?.service === service ? actions.list : null };
}

export type DecodeState =
  /** Nothing to decode: the denial names its actions, or carries no encoded message. */
  | { kind: 'none' }
  | { kind: 'asking' }
  | { kind: 'decoded'; actions: string[]; resource: string | null; summary: string }
  /** `reason`: one line on why not, for the card. */
  | { kind: 'failed'; reason: string };

/** Whether the card should ask the broker to decode this denial's encoded message. */
export function wantsDecoding(denial: Denial): boolean {
  return (
    denial.cloud === 'aws' && !!denial.encodedMessage && denial.actions.length === 0 && denial.requestable
  );
}

export function useDecodedDenial(
  send: AskBackground | undefined,
  denial: Denial,
  account: string | null,
): DecodeState {
  const wanted = !!send && wantsDecoding(denial);
  const [state, setState] = useState<DecodeState>(wanted ? { kind: 'asking' } : { kind: 'none' });
  const blob = denial.encodedMessage;
  useEffect(() => {
    if (!send || !wanted || !blob) return undefined;
    if (!account) {
      setState({ kind: 'failed', reason: 'the page does not say which account it is' });
      return undefined;
    }
    let live = true;
    setState({ kind: 'asking' });
    ask(send, { type: 'decode-denial', target: { cloud: denial.cloud, account }, encodedMessage: blob })
      .then((raw) => {
        if (!live) return;
        const reply = DecodeReply.safeParse(raw);
        if (!reply.success)
          return setState({ kind: 'failed', reason: 'the extension gave no usable answer' });
        if (!reply.data.ok) return setState({ kind: 'failed', reason: reply.data.error });
        const grammar = CLOUD_FACTS[denial.cloud].actionGrammar;
        const actions = reply.data.decoded.actions.filter((a) => grammar.test(a));
        if (!actions.length)
          return setState({ kind: 'failed', reason: 'the decoded message names no action' });
        setState({ kind: 'decoded', ...reply.data.decoded, actions });
      })
      .catch((e: unknown) => {
        if (live) setState({ kind: 'failed', reason: e instanceof Error ? e.message : String(e) });
      });
    return () => {
      live = false;
    };
  }, [send, wanted, denial.cloud, account, blob]);
  return wanted ? state : { kind: 'none' };
}

/** The broker's view of the account (`managed` with its name, `unmanaged`), or null: unknown. */
export function useTargetCheck(
  send: AskBackground | undefined,
  cloud: Cloud,
  account: string | null,
): TargetCheck | null {
  const [check, setCheck] = useState<{ account: string; target: TargetCheck } | null>(null);
  useEffect(() => {
    if (!send || !account) return undefined;
    let live = true;
    ask(send, { type: 'check-target', target: { cloud, account } })
      .then((raw) => {
        const reply = TargetReply.safeParse(raw);
        if (live && reply.success && reply.data.ok) setCheck({ account, target: reply.data.target });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [send, cloud, account]);
  return check && check.account === account && check.target.status !== 'unknown' ? check.target : null;
}

/**
 * The banner's questions, answered in the background (lib/background/handle-message.ts has checked
 * the sender and validated the message): the actions of a service (the picker, from the bundled
 * catalogue), what an AWS encoded message says (the broker decodes it: `POST /api/v1/decode`,
 * docs/cloud-mechanics.md §1.4), and whether the broker manages an account (`GET /api/v1/me`, its
 * `targets`). The token stays here: answers carry action names, a resource, a summary and one
 * line of text, nothing else.
 */
import type { Cloud } from '../clouds';
import type { DecodeBody, DecodedView, MeView } from '../contract/api';
import { BrokerError } from '../extension/broker-error';
import { reasonOf } from '../extension/broker-reason';
import type { ActionsReply, DecodeReply, TargetReply } from '../messaging/messages';
import type { ActionCatalog } from './action-catalog';

/** The two broker calls the banner's questions need. */
export interface QueryBroker {
  readonly baseUrl: string;
  me(): Promise<MeView>;
  decode(body: DecodeBody): Promise<DecodedView>;
}

export interface BannerQueryDeps {
  catalog: ActionCatalog;
  /** The broker client for the stored settings; null when no broker is configured. */
  broker(): Promise<QueryBroker | null>;
  now?: () => number;
}

export interface BannerQueries {
  listActions(cloud: Cloud, service: string): Promise<ActionsReply>;
  decodeDenial(target: DecodeBody['target'], encodedMessage: string): Promise<DecodeReply>;
  checkTarget(target: { cloud: Cloud; account: string }): Promise<TargetReply>;
  /** Forget the cached `/me` (signed in or out, another broker). */
  forget(): void;
}

/** Several cards (and their re-renders) ask at once; one `/me` answers them for a while. */
export const ME_TTL_MS = 30_000;
const LINE_MAX = 300;

const oneLine = (text: string) => (text.length > LINE_MAX ? `${text.slice(0, LINE_MAX - 1)}…` : text);

/** Why the broker did not decode the message, in one line for the card. */
export function decodeFailure(e: unknown): string {
  if (e instanceof BrokerError) {
    if (e.code === 'not_signed_in' || e.code === 'unauthorized')
      return 'sign in to Unblock (options page) to have the broker decode it';
    const field = e.fields[0];
    if (e.code === 'invalid_request' && field?.path === 'target.account')
      return 'the broker does not manage this account';
    if (e.code === 'invalid_request' && field?.path === 'encodedMessage')
      return field.message.replace(/^encodedMessage: /, '');
  }
  return reasonOf(e);
}

export function createBannerQueries(deps: BannerQueryDeps): BannerQueries {
  const now = deps.now ?? Date.now;
  let me: { baseUrl: string; at: number; view: Promise<MeView> } | null = null;

  function meOf(broker: QueryBroker): Promise<MeView> {
    if (me && me.baseUrl === broker.baseUrl && now() - me.at < ME_TTL_MS) return me.view;
    const view = broker.me();
    const entry = { baseUrl: broker.baseUrl, at: now(), view };
    me = entry;
    view.catch(() => {
      if (me === entry) me = null;
    });
    return view;
  }

  return {
    async listActions(cloud, service) {
      return { ok: true, actions: await deps.catalog.actions(cloud, service) };
    },

    async decodeDenial(target, encodedMessage) {
      const broker = await deps.broker();
      if (!broker) return { ok: false, error: 'no broker is set up: add one in the Unblock options' };
      try {
        const decoded = await broker.decode({ target, encodedMessage });
        return {
          ok: true,
          decoded: {
            actions: decoded.actions.map((a) => a.action),
            resource: decoded.resource,
            summary: oneLine(decoded.summary),
          },
        };
      } catch (e) {
        return { ok: false, error: oneLine(decodeFailure(e)) };
      }
    },

    async checkTarget(target) {
      const broker = await deps.broker();
      if (!broker) return { ok: true, target: { status: 'unknown' } };
      let view: MeView;
      try {
        view = await meOf(broker);
      } catch {
        return { ok: true, target: { status: 'unknown' } };
      }
      // A broker from before `targets` says nothing either way.
      if (!view.targets) return { ok: true, target: { status: 'unknown' } };
      const account = target.account.toLowerCase();
      const found = view.targets.find((t) => t.cloud === target.cloud && t.account.toLowerCase() === account);
      return {
        ok: true,
        target: found
          ? { status: 'managed', name: found.name.slice(0, 128), environment: found.environment.slice(0, 64) }
          : { status: 'unmanaged' },
      };
    },

    forget() {
      me = null;
    },
  };
}

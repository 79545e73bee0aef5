/** The request flow's test harness: a scripted broker, an in-memory store, fake tabs and timers. */
import type { AccessRequestView, GrantView, LandingView } from '../../lib/contract/api';
import type { BrokerClient } from '../../lib/extension/broker-client';
import type { BrokerError } from '../../lib/extension/broker-error';
import type { RequestProgress, RequestProgressMessage } from '../../lib/messaging/messages';
import { createRequestFlow, type FlowDeps } from '../../lib/background/request-flow';
import type { TrackedRequest, TrackedStore } from '../../lib/background/tracked-request';
import type { SeenDenial } from '../../lib/background/propagation';
import { grantView, newRequest, requestView, T0 } from './ext-broker-fixtures';

export const PAGE = 'https://console.aws.amazon.com/ec2/home?region=us-east-1#Instances:';
export const WHERE = { tabId: 7, frameId: 2, pageUrl: PAGE };
export const DRAFT = { id: 'draft-1', request: newRequest() };
export const SIGN_IN = 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret';

/** The broker as the tests script it: what each call answers next. */
export class FakeBroker {
  request: AccessRequestView = requestView();
  grant: GrantView = grantView();
  landing: LandingView = { kind: 'url', url: SIGN_IN, expiresAt: '2026-03-02T10:16:00.000Z' };
  submitError?: BrokerError;
  failNext?: BrokerError;
  calls: string[] = [];
  landings: Array<{ grantId: string; destination: string | null }> = [];

  private answer<T>(call: string, value: () => T): Promise<T> {
    this.calls.push(call);
    const err = this.failNext;
    this.failNext = undefined;
    return err ? Promise.reject(err) : Promise.resolve(structuredClone(value()));
  }

  client: BrokerClient = {
    baseUrl: 'http://127.0.0.1:8787',
    submitRequest: () =>
      this.submitError ? Promise.reject(this.submitError) : this.answer('submit', () => this.request),
    getRequest: (id) => this.answer(`request ${id}`, () => this.request),
    getGrant: (id) => this.answer(`grant ${id}`, () => this.grant),
    landing: (grantId, destination) => {
      this.landings.push({ grantId, destination });
      return this.answer('landing', () => this.landing);
    },
    listMyRequests: () => this.answer('mine', () => ({ items: [], nextCursor: null })),
  };
}

export function memoryStore(): TrackedStore & { rows: Map<string, TrackedRequest> } {
  const rows = new Map<string, TrackedRequest>();
  return {
    rows,
    put: (r) => {
      rows.set(r.requestId, structuredClone(r));
      return Promise.resolve();
    },
    list: () => Promise.resolve([...rows.values()].map((r) => structuredClone(r))),
    delete: (id) => {
      rows.delete(id);
      return Promise.resolve();
    },
  };
}

export interface Harness {
  broker: FakeBroker;
  deps: FlowDeps;
  flow: ReturnType<typeof createRequestFlow>;
  messages: Array<{ tabId: number; frameId: number; message: RequestProgressMessage }>;
  statuses: () => string[];
  timers: Array<{ fn: () => void; ms: number }>;
  tabs: Map<number, string>;
  navigations: Array<{ tabId: number; url: string }>;
  reloads: number[];
  alarm: { armed: boolean };
  clock: { now: number };
  /** Fire every pending timer once (advancing the clock by the longest) and wait for the work. */
  tick: () => Promise<number[]>;
}

export function harness(
  opts: { store?: TrackedStore; broker?: FakeBroker; configured?: boolean } = {},
): Harness {
  const broker = opts.broker ?? new FakeBroker();
  const messages: Harness['messages'] = [];
  const timers: Harness['timers'] = [];
  const tabs = new Map([[7, PAGE]]);
  const navigations: Harness['navigations'] = [];
  const reloads: number[] = [];
  const alarm = { armed: false };
  const clock = { now: T0 };
  const deps: FlowDeps = {
    client: () => Promise.resolve(opts.configured === false ? null : broker.client),
    store: opts.store ?? memoryStore(),
    notify: (tabId, frameId, message) => {
      messages.push({ tabId, frameId, message });
      return Promise.resolve();
    },
    tabUrl: (tabId) => Promise.resolve(tabs.get(tabId)),
    navigate: (tabId, url) => {
      navigations.push({ tabId, url });
      tabs.set(tabId, url);
      return Promise.resolve();
    },
    reload: (tabId) => {
      reloads.push(tabId);
      return Promise.resolve();
    },
    safetyNet: {
      arm: () => {
        alarm.armed = true;
        return Promise.resolve();
      },
      disarm: () => {
        alarm.armed = false;
        return Promise.resolve();
      },
    },
    schedule: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return () => timers.splice(timers.indexOf(t), 1);
    },
    now: () => clock.now,
  };
  const flow = createRequestFlow(deps);
  const statuses = () => messages.map((m) => m.message.progress.status);
  const tick = async () => {
    const due = timers.splice(0);
    clock.now += Math.max(0, ...due.map((t) => t.ms));
    for (const t of due) t.fn();
    await flow.idle();
    return due.map((t) => t.ms);
  };
  return { broker, deps, flow, messages, statuses, timers, tabs, navigations, reloads, alarm, clock, tick };
}

export const progress = (h: Harness): RequestProgress[] => h.messages.map((m) => m.message.progress);

/** A reload landing as the broker gives it for Azure or GCP (in the tests' own figures). */
export function reloadLanding(patch: Partial<Extract<LandingView, { kind: 'reload' }>> = {}): LandingView {
  return {
    kind: 'reload',
    url: null,
    expectedMs: 60_000,
    maxMs: 600_000,
    message: 'Access granted; reloading the page',
    advice: 'Sign out and sign in again.',
    ...patch,
  };
}

/** The request's denial (DRAFT: ec2:StopInstances on 222222222222) shown again, just after a load. */
export function seenAgain(patch: Partial<SeenDenial> = {}): SeenDenial {
  return {
    cloud: 'aws',
    account: '222222222222',
    actions: ['ec2:StopInstances'],
    sinceLoadMs: 700,
    ...patch,
  };
}

/**
 * The flows `npm run chaos` drives through the broker's API, as a user would: auto-approved reads
 * on the dev targets, writes on production that an approver approves, merges (the same request
 * again while its grant is active), extensions and early revokes, on all three clouds. Each flow
 * records what the API acknowledged (the ledger), which the end-of-run counting holds the store to.
 */
import type { ApiAnswer } from './broker-process';

export const FLOW_KINDS = ['read', 'write', 'merge', 'extend', 'revoke', 'expiry'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

interface Spec {
  readonly cloud: 'aws' | 'azure' | 'gcp';
  readonly account: string;
  readonly actions: readonly string[];
  /** AWS reads name a bucket of their own, so each is a request of its own. */
  readonly resource: (n: number) => string | null;
}

const READS: readonly Spec[] = [
  {
    cloud: 'aws',
    account: '111111111111',
    actions: ['s3:GetObject'],
    resource: (n) => `arn:aws:s3:::chaos-${n}/*`,
  },
  {
    cloud: 'azure',
    account: '11111111-1111-1111-1111-111111111111',
    actions: ['Microsoft.Compute/virtualMachines/read'],
    resource: () => null,
  },
  { cloud: 'gcp', account: 'acme-dev', actions: ['compute.instances.list'], resource: () => null },
];
const WRITES: readonly Spec[] = [
  { cloud: 'aws', account: '222222222222', actions: ['ec2:StopInstances'], resource: () => null },
  {
    cloud: 'azure',
    account: '22222222-2222-2222-2222-222222222222',
    actions: ['Microsoft.Compute/virtualMachines/restart/action'],
    resource: () => null,
  },
  { cloud: 'gcp', account: 'acme-prod', actions: ['compute.instances.stop'], resource: () => null },
];

/** Long enough that the clouds' clock, moved on while brokers are down, does not outrun it. */
const DURATION_MINUTES = 480;

function requestBody(spec: Spec, n: number) {
  return {
    target: { cloud: spec.cloud, account: spec.account },
    actions: [...spec.actions],
    resource: spec.resource(n),
    durationMinutes: DURATION_MINUTES,
    justification: 'chaos run',
    denial: {
      excerpt: `not authorized to perform: ${spec.actions[0]}`,
      denyKind: 'implicit',
      encodedMessage: null,
    },
    pageUrl: 'https://console.aws.amazon.com/',
  };
}

export type Api = (
  user: 'alice' | 'bob',
  method: string,
  route: string,
  payload?: unknown,
) => Promise<ApiAnswer>;

/** What the API acknowledged, and what the flows may build on. */
export class Ledger {
  /** Requests the API answered 201 for. */
  readonly filed: string[] = [];
  /** Requests whose approval the API acknowledged (200), and auto-approved ones. */
  readonly approved: string[] = [];
  /** Bodies filed with the grant they got (for merges), and every grant seen (extend, revoke). */
  readonly granted: { body: ReturnType<typeof requestBody>; grantId: string }[] = [];
  readonly done = Object.fromEntries(FLOW_KINDS.map((k) => [k, 0])) as Record<FlowKind, number>;
  /** Flows the broker did not answer (killed mid-call) or refused (e.g. revoking an ended grant). */
  /** The first refusals (kind and the last API status seen), for diagnosis. */
  readonly refusals: string[] = [];
  lastStatus = '';
  readonly unanswered = Object.fromEntries(FLOW_KINDS.map((k) => [k, 0])) as Record<FlowKind, number>;
}

interface RequestView {
  id: string;
  status: string;
  grantId: string | null;
}

/** Files a request; an approver approves it when policy left it pending. */
async function file(
  api: Api,
  ledger: Ledger,
  body: ReturnType<typeof requestBody>,
  route = '/api/v1/requests',
): Promise<boolean> {
  const created = await api('alice', 'POST', route, body);
  if (created.status !== 201) return false;
  let view = created.json as RequestView;
  ledger.filed.push(view.id);
  if (view.status === 'pending') {
    const decided = await api('bob', 'POST', `/api/v1/requests/${view.id}/approve`, {});
    if (decided.status !== 200) return false;
    view = decided.json as RequestView;
  }
  if (view.status !== 'approved') return false;
  ledger.approved.push(view.id);
  if (view.grantId && route === '/api/v1/requests') ledger.granted.push({ body, grantId: view.grantId });
  return true;
}

const pick = <T>(items: readonly T[], random: () => number): T | undefined =>
  items.length === 0 ? undefined : items[Math.floor(random() * items.length)];

/** Picks a flow kind: mostly new requests, then merges, revokes and extensions. */
export function pickKind(random: () => number): Exclude<FlowKind, 'expiry'> {
  const r = random();
  if (r < 0.3) return 'read';
  if (r < 0.55) return 'write';
  if (r < 0.7) return 'merge';
  if (r < 0.82) return 'extend';
  return 'revoke';
}

/** Runs one flow; returns whether the broker acknowledged all of it. */
export async function runFlow(
  kind: Exclude<FlowKind, 'expiry'>,
  n: number,
  rawApi: Api,
  ledger: Ledger,
  random: () => number,
): Promise<boolean> {
  const api: Api = async (...args) => {
    const answer = await rawApi(...args);
    ledger.lastStatus = `${answer.status} ${answer.status >= 400 ? JSON.stringify(answer.json).slice(0, 160) : ''}`;
    return answer;
  };
  let ok = false;
  if (kind === 'read' || kind === 'write') {
    ok = await file(api, ledger, requestBody(pick(kind === 'read' ? READS : WRITES, random)!, n));
  } else if (kind === 'merge') {
    const earlier = pick(ledger.granted.slice(-8), random);
    ok = earlier
      ? await file(api, ledger, earlier.body)
      : await file(api, ledger, requestBody(READS[n % 3]!, n));
  } else {
    // Recent grants: the likeliest to be active still.
    const target = pick(ledger.granted.slice(-8), random);
    if (target && kind === 'extend') {
      // Only an active grant can be extended: give a fresh one a moment to be provisioned.
      for (let i = 0; i < 20; i++) {
        const seen = await api('alice', 'GET', `/api/v1/grants/${target.grantId}`);
        const status = seen.status === 200 ? (seen.json as { status: string }).status : null;
        if (status === 'active' || (status !== 'approved' && status !== 'provisioning')) break;
        await new Promise((r) => setTimeout(r, 150));
      }
      const created = await api('alice', 'POST', `/api/v1/grants/${target.grantId}/extend`, {
        durationMinutes: 30,
        justification: 'chaos run: a little longer',
      });
      ok = created.status === 201;
      if (ok) {
        const view = created.json as RequestView;
        ledger.filed.push(view.id);
        if (view.status === 'pending')
          ok = (await api('bob', 'POST', `/api/v1/requests/${view.id}/approve`, {})).status === 200;
        if (ok) ledger.approved.push(view.id);
      }
    } else if (target) {
      ok = (await api('alice', 'POST', `/api/v1/grants/${target.grantId}/revoke`, {})).status === 202;
    }
  }
  ledger[ok ? 'done' : 'unanswered'][kind] += 1;
  if (!ok && ledger.refusals.length < 20) ledger.refusals.push(`${kind} ${ledger.lastStatus}`);
  return ok;
}

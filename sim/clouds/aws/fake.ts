/**
 * A wire-level fake of the AWS APIs the broker's AWS provisioner calls, so the provisioner runs
 * its real SDK clients against it: STS (Query/XML), IAM (Query/XML), CloudTrail (JSON 1.1) and
 * the federation sign-in endpoint. Each is its own loopback server (127.0.0.1, port 0) because
 * the SDKs address services by base URL. Time is the shared `FakeClock`, so tests expire
 * sessions and sign-in tokens without waiting.
 *
 * It validates what AWS validates (docs/cloud-mechanics.md §1, §4.1), with AWS's error codes and
 * shapes, and keeps the state the simulated consoles need: which console cookie belongs to which
 * role session, and whether that session may do an action now (session policy, managed policy
 * ARNs, the role's inline deny policies, expiry).
 *
 * For the consoles (small on purpose):
 *   state.consoleSession(cookieValue)           → who the console cookie is, or null
 *   state.allows(session, action, resource?, now?) → whether that session may do it
 *   state.recordCall(session, action, resource?, now?) → the same, logged to CloudTrail
 *   state.encodeDenial({...})                  → an EC2-style encoded authorization message
 *
 * What it does not do: verify SigV4 signatures (only their header shape and credential scope),
 * evaluate the role's own permission policies (the role is treated as allowing everything, so a
 * session's rights are its session policy ∪ its `PolicyArns`), model IAM's propagation delay.
 * Managed policies it does not know (see `managedPolicies`) attach but allow nothing.
 *
 * One file per API: sts.ts, iam.ts, cloudtrail.ts, signin.ts; their shared state in state.ts,
 * the HTTP plumbing in wire.ts and query-protocol.ts, IAM policy matching in policy.ts.
 */
import { cloudTrailListener, recordCall } from './cloudtrail';
import { iamApi } from './iam';
import { queryListener } from './query-protocol';
import { signinListener } from './signin';
import { allows, createAwsState, type AwsState } from './state';
import { encodeDenial, stsApi } from './sts';
import type { AwsFake, AwsFakeOptions, AwsFakeState, ConsoleSession } from './types';
import { listen, type Listening } from './wire';

export { AWS_CONSOLE_COOKIE } from './signin';
export type {
  AwsFake,
  AwsFakeOptions,
  AwsFakeState,
  AwsService,
  AwsSession,
  ConsoleSession,
  FakeAccountOptions,
  FakeCaller,
  FakeRequest,
  TrailEvent,
  TrustAction,
} from './types';

/** The handle on the state that tests and the simulated consoles use. */
function stateView(state: AwsState): AwsFakeState {
  const { clock, requests, sessions, consoles, roles } = state;
  return {
    requests,
    requestsFor: (service, action) =>
      requests.filter((r) => r.service === service && (action === undefined || r.action === action)),
    sessionsFor: (sourceIdentity) =>
      [...sessions.values()].filter((s) => s.sourceIdentity === sourceIdentity),
    session: (akid) => sessions.get(akid),
    consoleSession(cookieValue) {
      const c = consoles.get(cookieValue);
      if (!c) return null;
      const view: ConsoleSession = {
        accessKeyId: c.accessKeyId,
        account: c.session.account,
        sourceIdentity: c.session.sourceIdentity,
        sessionName: c.session.sessionName,
        expired: c.loggedOut || clock.now() >= c.expiresAt,
        expiresAt: c.expiresAt,
        session: c.session,
      };
      state.consoleViews.set(view, c);
      return view;
    },
    allows: (session, action, resource, now) => allows(state, session, action, resource, now),
    recordCall: (session, action, resource, now, region) =>
      recordCall(state, session, action, resource, now, region),
    encodeDenial: (denial) => encodeDenial(state, denial),
    events: state.events,
    copyEventToRegion(eventId, region) {
      const event = state.events.find((e) => e.eventId === eventId);
      if (!event) throw new Error(`copyEventToRegion: no event ${eventId}`);
      state.events.push({ ...event, region });
    },
    rolePolicies: (roleArn) => Object.fromEntries(roles.get(roleArn)?.inline ?? []),
    failNext(count, code, match = {}) {
      state.faults.push({ remaining: count, code, service: match.service, action: match.action });
    },
    denyAssumeRole(roleArn, denied = true) {
      const role = roles.get(roleArn);
      if (!role) throw new Error(`denyAssumeRole: no role ${roleArn}`);
      role.trustDenied = denied;
    },
    setTrustActions(roleArn, actions) {
      const role = roles.get(roleArn);
      if (!role) throw new Error(`setTrustActions: no role ${roleArn}`);
      role.trustActions = new Set(actions);
    },
  };
}

const closeServer = ({ server }: Listening) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export async function startAwsFake(options: AwsFakeOptions): Promise<AwsFake> {
  const state = createAwsState(options);
  const sts = await listen(queryListener(state, stsApi(state)));
  const iam = await listen(queryListener(state, iamApi(state)));
  const cloudTrail = await listen(cloudTrailListener(state));
  const signin = await listen(signinListener(state));
  const servers = [sts, iam, cloudTrail, signin];
  return {
    endpoints: { sts: sts.url, iam: iam.url, cloudTrail: cloudTrail.url, signin: `${signin.url}/federation` },
    state: stateView(state),
    close: () => Promise.all(servers.map(closeServer)).then(() => undefined),
  };
}

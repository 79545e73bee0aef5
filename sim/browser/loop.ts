/**
 * The whole loop on one machine: the demo clouds (browser sign-in on signin.aws.amazon.com; Azure
 * and GCP grants reach the consoles at once unless `clouds.propagation` says otherwise), the demo
 * broker on them (PGlite in memory, on the clouds' clock), the consoles started with the clouds,
 * and a browser with the extension signed in as alice: Chromium, or Firefox (firefox-session.ts)
 * with `browser: 'firefox'`.
 */
import { demoConfig } from '../../server/config/demo.ts';
import { startSimulatedBroker, type SimulatedBroker } from '../broker.ts';
import { startDemoClouds, type DemoCloudOptions, type DemoClouds } from '../clouds/demo.ts';
import {
  seedFirefoxBrokerSettings,
  startFirefoxExtensionBrowser,
  type FirefoxExtensionBrowser,
} from './firefox-session.ts';
import { seedBrokerSettings, startExtensionBrowser, type ExtensionBrowser } from './session.ts';

export type DemoUser = 'alice' | 'bob' | 'dave' | 'carol';

/** The browser the loop drives. */
export type LoopBrowser = 'chromium' | 'firefox';

/** What the loop adds to a browser session, whichever browser. */
export interface LoopParts {
  clouds: DemoClouds;
  broker: SimulatedBroker;
  /** API tokens of the demo users (alice's is the extension's). */
  tokens: Record<DemoUser, string>;
  /** Broker log lines (printed by the tests when something fails). */
  brokerLog: string[];
  /** Calls the broker API as a demo user. */
  api(
    user: DemoUser,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export interface DemoLoop extends ExtensionBrowser, LoopParts {}
export interface FirefoxDemoLoop extends FirefoxExtensionBrowser, LoopParts {}

export interface DemoLoopOptions {
  /** False: the extension is left unconfigured (no broker URL, no token), for tests that sign in. */
  seedToken?: boolean;
  /** Chromium (default) or Firefox. */
  browser?: LoopBrowser;
  /** How long Azure and GCP grants take to reach the consoles, and the broker's limit for it. */
  clouds?: Pick<DemoCloudOptions, 'propagation' | 'propagationLimitMs'>;
}

/**
 * Starts the loop. In Chromium alice's API token is seeded through the service worker; in Firefox
 * through the options page, as a person would (there is no worker to evaluate in).
 */
export function startDemoLoop(options?: DemoLoopOptions & { browser?: 'chromium' }): Promise<DemoLoop>;
export function startDemoLoop(options: DemoLoopOptions & { browser: 'firefox' }): Promise<FirefoxDemoLoop>;
export async function startDemoLoop({
  seedToken = true,
  browser = 'chromium',
  clouds: cloudOptions = {},
}: DemoLoopOptions = {}): Promise<DemoLoop | FirefoxDemoLoop> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => console.warn(e));
  };
  try {
    const clouds = await startDemoClouds(await demoConfig(), undefined, {
      ...cloudOptions,
      browserSignin: true,
    });
    cleanups.push(() => clouds.close());
    const brokerLog: string[] = [];
    const broker = await startSimulatedBroker({
      demoClouds: clouds,
      dataDir: 'memory',
      port: 0,
      sweepMs: 250,
      // One clock for the broker and the clouds: a test that moves cloud time forward (a grant
      // expiring) moves the broker's with it.
      now: () => clouds.clock.now(),
      log: (line) => brokerLog.push(line),
    });
    cleanups.push(() => broker.close());
    const tokens = {} as Record<DemoUser, string>;
    for (const user of ['alice', 'bob', 'dave', 'carol'] as const) {
      // A day, so tests that move the clock past a grant's hour keep their tokens.
      tokens[user] = (await broker.createApiToken(user, 24 * 3_600_000, 'e2e')).token;
    }
    const api: LoopParts['api'] = (user, method, path, body) =>
      callBroker(broker.url, tokens[user], method, path, body);
    const parts: LoopParts = { clouds, broker, tokens, brokerLog, api, close: cleanup };
    if (browser === 'firefox') {
      const session = await startFirefoxExtensionBrowser({ clouds });
      cleanups.push(() => session.close());
      if (seedToken) await seedFirefoxBrokerSettings(session, broker.url, tokens.alice);
      return { ...session, ...parts };
    }
    const session = await startExtensionBrowser({ clouds });
    cleanups.push(() => session.close());
    if (seedToken) await seedBrokerSettings(session, broker.url, tokens.alice);
    return { ...session, ...parts };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Calls the broker API (`/api/v1<path>`) with a bearer token; the answer as JSON, or as text. */
export async function callBroker(
  brokerUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${brokerUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, json };
}

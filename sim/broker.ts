/**
 * The broker on simulated clouds: what `npm start`, `unblock-server start` without
 * `UNBLOCK_CONFIG`, the tests and the benchmarks run. It composes the product broker
 * (server/main.ts, which never imports sim/) with the simulators it needs:
 *
 * - the built-in demo configuration runs on the AWS, Azure and GCP wire-level fakes
 *   (sim/clouds/demo.ts), through the same provisioners as production;
 * - `provisioner: sim` targets write to the simulated entitlements API (sim/clouds/entitlements.ts),
 *   started here unless `simUrl` points at one already running.
 */
import { loadConfig, type LoadedConfig } from '../server/config/load.ts';
import { startBroker, type BrokerOptions, type RunningBroker } from '../server/main.ts';
import { startDemoClouds, type DemoClouds } from './clouds/demo.ts';
import { startSimCloud, type SimCloud } from './clouds/entitlements.ts';

export interface SimulatedBrokerOptions extends Omit<BrokerOptions, 'provisioners' | 'demo'> {
  /**
   * The demo configuration's clouds, already started (`npm start` and the loop tests share them
   * with the simulated consoles). Without a config and without these, the demo starts its own.
   */
  readonly demoClouds?: DemoClouds;
}

export interface SimulatedBroker extends RunningBroker {
  /** The entitlements API `provisioner: sim` targets write to, when started here. */
  readonly simCloud: SimCloud | null;
  /** The fakes the demo configuration runs on (null with a config of one's own). */
  readonly demoClouds: DemoClouds | null;
}

export async function startSimulatedBroker(options: SimulatedBrokerOptions = {}): Promise<SimulatedBroker> {
  const { demoClouds: givenClouds, ...brokerOptions } = options;
  const loaded: LoadedConfig = options.config
    ? { config: options.config, demo: false, source: 'options' }
    : await loadConfig(options.configFile);
  const started: { close(): Promise<void> }[] = [];
  const closeStarted = async () => {
    for (const s of started.splice(0).reverse()) await s.close().catch(() => undefined);
  };
  try {
    const ownClouds = loaded.demo && !givenClouds ? await startDemoClouds(loaded.config) : null;
    if (ownClouds) started.push(ownClouds);
    const demoClouds = loaded.demo ? (givenClouds ?? ownClouds) : null;
    const config = demoClouds ? demoClouds.config : loaded.config;

    const needsSim = config.targets.some((t) => t.provisioner === 'sim');
    const simCloud = needsSim && !options.simUrl ? await startSimCloud() : null;
    if (simCloud) started.push(simCloud);

    const broker = await startBroker({
      ...brokerOptions,
      config,
      demo: loaded.demo,
      ...(simCloud ? { simUrl: simCloud.url } : {}),
    });
    return {
      ...broker,
      simCloud,
      demoClouds,
      close: async () => {
        await broker.close();
        await closeStarted();
      },
    };
  } catch (e) {
    await closeStarted();
    throw e;
  }
}

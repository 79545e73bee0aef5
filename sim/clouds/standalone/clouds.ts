/**
 * The clouds of `npm run sim:clouds`, in one process of their own: the AWS, Azure and GCP fakes on
 * one FakeClock (started as sim/clouds/demo.ts starts them) and the simulated entitlements API,
 * each behind a fault proxy (proxy.ts), with the control API (control.ts) on its own port. The
 * broker config it hands out points every `provisioner: cloud` target at the proxies, so faults
 * injected through the control API reach the broker as the clouds' own errors.
 */
import type { BrokerConfig } from '../../../server/config/schema';
import { FakeClock } from '../clock';
import { startDemoClouds, type DemoClouds } from '../demo';
import { startSimCloud, type SimCloud } from '../entitlements';
import { startControlServer, type ControlServer } from './control';
import { FaultTable } from './faults';
import { startFaultProxy, throughProxy, type FaultProxy } from './proxy';
import { cloudsState, type CloudsState } from './state';

export interface StandaloneClouds {
  readonly control: string;
  /** The simulated entitlements API (for `provisioner: sim` targets: `UNBLOCK_SIM_URL`). */
  readonly simUrl: string;
  /** The broker config: `provisioner: cloud` targets, `clouds.*` endpoints on the proxies. */
  readonly config: BrokerConfig;
  readonly clouds: DemoClouds;
  state(): CloudsState;
  close(): Promise<void>;
}

/** Routes the config's cloud endpoints through one proxy per fake origin. */
async function proxied(demo: DemoClouds, faults: FaultTable, started: FaultProxy[]): Promise<BrokerConfig> {
  const proxies = new Map<string, FaultProxy>();
  const via = async (cloud: 'aws' | 'azure' | 'gcp', endpoint: string) => {
    const origin = new URL(endpoint).origin;
    let proxy = proxies.get(origin);
    if (!proxy) {
      proxy = await startFaultProxy(cloud, origin, faults);
      proxies.set(origin, proxy);
      started.push(proxy);
    }
    return throughProxy(endpoint, proxy);
  };
  const { aws, azure, gcp } = demo.config.clouds;
  if (!aws || !azure || !gcp) throw new Error('startDemoClouds gave a config without every cloud');
  return {
    ...demo.config,
    clouds: {
      ...demo.config.clouds,
      aws: {
        ...aws,
        endpoints: {
          ...aws.endpoints,
          sts: await via('aws', aws.endpoints.sts!),
          iam: await via('aws', aws.endpoints.iam!),
          cloudTrail: await via('aws', aws.endpoints.cloudTrail!),
          signin: await via('aws', aws.endpoints.signin!),
        },
      },
      azure: {
        ...azure,
        endpoints: {
          ...azure.endpoints,
          login: await via('azure', azure.endpoints.login!),
          arm: await via('azure', azure.endpoints.arm!),
        },
      },
      gcp: {
        ...gcp,
        endpoints: {
          ...gcp.endpoints,
          token: await via('gcp', gcp.endpoints.token!),
          resourceManager: await via('gcp', gcp.endpoints.resourceManager!),
          iam: await via('gcp', gcp.endpoints.iam!),
          logging: await via('gcp', gcp.endpoints.logging!),
        },
      },
    },
  };
}

export async function startStandaloneClouds(
  base: BrokerConfig,
  options: { controlPort?: number; random?: () => number } = {},
): Promise<StandaloneClouds> {
  const clock = new FakeClock();
  const faults = new FaultTable(options.random);
  const closers: { close(): Promise<void> }[] = [];
  try {
    const demo = await startDemoClouds(base, clock);
    closers.push(demo);
    const sim: SimCloud = await startSimCloud();
    closers.push(sim);
    const proxies: FaultProxy[] = [];
    const config = await proxied(demo, faults, proxies).finally(() => closers.push(...proxies));
    const simProxy = await startFaultProxy('sim', sim.url, faults);
    closers.push(simProxy);
    const state = () => cloudsState(demo, sim, config);
    const control: ControlServer = await startControlServer(
      { faults, clock, state, config },
      options.controlPort,
    );
    closers.push(control);
    return {
      control: control.url,
      simUrl: simProxy.url,
      config,
      clouds: demo,
      state,
      close: async () => {
        await Promise.all(closers.map((c) => c.close()));
      },
    };
  } catch (e) {
    await Promise.all(closers.map((c) => c.close().catch(() => undefined)));
    throw e;
  }
}

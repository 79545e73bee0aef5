/**
 * Which provisioner serves which target: `provisioner: sim` targets write to the simulated
 * clouds' entitlements; `provisioner: cloud` targets use the cloud's own API (server/clouds/*),
 * configured by `clouds.<cloud>` and the target's own `aws`/`azure`/`gcp` block.
 *
 * The cloud provisioners are created when the broker starts, for every cloud a target uses, so a
 * broken secret or key stops the broker with a message naming the field instead of failing at the
 * first grant.
 */
import type { Cloud } from '../lib/contract/denial';
import { createAwsProvisioner } from './clouds/aws';
import { createAzureProvisioner } from './clouds/azure';
import { createGcpProvisioner } from './clouds/gcp';
import type { BrokerConfig, TargetConfig } from './config/schema';
import { targetIndex } from './config/targets';
import { createSimProvisioner } from './provision/sim';
import type { Provisioner } from './provision/types';

export interface RegistryOptions {
  /** Base URL of the simulated clouds' entitlements API (for `provisioner: sim` targets). */
  readonly simUrl: string | null;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

export type ProvisionerFor = (target: Pick<TargetConfig, 'cloud' | 'account' | 'provisioner'>) => Provisioner;

export function createProvisionerRegistry(config: BrokerConfig, options: RegistryOptions): ProvisionerFor {
  const used = (cloud: Cloud) => config.targets.some((t) => t.cloud === cloud && t.provisioner === 'cloud');
  const targets = targetIndex(config.targets);
  const targetOf = (cloud: Cloud, account: string) => targets.find({ cloud, account });
  const common = {
    ...(options.now ? { now: options.now } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  const cloudProvisioners: Partial<Record<Cloud, Provisioner>> = {};
  const { aws, azure, gcp } = config.clouds;
  if (used('aws') && aws)
    cloudProvisioners.aws = createAwsProvisioner(aws, (a) => targetOf('aws', a)?.aws, common);
  if (used('azure') && azure) {
    cloudProvisioners.azure = createAzureProvisioner(
      azure,
      (s) => targetOf('azure', s)?.azure ?? { mode: 'pim' },
      common,
    );
  }
  if (used('gcp') && gcp) {
    cloudProvisioners.gcp = createGcpProvisioner(
      gcp,
      (p) => targetOf('gcp', p)?.gcp ?? { customRoles: false },
      common,
    );
  }
  const sim = options.simUrl ? createSimProvisioner(options.simUrl) : null;

  return (target) => {
    if (target.provisioner === 'cloud') {
      const provisioner = cloudProvisioners[target.cloud];
      // The config schema requires clouds.<cloud> for such targets, so this is a wiring bug.
      if (!provisioner) throw new Error(`no ${target.cloud} provisioner configured (clouds.${target.cloud})`);
      return provisioner;
    }
    if (!sim) throw new Error('no simulated cloud is running for provisioner "sim" targets');
    return sim;
  };
}

/**
 * `npm run sim:clouds`: the AWS, Azure and GCP fakes and the simulated entitlements API in a
 * process of their own, so a broker (or several) can be killed and restarted while "the cloud"
 * keeps what it holds. Prints the broker config that points at them (and writes it with
 * `--config-out`), then one line `sim:clouds ready {"control":…,"sim":…,"config":…}` for
 * scripts; runs until SIGINT/SIGTERM. The control API (state, faults, clock) is
 * standalone/control.ts.
 *
 *   tsx sim/clouds/server.ts [--base broker.yaml] [--config-out FILE] [--control-port N] [--quiet]
 *
 * `--base` gives the users and targets (default: the demo configuration, server/config/demo.ts).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { demoConfig } from '../../server/config/demo';
import { loadConfig } from '../../server/config/load';
import { startStandaloneClouds } from './standalone/clouds';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    'config-out': { type: 'string' },
    'control-port': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const controlPort = values['control-port'] === undefined ? 0 : Number(values['control-port']);
if (!Number.isInteger(controlPort) || controlPort < 0 || controlPort > 65_535) {
  process.stderr.write(`sim:clouds: --control-port must be a port number, not "${values['control-port']}"\n`);
  process.exit(2);
}
const base = values.base === undefined ? await demoConfig() : (await loadConfig(values.base)).config;
const clouds = await startStandaloneClouds(base, { controlPort });
const text = JSON.stringify(clouds.config, null, 2);
if (values['config-out'] !== undefined) fs.writeFileSync(values['config-out'], `${text}\n`, { mode: 0o600 });
if (!values.quiet) process.stdout.write(`${text}\n`);
process.stdout.write(
  `sim:clouds ready ${JSON.stringify({ control: clouds.control, sim: clouds.simUrl, config: values['config-out'] ?? null })}\n`,
);

const stop = () => {
  void clouds.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

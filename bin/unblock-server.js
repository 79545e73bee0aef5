#!/usr/bin/env node
// Launcher for the broker's operator CLI (server/cli.ts). Operator commands are not latency
// sensitive, so the TypeScript source runs through tsx's loader directly (no bundle cache).
//
// The launcher is the composition root: the product (server/) never imports the simulators, but
// the built-in demo (no UNBLOCK_CONFIG) and `provisioner: sim` targets run on them, so this file
// hands sim/broker.ts over, loaded only when `start` needs it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
process.exitCode = await main(process.argv.slice(2), undefined, {
  startSimulatedBroker: async (options) => (await import('../sim/broker.ts')).startSimulatedBroker(options),
});

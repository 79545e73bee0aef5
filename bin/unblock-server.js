#!/usr/bin/env node
// Launcher for the broker's operator CLI (server/cli.ts). Operator commands are not latency
// sensitive, so the TypeScript source runs through tsx's loader directly (no bundle cache).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
process.exitCode = await main(process.argv.slice(2));

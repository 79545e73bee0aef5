/**
 * Run the simulated consoles by hand: `npx tsx sim/consoles/main.ts` (PORT env, default 8443).
 * Prints the URLs and a Chromium command line that maps the console hosts to this server.
 */
import { hostResolverRules, SIM_URLS, startConsoles } from './server.ts';

const port = Number(process.env.PORT ?? 8443);
const host = process.env.HOST ?? '127.0.0.1';
const consoles = await startConsoles({ port, host });

console.log(`Simulated consoles on ${consoles.origin(host)} (self-signed certificate)\n`);
for (const [name, url] of Object.entries(SIM_URLS)) console.log(`  ${name.padEnd(20)} ${url}`);
console.log(
  `\nOpen them in a browser that maps the console hosts here, e.g.:\n  chromium --user-data-dir=$(mktemp -d) --ignore-certificate-errors \\\n    --host-resolver-rules="${hostResolverRules(consoles.port, host)}" \\\n    --load-extension=$PWD/.output/chrome-mv3 '${SIM_URLS.ec2Instances}'\n`,
);
console.log(
  `  curl -sk --resolve console.aws.amazon.com:${consoles.port}:${host} https://console.aws.amazon.com:${consoles.port}/\n`,
);

const stop = () => {
  void consoles.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

import { performance } from 'node:perf_hooks';
import { parseDenials } from '../lib/denial/index';
import { median, type BenchRow } from './report';

const NOISE = [
  '2026-11-25T10:00:01.123Z INFO  [runner] Refreshing state... [id=i-0123456789abcdef0]',
  'aws_instance.web: Still creating... [10s elapsed]',
  'DEBUG: Request ec2/DescribeInstances Details: ---[ REQUEST POST-SIGN ]-----------------------------',
  'Warning: Argument is deprecated; use the "permissions" block instead of "policy" (see docs)',
  '  + resource "google_project_iam_member" "viewer" { role = "roles/viewer" member = "user:x@example.com" }',
  'azurerm_resource_group.rg: Creation complete after 2s [id=/subscriptions/0000/resourceGroups/rg]',
];
const DENIALS = [
  'Error: reading Lambda Function (my-fn): operation error Lambda: GetFunction, https response error StatusCode: 403, RequestID: 00000000-0000-4000-8000-000000000000, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/Developer/alice is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:my-fn because no identity-based policy allows the lambda:GetFunction action',
  "Error: unexpected status 403 (403 Forbidden) with error: AuthorizationFailed: The client 'alice@example.com' with object id '00000000-0000-0000-0000-000000000001' does not have authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Compute/virtualMachines/start/action' over scope '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1' or the scope is invalid.",
  "Error: Error creating instance: googleapi: Error 403: Required 'compute.instances.create' permission for 'projects/my-project/zones/us-central1-a/instances/vm-1', forbidden",
];

/** A realistic 1 MB CI log: mostly noise, a denial every ~200 lines. */
export function syntheticLog(bytes = 1024 * 1024): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = i % 200 === 199 ? DENIALS[((i / 200) % DENIALS.length) | 0]! : NOISE[i % NOISE.length]!;
    parts.push(line);
    size += line.length + 1;
  }
  return parts.join('\n').slice(0, bytes);
}

/** Worst case for the phrase matchers: the anchors repeated with nothing valid after them. */
export function adversarialText(bytes = 1024 * 1024): string {
  const unit = "is not authorized to perform: over scope ' Permission ' Missing permissions:\n";
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

function timeIt(text: string, runs: number): { ms: number; found: number } {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    found = parseDenials(text).length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times), found };
}

export function parserThroughput(runs = 10): BenchRow[] {
  const log = syntheticLog();
  const adv = adversarialText();
  parseDenials(log.slice(0, 10_000)); // warm up the JIT
  const a = timeIt(log, runs);
  const b = timeIt(adv, runs);
  const mbps = (ms: number) => (1 / (ms / 1000)).toFixed(1);
  return [
    {
      name: 'Parser throughput, 1 MB CI log',
      value: `${mbps(a.ms)} MB/s (${a.ms.toFixed(0)} ms, ${a.found} denials)`,
      target: '—',
      pass: null,
      method: `median of ${runs} in-process runs of parseDenials on Node ${process.version}`,
    },
    {
      name: 'Parser, 1 MB adversarial text (anchors without matches)',
      value: `${b.ms.toFixed(0)} ms`,
      target: '—',
      pass: null,
      method: `median of ${runs}; guards against catastrophic backtracking`,
    },
  ];
}

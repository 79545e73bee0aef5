/**
 * Where the simulated consoles live: the hostnames they answer for, which console a hostname is,
 * and the well-known page URLs (valid in a browser whose host resolver maps the sim hosts here).
 */
import { AWS, AWS_SANDBOX, AZURE, AZURE_DEV, GCP, GCP_DEV } from './messages.ts';

/** Hostnames the sim answers for (the browser maps them all to the sim's port). */
export const SIM_HOSTS = [
  'console.aws.amazon.com',
  '*.console.aws.amazon.com',
  // Partition variants (lib/clouds.ts): the same pages under the GovCloud (US) console and the
  // Azure Government portal, so the extension's other match patterns are exercised too.
  'console.amazonaws-us-gov.com',
  '*.console.amazonaws-us-gov.com',
  'portal.azure.com',
  'portal.azure.us',
  'console.cloud.google.com',
  'signin.aws.amazon.com',
  'example.com',
  // A host of the Azure portal's cross-origin frame blades and React views (lib/clouds.ts).
  '*.reactblade.portal.azure.net',
] as const;

/** `--host-resolver-rules` value mapping every sim host to 127.0.0.1:<port>. */
export function hostResolverRules(port: number, host = '127.0.0.1'): string {
  return SIM_HOSTS.map((h) => `MAP ${h} ${host}:${port}`).join(', ');
}

export type SimConsole = 'aws' | 'aws-signin' | 'azure' | 'azure-frame' | 'gcp' | 'example';

/** The AWS console domain a hostname is on (commercial or GovCloud), or null. */
export function awsConsoleDomain(hostname: string): string | null {
  const h = hostname.toLowerCase();
  const domain = ['console.aws.amazon.com', 'console.amazonaws-us-gov.com'].find(
    (d) => h === d || h.endsWith(`.${d}`),
  );
  return domain ?? null;
}

export function consoleForHost(hostname: string): SimConsole | null {
  const h = hostname.toLowerCase();
  if (awsConsoleDomain(h)) return 'aws';
  if (h === 'signin.aws.amazon.com') return 'aws-signin';
  if (h === 'portal.azure.com' || h === 'portal.azure.us') return 'azure';
  if (h.endsWith('.reactblade.portal.azure.net')) return 'azure-frame';
  if (h === 'console.cloud.google.com') return 'gcp';
  if (h === 'example.com' || h === 'www.example.com') return 'example';
  return null;
}

/** Well-known sim URLs (valid in a browser whose host resolver maps the sim hosts). */
export const SIM_URLS = {
  awsHome: 'https://console.aws.amazon.com/console/home',
  ec2Instances: `https://${AWS.region}.console.aws.amazon.com/ec2/home?region=${AWS.region}#Instances:`,
  ec2RegionLockedScp:
    'https://ap-southeast-2.console.aws.amazon.com/ec2/home?region=ap-southeast-2#Instances:',
  lambdaFunctions: `https://${AWS.account}-abcd1234.${AWS.region}.console.aws.amazon.com/lambda/home?region=${AWS.region}#/functions`,
  /** The sandbox account (dev): a read the default policy grants without an approver. */
  lambdaFunctionsSandbox: `https://${AWS_SANDBOX.account}-efgh5678.${AWS.region}.console.aws.amazon.com/lambda/home?region=${AWS.region}#/functions`,
  s3Bucket: `https://${AWS.region}.console.aws.amazon.com/s3/buckets/${AWS.bucket}?region=${AWS.region}&tab=objects`,
  /** The bucket's Permissions tab: the policy panel answers a bare "Access Denied" (no action named). */
  s3BucketPolicy: `https://${AWS.region}.console.aws.amazon.com/s3/buckets/${AWS.bucket}?region=${AWS.region}&tab=permissions`,
  iamPolicyEditor: 'https://console.aws.amazon.com/iam/home#/policies/details/create',
  benchHeavy: `https://${AWS.region}.console.aws.amazon.com/bench/heavy`,
  /** The EC2 page on the AWS GovCloud (US) console: the same late, encoded denial. */
  ec2InstancesGovCloud:
    'https://us-gov-west-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#Instances:',
  azureVm: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE.vm}/overview`,
  /** A VM in the dev subscription: its blade fails to load (`virtualMachines/read`). */
  azureVmDev: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE_DEV.subscription}/resourceGroups/${AZURE_DEV.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE_DEV.vm}/overview`,
  /** The VM blade on the Azure Government portal. */
  azureVmGov: `https://portal.azure.us/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE.vm}/overview`,
  azureStoragePolicy: 'https://portal.azure.com/#create/Microsoft.StorageAccount-ARM',
  azureIam: `https://portal.azure.com/#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/users`,
  azurePolicyDefinition:
    'https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2Fe56962a6-4747-49cd-b67b-bf8b01975c4c',
  gcpInstances: `https://console.cloud.google.com/compute/instances?project=${GCP.project}&authuser=${GCP.authuser}`,
  /** The dev project: "You need additional access" for `compute.instances.list`. */
  gcpInstancesDev: `https://console.cloud.google.com/compute/instances?project=${GCP_DEV.project}&authuser=${GCP.authuser}`,
  gcpBigQuery: `https://console.cloud.google.com/bigquery?project=${GCP.project}&authuser=${GCP.authuser}`,
  gcpRoles: `https://console.cloud.google.com/iam-admin/roles?project=${GCP.project}&authuser=${GCP.authuser}`,
  exampleDenial: 'https://example.com/',
  /**
   * Placement pages (pages/place-console.html): a console shell whose `window.__place` puts a
   * given text where consoles put denials (frames, shadow roots, tables, toasts, streams…).
   */
  placeAws: `https://${AWS.region}.console.aws.amazon.com/sim-place/console?region=${AWS.region}`,
  placeAzure: `https://portal.azure.com/sim-place/console#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/overview`,
  placeGcp: `https://console.cloud.google.com/sim-place/console?project=${GCP.project}&authuser=${GCP.authuser}`,
  /** The Azure shell with a same-origin frame blade and a cross-origin React view (reactblade host). */
  placeAzureFrames: `https://portal.azure.com/sim-place/console?frames=1#@${AZURE.tenant}/resource/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/overview`,
} as const;

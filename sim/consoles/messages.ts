/**
 * The identities, resources and denial texts the simulated consoles show. Tests import these so
 * their expectations and the pages cannot drift apart. Values are deliberately NOT the vendor
 * example ids (123456789012 …), which detectors may treat as a weak "documentation" signal.
 */
import { createHash } from 'node:crypto';

export const AWS = {
  account: '222222222222',
  accountDisplay: '2222-2222-2222',
  orgManagementAccount: '111111111111',
  alias: 'prod',
  principal: 'arn:aws:sts::222222222222:assumed-role/Developer/alice',
  username: 'assumed-role/Developer/alice',
  region: 'us-east-1',
  instanceId: 'i-0abc1234def567890',
  bucket: 'acme-prod-logs',
  scpArn: 'arn:aws:organizations::111111111111:policy/o-acme12345/service_control_policy/p-regionlock',
} as const;

/**
 * The demo's AWS sandbox account (target `aws-sandbox`, environment dev): reads there are granted
 * without an approver. Reached on the multi-session host `111111111111-…`, so the page knows the
 * account before any sign-in.
 */
export const AWS_SANDBOX = {
  account: '111111111111',
  accountDisplay: '1111-1111-1111',
  alias: 'sandbox',
  principal: 'arn:aws:sts::111111111111:assumed-role/Developer/alice',
  username: 'assumed-role/Developer/alice',
} as const;

/** The `aws-userInfo` cookie the real console sets (URL-encoded JSON). */
export const AWS_USER_INFO = {
  arn: AWS.principal,
  alias: AWS.alias,
  username: AWS.username,
} as const;

/**
 * A deterministic stand-in for an EC2 "Encoded authorization failure message": ~700 chars of
 * base64url-like text (real blobs are opaque and several hundred characters long).
 */
export const EC2_ENCODED_BLOB = (() => {
  let out = '';
  let seed = 'unblock-sim-ec2-encoded-authorization-failure';
  while (out.length < 700) {
    seed = createHash('sha256').update(seed).digest('base64url');
    out += seed;
  }
  return out.slice(0, 700);
})();

export const AZURE = {
  tenant: 'contoso.onmicrosoft.com',
  subscription: '22222222-2222-2222-2222-222222222222',
  resourceGroup: 'app-rg',
  vm: 'vm1',
  principal: 'alice@contoso.com',
  objectId: '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14',
  storageAccount: 'acmeprodst01',
  policyAssignment: 'Allowed locations',
} as const;

export const AZURE_VM_SCOPE = `/subscriptions/${AZURE.subscription}/resourceGroups/${AZURE.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE.vm}`;

/** The demo's dev subscription (target `azure-dev`): reads there are granted without an approver. */
export const AZURE_DEV = {
  subscription: '11111111-1111-1111-1111-111111111111',
  subscriptionName: 'Contoso Dev',
  resourceGroup: 'dev-rg',
  vm: 'vm-dev1',
} as const;

export const AZURE_DEV_VM_SCOPE = `/subscriptions/${AZURE_DEV.subscription}/resourceGroups/${AZURE_DEV.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${AZURE_DEV.vm}`;

export const GCP = {
  project: 'acme-prod',
  projectNumber: '482915736204',
  principal: 'alice@acme-corp.dev',
  authuser: '1',
} as const;

/** The demo's dev project (target `gcp-dev`): reads there are granted without an approver. */
export const GCP_DEV = {
  project: 'acme-dev',
} as const;

/** What a page shows when the call succeeds: a heading and a small table (rendered as text). */
export interface SimContent {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface SimDenial {
  /** HTTP status of the failing sim API call. */
  status: number;
  /** JSON body the page receives; the page renders `title` and `message`. */
  body: { code: string; title: string; message: string; [k: string]: unknown };
  cloud: 'aws' | 'azure' | 'gcp';
  /** AWS account id, Azure subscription id or GCP project id the call acts in. */
  account: string;
  /**
   * The permission the call needs (`lambda:ListFunctions`, an Azure operation, a GCP permission);
   * null when no grant can make it succeed (an SCP or Azure Policy deny): always the denial.
   */
  action: string | null;
  /** The resource acted on (an ARN, an Azure resource id); the account when absent. */
  resource?: string;
  /** The page's content when the signed-in identity may now do it (consoles started with clouds). */
  content: SimContent | null;
}

const EC2_INSTANCE_ARN = `arn:aws:ec2:${AWS.region}:${AWS.account}:instance/${AWS.instanceId}`;

/** Every "API call" the pages make, by name (`/sim-api/<name>`), and how it fails. */
export const SIM_API: Record<string, SimDenial> = {
  'ec2-stop-instances': {
    status: 403,
    body: {
      code: 'UnauthorizedOperation',
      title: `Failed to stop the instance ${AWS.instanceId}`,
      message: `You are not authorized to perform this operation. Encoded authorization failure message: ${EC2_ENCODED_BLOB}`,
    },
    cloud: 'aws',
    account: AWS.account,
    action: 'ec2:StopInstances',
    resource: EC2_INSTANCE_ARN,
    content: {
      title: `Successfully stopped ${AWS.instanceId}`,
      columns: ['Instance ID', 'Previous state', 'Current state'],
      rows: [[AWS.instanceId, 'running', 'stopping']],
    },
  },
  'ec2-describe-instances-scp': {
    status: 403,
    body: {
      code: 'UnauthorizedOperation',
      title: 'Failed to load instances',
      message: `You are not authorized to perform this operation. User: ${AWS.principal} is not authorized to perform: ec2:DescribeInstances with an explicit deny in a service control policy: ${AWS.scpArn}`,
    },
    cloud: 'aws',
    account: AWS.account,
    // An explicit deny in an SCP: no grant in the account changes it.
    action: null,
    content: null,
  },
  'lambda-list-functions': {
    status: 403,
    body: {
      code: 'AccessDeniedException',
      title: 'Failed to load functions',
      message: `User: ${AWS.principal} is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
    },
    cloud: 'aws',
    account: AWS.account,
    action: 'lambda:ListFunctions',
    content: {
      title: 'Functions (3)',
      columns: ['Function name', 'Package type', 'Runtime', 'Last modified'],
      rows: [
        ['orders-api', 'Zip', 'Node.js 20.x', '2 days ago'],
        ['invoice-render', 'Zip', 'Python 3.12', '5 days ago'],
        ['nightly-export', 'Image', '-', '3 weeks ago'],
      ],
    },
  },
  's3-list-objects': {
    status: 403,
    body: {
      code: 'AccessDenied',
      title: 'Insufficient permissions to list objects',
      message:
        'After you or your AWS administrator have updated your permissions to allow the s3:ListBucket action, refresh the page. Learn more about Identity and access management in Amazon S3',
    },
    cloud: 'aws',
    account: AWS.account,
    action: 's3:ListBucket',
    resource: `arn:aws:s3:::${AWS.bucket}`,
    content: {
      title: 'Objects (3)',
      columns: ['Name', 'Type', 'Size'],
      rows: [
        ['2024/', 'Folder', '-'],
        ['access.log', 'log', '1.2 MB'],
        ['error.log', 'log', '84.0 KB'],
      ],
    },
  },
  's3-get-bucket-tagging': {
    status: 403,
    body: {
      code: 'AccessDenied',
      title: 'Failed to load tags',
      message: `User: ${AWS.principal} is not authorized to perform: s3:GetBucketTagging on resource: "arn:aws:s3:::${AWS.bucket}" because no identity-based policy allows the s3:GetBucketTagging action`,
    },
    cloud: 'aws',
    account: AWS.account,
    action: 's3:GetBucketTagging',
    resource: `arn:aws:s3:::${AWS.bucket}`,
    content: {
      title: 'Tags (2)',
      columns: ['Key', 'Value'],
      rows: [
        ['team', 'platform'],
        ['env', 'prod'],
      ],
    },
  },
  /** The bucket's Permissions tab: the S3 console's bare "Access Denied", naming no action. */
  's3-get-bucket-policy': {
    status: 403,
    body: { code: 'AccessDenied', title: 'Failed to load the bucket policy', message: 'Access Denied' },
    cloud: 'aws',
    account: AWS.account,
    action: 's3:GetBucketPolicy',
    resource: `arn:aws:s3:::${AWS.bucket}`,
    content: {
      title: 'Bucket policy',
      columns: ['Effect', 'Principal', 'Action'],
      rows: [['Allow', `arn:aws:iam::${AWS.account}:role/logs-writer`, 's3:PutObject']],
    },
  },
  'azure-vm-start': {
    status: 403,
    body: {
      code: 'AuthorizationFailed',
      title: 'Failed to start virtual machine',
      message: `Failed to start virtual machine '${AZURE.vm}'. Error: The client '${AZURE.principal}' with object id '${AZURE.objectId}' does not have authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Compute/virtualMachines/start/action' over scope '${AZURE_VM_SCOPE}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
    cloud: 'azure',
    account: AZURE.subscription,
    action: 'Microsoft.Compute/virtualMachines/start/action',
    resource: AZURE_VM_SCOPE,
    content: {
      title: `Started virtual machine '${AZURE.vm}'`,
      columns: ['Virtual machine', 'Status'],
      rows: [[AZURE.vm, 'Running']],
    },
  },
  'azure-storage-validate': {
    status: 400,
    body: {
      code: 'RequestDisallowedByPolicy',
      title: 'Validation failed',
      message: `(RequestDisallowedByPolicy) Resource '${AZURE.storageAccount}' was disallowed by policy. Policy identifiers: '[{"policyAssignment":{"name":"${AZURE.policyAssignment}","id":"/providers/Microsoft.Management/managementGroups/contoso-root/providers/Microsoft.Authorization/policyAssignments/allowed-locations"},"policyDefinition":{"name":"Allowed locations","id":"/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c"}}]'.`,
    },
    cloud: 'azure',
    account: AZURE.subscription,
    // An Azure Policy deny: no role assignment changes it.
    action: null,
    content: null,
  },
  'gcp-compute-instances-list': {
    status: 403,
    body: {
      code: 'PERMISSION_DENIED',
      title: `You need additional access to the project:  ${GCP.project}`,
      message: 'Missing permissions',
      permissions: ['compute.instances.list', 'compute.instances.get'],
    },
    cloud: 'gcp',
    account: GCP.project,
    action: 'compute.instances.list',
    content: {
      title: 'VM instances (2)',
      columns: ['Name', 'Zone', 'Internal IP', 'Status'],
      rows: [
        ['web-1', 'us-central1-a', '10.128.0.2', 'Running'],
        ['web-2', 'us-central1-b', '10.128.0.3', 'Running'],
      ],
    },
  },
  'gcp-bigquery-jobs-insert': {
    status: 403,
    body: {
      code: 'PERMISSION_DENIED',
      title: 'Query failed',
      message: `Access Denied: Project ${GCP.project}: User does not have bigquery.jobs.create permission in project ${GCP.project}.`,
    },
    cloud: 'gcp',
    account: GCP.project,
    action: 'bigquery.jobs.create',
    content: {
      title: 'Query results',
      columns: ['order_id', 'total'],
      rows: [
        ['A-1001', '129.90'],
        ['A-1002', '18.50'],
        ['A-1003', '240.00'],
      ],
    },
  },
  // Dev-account variants: reads the default policy grants without an approver.
  'lambda-list-functions-sandbox': {
    status: 403,
    body: {
      code: 'AccessDeniedException',
      title: 'Failed to load functions',
      message: `User: ${AWS_SANDBOX.principal} is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
    },
    cloud: 'aws',
    account: AWS_SANDBOX.account,
    action: 'lambda:ListFunctions',
    content: {
      title: 'Functions (2)',
      columns: ['Function name', 'Package type', 'Runtime', 'Last modified'],
      rows: [
        ['sandbox-hello', 'Zip', 'Node.js 20.x', '1 hour ago'],
        ['sandbox-thumbnailer', 'Zip', 'Python 3.12', '4 days ago'],
      ],
    },
  },
  'azure-vm-read-dev': {
    status: 403,
    body: {
      code: 'AuthorizationFailed',
      title: 'Failed to load virtual machine',
      message: `Failed to load virtual machine '${AZURE_DEV.vm}'. Error: The client '${AZURE.principal}' with object id '${AZURE.objectId}' does not have authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Compute/virtualMachines/read' over scope '${AZURE_DEV_VM_SCOPE}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
    cloud: 'azure',
    account: AZURE_DEV.subscription,
    action: 'Microsoft.Compute/virtualMachines/read',
    resource: AZURE_DEV_VM_SCOPE,
    content: {
      title: 'Properties',
      columns: ['Property', 'Value'],
      rows: [
        ['Status', 'Running'],
        ['Size', 'Standard B2s (2 vcpus, 4 GiB memory)'],
        ['Location', 'West Europe'],
        ['Operating system', 'Linux (ubuntu 24.04)'],
      ],
    },
  },
  'gcp-compute-instances-list-dev': {
    status: 403,
    body: {
      code: 'PERMISSION_DENIED',
      title: `You need additional access to the project:  ${GCP_DEV.project}`,
      message: 'Missing permissions',
      permissions: ['compute.instances.list'],
    },
    cloud: 'gcp',
    account: GCP_DEV.project,
    action: 'compute.instances.list',
    content: {
      title: 'VM instances (2)',
      columns: ['Name', 'Zone', 'Internal IP', 'Status'],
      rows: [
        ['dev-runner', 'europe-west1-b', '10.132.0.7', 'Running'],
        ['dev-db', 'europe-west1-b', '10.132.0.9', 'Stopped'],
      ],
    },
  },
};

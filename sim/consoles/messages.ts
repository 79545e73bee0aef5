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

export const GCP = {
  project: 'acme-prod',
  projectNumber: '482915736204',
  principal: 'alice@acme-corp.dev',
  authuser: '1',
} as const;

export interface SimDenial {
  /** HTTP status of the failing sim API call. */
  status: number;
  /** JSON body the page receives; the page renders `title` and `message`. */
  body: { code: string; title: string; message: string; [k: string]: unknown };
}

/** Every failing "API call" the pages make, by name (`/sim-api/<name>`). */
export const SIM_API: Record<string, SimDenial> = {
  'ec2-stop-instances': {
    status: 403,
    body: {
      code: 'UnauthorizedOperation',
      title: `Failed to stop the instance ${AWS.instanceId}`,
      message: `You are not authorized to perform this operation. Encoded authorization failure message: ${EC2_ENCODED_BLOB}`,
    },
  },
  'ec2-describe-instances-scp': {
    status: 403,
    body: {
      code: 'UnauthorizedOperation',
      title: 'Failed to load instances',
      message: `You are not authorized to perform this operation. User: ${AWS.principal} is not authorized to perform: ec2:DescribeInstances with an explicit deny in a service control policy: ${AWS.scpArn}`,
    },
  },
  'lambda-list-functions': {
    status: 403,
    body: {
      code: 'AccessDeniedException',
      title: 'Failed to load functions',
      message: `User: ${AWS.principal} is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
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
  },
  's3-get-bucket-tagging': {
    status: 403,
    body: {
      code: 'AccessDenied',
      title: 'Failed to load tags',
      message: `User: ${AWS.principal} is not authorized to perform: s3:GetBucketTagging on resource: "arn:aws:s3:::${AWS.bucket}" because no identity-based policy allows the s3:GetBucketTagging action`,
    },
  },
  'azure-vm-start': {
    status: 403,
    body: {
      code: 'AuthorizationFailed',
      title: 'Failed to start virtual machine',
      message: `Failed to start virtual machine '${AZURE.vm}'. Error: The client '${AZURE.principal}' with object id '${AZURE.objectId}' does not have authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Compute/virtualMachines/start/action' over scope '${AZURE_VM_SCOPE}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
  },
  'azure-storage-validate': {
    status: 400,
    body: {
      code: 'RequestDisallowedByPolicy',
      title: 'Validation failed',
      message: `(RequestDisallowedByPolicy) Resource '${AZURE.storageAccount}' was disallowed by policy. Policy identifiers: '[{"policyAssignment":{"name":"${AZURE.policyAssignment}","id":"/providers/Microsoft.Management/managementGroups/contoso-root/providers/Microsoft.Authorization/policyAssignments/allowed-locations"},"policyDefinition":{"name":"Allowed locations","id":"/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c"}}]'.`,
    },
  },
  'gcp-compute-instances-list': {
    status: 403,
    body: {
      code: 'PERMISSION_DENIED',
      title: `You need additional access to the project:  ${GCP.project}`,
      message: 'Missing permissions',
      permissions: ['compute.instances.list', 'compute.instances.get'],
    },
  },
  'gcp-bigquery-jobs-insert': {
    status: 403,
    body: {
      code: 'PERMISSION_DENIED',
      title: 'Query failed',
      message: `Access Denied: Project ${GCP.project}: User does not have bigquery.jobs.create permission in project ${GCP.project}.`,
    },
  },
};

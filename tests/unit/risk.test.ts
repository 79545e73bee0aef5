import { describe, expect, it } from 'vitest';
import type { Risk } from '../../lib/risk';
import { RISKS, RISK_DESCRIPTION, RISK_LABEL, actionRisk, compareRisk, highestRisk } from '../../lib/risk';

const AWS: [string, Risk][] = [
  // reads
  ['s3:ListBucket', 'read'],
  ['s3:GetObject', 'read'], // a data read, not a secret read (documented choice)
  ['ec2:DescribeInstances', 'read'],
  ['lambda:GetFunction', 'read'],
  ['lambda:ListFunctions', 'read'],
  ['dynamodb:Query', 'read'],
  ['dynamodb:Scan', 'read'],
  ['dynamodb:BatchGetItem', 'read'],
  ['cloudtrail:LookupEvents', 'read'],
  ['logs:FilterLogEvents', 'read'],
  ['cloudformation:ValidateTemplate', 'read'],
  ['s3:HeadObject', 'read'],
  ['ecr:GetAuthorizationToken', 'read'],
  ['sts:GetCallerIdentity', 'read'],
  ['secretsmanager:DescribeSecret', 'read'], // metadata only
  ['lambda:GetPolicy', 'read'],
  ['S3:GETOBJECT', 'read'], // case-insensitive
  ['  s3:ListBucket  ', 'read'],
  // writes
  ['s3:PutObject', 'write'],
  ['s3:DeleteObject', 'write'],
  ['ec2:StartInstances', 'write'],
  ['ec2:StopInstances', 'write'],
  ['ec2:RunInstances', 'write'],
  ['ec2:CreateTags', 'write'],
  ['lambda:InvokeFunction', 'write'],
  ['lambda:UpdateFunctionCode', 'write'],
  ['logs:CreateLogGroup', 'write'],
  ['sqs:ReceiveMessage', 'write'], // hides messages from other consumers
  ['autoscaling:PutScalingPolicy', 'write'], // a "policy" that is not about access
  ['ecr:PutLifecyclePolicy', 'write'],
  ['logs:PutRetentionPolicy', 'write'],
  ['ec2:CreateNetworkAcl', 'write'],
  ['license-manager:CheckoutLicense', 'write'], // `Check…` but not a check
  ['bedrock:InvokeModel', 'write'],
  ['GetObject', 'read'], // no service: judged by the verb
  ['something-odd', 'write'], // unknown → never read
  ['', 'write'],
  // admin: identity services whatever the verb
  ['iam:PassRole', 'admin'],
  ['iam:GetRole', 'admin'],
  ['iam:ListRoles', 'admin'],
  ['iam:CreateAccessKey', 'admin'],
  ['iam:AttachRolePolicy', 'admin'],
  ['sts:AssumeRole', 'admin'],
  ['kms:Decrypt', 'admin'],
  ['kms:DescribeKey', 'admin'],
  ['organizations:ListAccounts', 'admin'],
  ['sso:ListPermissionSets', 'admin'],
  ['sso-admin:CreateAccountAssignment', 'admin'],
  ['identitystore:ListUsers', 'admin'],
  ['account:PutAlternateContact', 'admin'],
  ['access-analyzer:ListFindings', 'admin'],
  // admin: access policies under other services
  ['s3:PutBucketPolicy', 'admin'],
  ['s3:DeleteBucketPolicy', 'admin'],
  ['s3:PutBucketAcl', 'admin'],
  ['s3:PutObjectAcl', 'admin'],
  ['s3:PutBucketPublicAccessBlock', 'admin'],
  ['lambda:AddPermission', 'admin'],
  ['ecr:SetRepositoryPolicy', 'admin'],
  ['secretsmanager:PutResourcePolicy', 'admin'],
  ['logs:PutResourcePolicy', 'admin'],
  ['lakeformation:GrantPermissions', 'admin'],
  // admin: secrets and credentials
  ['secretsmanager:GetSecretValue', 'admin'],
  ['ssm:GetParameter', 'admin'],
  ['ssm:GetParameters', 'admin'],
  ['ssm:GetParametersByPath', 'admin'],
  ['ec2:GetPasswordData', 'admin'],
  ['redshift:GetClusterCredentials', 'admin'],
  // admin: turning off auditing
  ['cloudtrail:StopLogging', 'admin'],
  ['cloudtrail:DeleteTrail', 'admin'],
  ['guardduty:DeleteDetector', 'admin'],
  // admin: wildcards
  ['*', 'admin'],
  ['s3:*', 'admin'],
  ['ec2:Describe*', 'admin'],
  ['*:GetObject', 'admin'],
];

const AZURE: [string, Risk][] = [
  ['Microsoft.Compute/virtualMachines/read', 'read'],
  ['Microsoft.Resources/subscriptions/resourceGroups/read', 'read'],
  ['microsoft.compute/virtualmachines/read', 'read'],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', 'read'], // data read
  ['Microsoft.KeyVault/vaults/secrets/readMetadata/action', 'read'],
  ['Microsoft.Compute/virtualMachines/write', 'write'],
  ['Microsoft.Compute/virtualMachines/delete', 'write'],
  ['Microsoft.Compute/virtualMachines/start/action', 'write'],
  ['Microsoft.Compute/virtualMachines/runCommand/action', 'write'],
  ['Microsoft.Network/virtualNetworks/subnets/join/action', 'write'],
  ['Microsoft.Resources/subscriptions/resourcegroups/write', 'write'],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write', 'write'],
  ['not-an-operation', 'write'],
  ['', 'write'],
  ['Microsoft.Authorization/roleAssignments/write', 'admin'],
  ['Microsoft.Authorization/roleAssignments/read', 'admin'], // the whole namespace is admin
  ['Microsoft.Authorization/policyAssignments/write', 'admin'],
  ['Microsoft.Authorization/policyExemptions/write', 'admin'],
  ['Microsoft.Authorization/locks/delete', 'admin'],
  ['MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', 'admin'],
  ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'admin'],
  ['Microsoft.KeyVault/vaults/keys/decrypt/action', 'admin'],
  ['Microsoft.KeyVault/vaults/accessPolicies/write', 'admin'],
  ['Microsoft.Storage/storageAccounts/listKeys/action', 'admin'],
  ['Microsoft.Storage/storageAccounts/regenerateKey/action', 'admin'],
  ['Microsoft.Storage/storageAccounts/listAccountSas/action', 'admin'],
  ['Microsoft.EventHub/namespaces/authorizationRules/listKeys/action', 'admin'],
  ['Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action', 'admin'],
  ['Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action', 'admin'],
  ['Microsoft.Web/sites/config/list/action', 'admin'],
  ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', 'admin'],
  ['Microsoft.Compute/*', 'admin'],
  ['*/read', 'admin'],
];

const GCP: [string, Risk][] = [
  ['compute.instances.get', 'read'],
  ['compute.instances.list', 'read'],
  ['compute.instances.getSerialPortOutput', 'read'],
  ['storage.objects.get', 'read'], // data read
  ['storage.objects.list', 'read'],
  ['storage.buckets.getIamPolicy', 'read'],
  ['resourcemanager.projects.getIamPolicy', 'read'],
  ['cloudasset.assets.searchAllResources', 'read'],
  ['bigquery.tables.getData', 'read'],
  ['spanner.databases.select', 'read'],
  ['datastore.entities.get', 'read'],
  ['container.clusters.get', 'read'],
  ['secretmanager.secrets.get', 'read'], // metadata only
  ['compute.instances.start', 'write'],
  ['compute.instances.delete', 'write'],
  ['compute.disks.create', 'write'],
  ['compute.instances.setMetadata', 'write'],
  ['storage.objects.create', 'write'],
  ['bigquery.jobs.create', 'write'], // runs a query, but it is a job (documented choice)
  ['cloudfunctions.functions.call', 'write'],
  ['run.routes.invoke', 'write'],
  ['serviceusage.services.use', 'write'],
  ['nonsense', 'write'],
  ['', 'write'],
  ['iam.serviceAccounts.actAs', 'admin'],
  ['iam.serviceAccounts.getAccessToken', 'admin'],
  ['iam.serviceAccounts.signBlob', 'admin'],
  ['iam.serviceAccounts.signJwt', 'admin'],
  ['iam.serviceAccounts.implicitDelegation', 'admin'],
  ['iam.serviceAccountKeys.create', 'admin'],
  ['iam.roles.list', 'admin'], // whole iam service
  ['iam.googleapis.com/denypolicies.create', 'admin'], // service-qualified form
  ['resourcemanager.projects.setIamPolicy', 'admin'],
  ['resourcemanager.organizations.setIamPolicy', 'admin'],
  ['storage.buckets.setIamPolicy', 'admin'],
  ['run.services.setIamPolicy', 'admin'],
  ['secretmanager.versions.access', 'admin'],
  ['orgpolicy.policy.set', 'admin'],
  ['orgpolicy.policies.list', 'admin'],
  ['cloudkms.cryptoKeyVersions.useToDecrypt', 'admin'],
  ['accesscontextmanager.servicePerimeters.update', 'admin'],
  ['compute.projects.setCommonInstanceMetadata', 'admin'],
  ['compute.instances.setServiceAccount', 'admin'],
  ['container.clusters.getCredentials', 'admin'],
  ['compute.*', 'admin'],
  ['*', 'admin'],
];

describe('actionRisk', () => {
  it.each(AWS)('aws %s → %s', (action, risk) => {
    expect(actionRisk('aws', action)).toBe(risk);
  });
  it.each(AZURE)('azure %s → %s', (action, risk) => {
    expect(actionRisk('azure', action)).toBe(risk);
  });
  it.each(GCP)('gcp %s → %s', (action, risk) => {
    expect(actionRisk('gcp', action)).toBe(risk);
  });
});

describe('highestRisk', () => {
  it('is null when no action is named', () => {
    expect(highestRisk('aws', [])).toBeNull();
  });
  it('takes the highest level', () => {
    expect(highestRisk('aws', ['s3:GetObject'])).toBe('read');
    expect(highestRisk('aws', ['s3:GetObject', 'ec2:StartInstances'])).toBe('write');
    expect(highestRisk('aws', ['ec2:RunInstances', 'iam:PassRole', 's3:ListBucket'])).toBe('admin');
    expect(highestRisk('azure', ['Microsoft.Compute/virtualMachines/read'])).toBe('read');
    expect(highestRisk('gcp', ['compute.instances.get', 'compute.instances.start'])).toBe('write');
  });
});

describe('labels and order', () => {
  it('has a label and a description for every level', () => {
    for (const r of RISKS) {
      expect(RISK_LABEL[r]).toMatch(/^\w+$/);
      expect(RISK_DESCRIPTION[r].length).toBeGreaterThan(5);
    }
  });
  it('orders read < write < admin', () => {
    expect([...RISKS].reverse().sort(compareRisk)).toEqual(['read', 'write', 'admin']);
  });
});

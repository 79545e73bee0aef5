/**
 * Focused tests per phrase family of docs/denial-formats.md, with illustrative texts built from the
 * guide's placeholder values (123456789012, alice@example.com, 00000000-…, my-project).
 */
import { describe, expect, it } from 'vitest';
import { EXCERPT_MAX } from '../../lib/contract/constants';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial } from '../../lib/denial';

const SUB = '00000000-0000-0000-0000-000000000000';
const OID = '00000000-0000-0000-0000-000000000001';
const PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';

function one(text: string, hints?: Parameters<typeof parseDenials>[1]): Denial {
  const ds = parseDenials(text, hints);
  expect(ds).toHaveLength(1);
  expect(mayContainDenial(text)).toBe(true);
  return ds[0] as Denial;
}

function core(d: Denial): Partial<Denial> {
  const { cloud, actions, resource, principal, account, denyKind, requestable } = d;
  return { cloud, actions, resource, principal, account, denyKind, requestable };
}

describe('AWS IAM sentence', () => {
  it('reads the modern implicit deny with a resource', () => {
    const d = one(
      `User: ${PRINCIPAL} is not authorized to perform: lambda:ListFunctions on resource: arn:aws:lambda:us-east-1:123456789012:function:my-fn because no identity-based policy allows the lambda:ListFunctions action`,
    );
    expect(core(d)).toEqual({
      cloud: 'aws',
      actions: ['lambda:ListFunctions'],
      resource: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn',
      principal: PRINCIPAL,
      account: '123456789012',
      denyKind: 'implicit',
      requestable: true,
    });
    expect(d.reason).toBeNull();
    expect(d.confidence).toBe('high');
    expect(d.excerpt).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/Developer\/alice is not authorized/,
    );
  });

  it('maps "*" to no resource', () => {
    const d = one(
      `User: ${PRINCIPAL} is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
    );
    expect(d.resource).toBeNull();
  });

  it.each([
    ['because no identity-based policy allows the s3:GetObject action', 'implicit', true],
    ['because no session policy allows the s3:GetObject action', 'session-policy', true],
    ['because no resource-based policy allows the s3:GetObject action', 'resource-policy', false],
    ['because no permissions boundary allows the s3:GetObject action', 'explicit-boundary', false],
    ['because no service control policy allows the s3:GetObject action', 'explicit-scp', false],
    ['because no resource control policy allows the s3:GetObject action', 'explicit-scp', false],
    ['because no VPC endpoint policy allows the s3:GetObject action', 'explicit-scp', false],
    ['with an explicit deny in an identity-based policy', 'explicit-identity', false],
    ['with an explicit deny in a resource-based policy', 'resource-policy', false],
    ['with an explicit deny in a session policy', 'session-policy', false],
    ['with an explicit deny in a permissions boundary', 'explicit-boundary', false],
    ['with an explicit deny in a service control policy', 'explicit-scp', false],
    ['with an explicit deny in a resource control policy', 'explicit-scp', false],
    ['with an explicit deny in a VPC endpoint policy', 'explicit-scp', false],
    ['with an explicit deny', 'explicit-identity', false],
    ['', 'unknown', true],
  ] as const)('classifies "%s"', (clause, kind, requestable) => {
    const d = one(
      `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" ${clause}`,
    );
    expect(d.denyKind).toBe(kind);
    expect(d.requestable).toBe(requestable);
    expect(d.resource).toBe('arn:aws:s3:::my-bucket/k');
    if (requestable) expect(d.reason).toBeNull();
    else expect(d.reason).toEqual(expect.any(String));
  });

  it('keeps the policy ARN after the explicit-deny type as policyId', () => {
    const d = one(
      'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::my-bucket/uploads/report.csv" with an explicit deny in a service control policy: arn:aws:organizations::111111111111:policy/o-exampleorg/service_control_policy/p-example1',
    );
    expect(d.policyId).toBe(
      'arn:aws:organizations::111111111111:policy/o-exampleorg/service_control_policy/p-example1',
    );
    expect(d.denyKind).toBe('explicit-scp');
  });

  it('rebuilds `on resource: role NAME` with the principal account', () => {
    const d = one(
      'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:PassRole on resource: role Deployer with an explicit deny',
    );
    expect(d.resource).toBe('arn:aws:iam::123456789012:role/Deployer');
  });

  it('joins an action hard-wrapped inside its name when the reason clause confirms it', () => {
    const d = one(
      `User: ${PRINCIPAL} is not authorized to perform: lambda:List\nFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`,
    );
    expect(d.actions).toEqual(['lambda:ListFunctions']);
  });

  it('rebuilds `role NAME` with the hinted account when the text names none', () => {
    const d = one('Not authorized to perform: iam:PassRole on resource: role Deployer', {
      account: '123456789012',
    });
    expect(d.resource).toBe('arn:aws:iam::123456789012:role/Deployer');
  });

  it('reads the short form used on role switching', () => {
    const d = one('Not authorized to perform sts:AssumeRole');
    expect(core(d)).toMatchObject({ actions: ['sts:AssumeRole'], principal: null, denyKind: 'unknown' });
  });

  it('does not extract a placeholder action but keeps the denial', () => {
    const d = one('User: arn:aws:iam::123456789012:user/alice is not authorized to perform: null');
    expect(d.actions).toEqual([]);
    expect(d.principal).toBe('arn:aws:iam::123456789012:user/alice');
  });

  it('unwraps the Terraform frame and a hard wrap mid-sentence', () => {
    const d = one(
      `Error: reading Lambda Function (my-fn): operation error Lambda: GetFunction, https response error StatusCode: 403, RequestID: 00000000-0000-4000-8000-000000000000, api error AccessDeniedException: User: ${PRINCIPAL} is not
authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:my-fn because no identity-based policy allows the lambda:GetFunction action

  with aws_lambda_function.fn,
  on main.tf line 3, in resource "aws_lambda_function" "fn":`,
    );
    expect(d.source).toBe('terraform');
    expect(d.operation).toBe('GetFunction');
    expect(d.resource).toBe('arn:aws:lambda:us-east-1:123456789012:function:my-fn');
    expect(d.denyKind).toBe('implicit');
  });

  it('joins an ARN hard-wrapped inside the token', () => {
    const d = one(
      `User: ${PRINCIPAL} is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:1234567
89012:function:my-fn because no identity-based policy allows the lambda:GetFunction action`,
    );
    expect(d.resource).toBe('arn:aws:lambda:us-east-1:123456789012:function:my-fn');
  });

  it('strips SDK suffixes from the resource (Java v1 / v2, Go v1)', () => {
    const base = `User: ${PRINCIPAL} is not authorized to perform: sns:Publish on resource: arn:aws:sns:us-east-1:123456789012:my-topic`;
    for (const suffix of [
      ' (Service: AmazonSNS; Status Code: 403; Error Code: AuthorizationError; Request ID: 0000; Proxy: null)',
      ' (Service: Sns, Status Code: 403, Request ID: 0000) (SDK Attempt Count: 1)',
      '\n\tstatus code: 403, request id: 00000000-0000-4000-8000-000000000000',
    ]) {
      const d = one(base + suffix);
      expect(d.resource).toBe('arn:aws:sns:us-east-1:123456789012:my-topic');
      expect(d.source).toBe('sdk');
    }
  });

  it('reads the CLI / boto3 wrappers', () => {
    const msg = `User: ${PRINCIPAL} is not authorized to perform: lambda:ListFunctions because no identity-based policy allows the lambda:ListFunctions action`;
    const cli = one(
      `An error occurred (AccessDeniedException) when calling the ListFunctions operation: ${msg}`,
    );
    expect(cli.source).toBe('cli');
    expect(cli.operation).toBe('ListFunctions');
    const boto = one(
      `botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the ListFunctions operation: ${msg}`,
    );
    expect(boto.source).toBe('sdk');
  });

  it('unescapes JSON and HTML repeatedly', () => {
    const inner = `User: ${PRINCIPAL} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`;
    const json1 = JSON.stringify({ message: inner });
    const json2 = JSON.stringify({ CloudTrailEvent: json1 });
    for (const t of [json1, json2, inner.replace(/"/g, '&quot;'), json1.replace(/\//g, '\\/')]) {
      const d = one(t);
      expect(d.resource).toBe('arn:aws:s3:::my-bucket/k');
      expect(d.actions).toEqual(['s3:GetObject']);
    }
    const u = one(inner.replace(/"/g, '\\u0022'));
    expect(u.resource).toBe('arn:aws:s3:::my-bucket/k');
  });

  it('treats literal \\n sequences as line breaks', () => {
    const d = one(
      `"User: ${PRINCIPAL} is not\\nauthorized to perform: s3:GetObject on resource: \\"arn:aws:s3:::my-bucket/k\\"\\nbecause no identity-based policy allows the s3:GetObject action"`,
    );
    expect(d.resource).toBe('arn:aws:s3:::my-bucket/k');
    expect(d.denyKind).toBe('implicit');
  });
});

describe('AWS EC2, S3, CloudFormation', () => {
  const blob = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

  it('keeps an encoded blob without whitespace and the operation', () => {
    const d = one(
      `An error occurred (UnauthorizedOperation) when calling the StartInstances operation: You are not authorized to perform this operation. Encoded authorization failure message: ${blob.slice(0, 40)}\n${blob.slice(40)}`,
    );
    expect(core(d)).toMatchObject({ cloud: 'aws', actions: [], denyKind: 'unknown', requestable: true });
    expect(d.encodedMessage).toBe(blob);
    expect(d.operation).toBe('StartInstances');
    expect(d.source).toBe('cli');
  });

  it('reads UnauthorizedOperation without a blob', () => {
    const d = one(
      'An error occurred (UnauthorizedOperation) when calling the StartInstances operation: You are not authorized to perform this operation.',
    );
    expect(d.encodedMessage).toBeNull();
    expect(d.operation).toBe('StartInstances');
  });

  it('prefers the sentence when the sentence and the blob come together', () => {
    const d = one(
      `An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to perform this operation. User: ${PRINCIPAL} is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/* because no identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: ${blob}`,
    );
    expect(d.actions).toEqual(['ec2:RunInstances']);
    expect(d.encodedMessage).toBe(blob);
    expect(d.denyKind).toBe('implicit');
  });

  it('prefixes ec2: to the bare API hint of EC2 editors', () => {
    const d = one(
      'Failed to load instances. You are not authorized to perform this operation. Check your IAM policies that allow DescribeInstances.',
      { cloud: 'aws' },
    );
    expect(d.actions).toEqual(['ec2:DescribeInstances']);
  });

  it('reads bare S3 Access Denied in CLI and XML form', () => {
    const cli = one('An error occurred (AccessDenied) when calling the GetObject operation: Access Denied');
    expect(core(cli)).toMatchObject({ cloud: 'aws', actions: [], resource: null, denyKind: 'unknown' });
    expect(cli.operation).toBe('GetObject');
    expect(cli.confidence).toBe('low');
    // Framed by the SDK that printed it: a lone error document is a public page (lookalikes §5).
    // The frame is the Go SDK v1 debug line, which names the service and the operation, so the
    // action is derived from them (docs/denial-formats.md §2.6), marked as such.
    const xml = one(
      'DEBUG: Response s3/GetObject Details:\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>EXAMPLE123</RequestId><HostId>abc</HostId></Error>',
    );
    expect(xml.actions).toEqual(['s3:GetObject']);
    expect(xml).toMatchObject({ operation: 'GetObject', derivedFrom: 'operation', confidence: 'low' });
  });

  it('counts a bare "Access Denied" only inside AWS framing or with an AWS hint', () => {
    expect(parseDenials('Access Denied')).toEqual([]);
    expect(parseDenials('Access Denied', { cloud: 'aws' })).toHaveLength(1);
  });

  it('reads S3 console banners', () => {
    const d = one(
      'Insufficient permissions to list objects\nAfter you or your AWS administrator have updated your permissions to allow the s3:ListBucket action, refresh the page.',
    );
    expect(d.actions).toEqual(['s3:ListBucket']);
    expect(d.source).toBe('console');
    expect(d.confidence).toBe('medium');
  });

  it('reads CloudFormation resource handlers and legacy events', () => {
    const handler = one(
      `Resource handler returned message: "User: ${PRINCIPAL} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/my-role because no identity-based policy allows the iam:CreateRole action (Service: Iam, Status Code: 403, Request ID: 0000)" (RequestToken: 1111, HandlerErrorCode: AccessDenied)`,
    );
    expect(handler.source).toBe('cloudformation');
    expect(handler.resource).toBe('arn:aws:iam::123456789012:role/my-role');
    const legacy = one('API: s3:CreateBucket Access Denied');
    expect(legacy.actions).toEqual(['s3:CreateBucket']);
    expect(legacy.operation).toBe('CreateBucket');
    expect(legacy.source).toBe('cloudformation');
  });
});

describe('Azure', () => {
  const scope = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/app`;

  it('reads the current AuthorizationFailed wording', () => {
    const d = one(
      `The client 'alice@example.com' with object id '${OID}' does not have authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'],
      resource: scope,
      principal: 'alice@example.com',
      account: SUB,
      denyKind: 'azure-rbac',
      requestable: true,
    });
  });

  it('reads the 2015 wording and falls back to the object id', () => {
    const d = one(
      `The client with object id '${OID}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/start/action' over scope '/subscriptions/${SUB}/resourceGroups/rg1'.`,
    );
    expect(d.principal).toBe(OID);
    expect(d.resource).toBe(`/subscriptions/${SUB}/resourceGroups/rg1`);
  });

  it('reads template preflight ("permission … at scope")', () => {
    const d = one(
      `Authorization failed for template resource 'vm1/ext1' of type 'Microsoft.Compute/virtualMachines/extensions'. The client 'alice@example.com' with object id '${OID}' does not have permission to perform action 'Microsoft.Compute/virtualMachines/extensions/write' at scope '/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1/extensions/ext1'.`,
    );
    expect(d.actions).toEqual(['Microsoft.Compute/virtualMachines/extensions/write']);
    expect(d.denyKind).toBe('azure-rbac');
  });

  const linked = `The client 'alice@example.com' with object id '${OID}' has permission to perform action 'Microsoft.Network/networkInterfaces/write' on scope '/subscriptions/${SUB}/resourceGroups/app-rg/providers/Microsoft.Network/networkInterfaces/nic1'; however, it does not have permission to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${scope}'`;

  it('reports only the missing action and the linked scope of LinkedAuthorizationFailed', () => {
    const d = one(`${linked} or the linked scope(s) are invalid.`);
    expect(d.actions).toEqual(['Microsoft.Network/virtualNetworks/subnets/join/action']);
    expect(d.resource).toBe(scope);
    expect(d.denyKind).toBe('azure-rbac');
  });

  it('marks the deny-assignment tail of a linked failure as not requestable', () => {
    const d = one(`${linked} and is blocked by deny assignments on the '1' linked scope(s) '${scope}'.`);
    expect(d.denyKind).toBe('azure-policy');
    expect(d.requestable).toBe(false);
  });

  it('marks the cross-tenant linked variant as not requestable', () => {
    const d = one(
      `The client 'alice@example.com' with object id '${OID}' has permission to perform action 'Microsoft.Network/networkInterfaces/write' on scope '/subscriptions/${SUB}/x'; however the current tenant '11111111-1111-1111-1111-111111111111' is not authorized to access linked subscription '22222222-2222-2222-2222-222222222222'.`,
    );
    expect(core(d)).toMatchObject({ actions: [], denyKind: 'azure-policy', requestable: false });
  });

  it('reads DenyAssignmentAuthorizationFailed', () => {
    const d = one(
      `(DenyAssignmentAuthorizationFailed) The client 'alice@example.com' with object id '${OID}' has permission to perform action 'Microsoft.Compute/disks/delete' on scope '/subscriptions/${SUB}/resourceGroups/mrg/providers/Microsoft.Compute/disks/d1'; however, the access is denied because of the deny assignment with name 'System deny assignment created by managed application' and Id '33333333-3333-3333-3333-333333333333' at scope '/subscriptions/${SUB}/resourceGroups/mrg'.`,
    );
    expect(core(d)).toMatchObject({
      actions: ['Microsoft.Compute/disks/delete'],
      denyKind: 'azure-policy',
      requestable: false,
      account: SUB,
    });
    expect(d.policyId).toBe('33333333-3333-3333-3333-333333333333');
  });

  it('reads Key Vault ForbiddenByRbac labelled lines (literal \\r\\n in JSON)', () => {
    const d = one(
      `{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\\r\\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\\r\\nCaller: appid=44444444-4444-4444-4444-444444444444;oid=${OID};iss=https://sts.windows.net/55555555-5555-5555-5555-555555555555/\\r\\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\\r\\nResource: '/subscriptions/${SUB}/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1/secrets/s1'\\r\\nAssignment: (not found)\\r\\nVault: kv1;location=eastus\\r\\n","innererror":{"code":"ForbiddenByRbac"}}}`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
      resource: `/subscriptions/${SUB}/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1/secrets/s1`,
      principal: OID,
      account: SUB,
      denyKind: 'azure-rbac',
      requestable: true,
    });
  });

  it('reads the Key Vault access-policy wording as not requestable', () => {
    const d = one(
      `The user, group or application 'appid=44444444-4444-4444-4444-444444444444;oid=${OID};iss=https://sts.windows.net/x/' does not have secrets get permission on key vault 'kv1;location=eastus'.`,
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      resource: 'kv1',
      principal: OID,
      denyKind: 'azure-policy',
      requestable: false,
    });
  });

  it('reads storage AuthorizationPermissionMismatch with no action', () => {
    const d = one(
      'AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.',
    );
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], denyKind: 'azure-rbac', requestable: true });
  });

  it('reads RequestDisallowedByPolicy with the assignment as policyId', () => {
    const d = one(
      `(RequestDisallowedByPolicy) Resource 'st0001' was disallowed by policy. Policy identifiers: '[{"policyAssignment":{"name":"Allowed locations","id":"/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyAssignments/allowed-locations"},"policyDefinition":{"name":"x","id":"y"}}]'.`,
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      actions: [],
      resource: 'st0001',
      denyKind: 'azure-policy',
      requestable: false,
    });
    expect(d.policyId).toBe(
      '/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyAssignments/allowed-locations',
    );
  });

  it('reads the portal permission list', () => {
    const d = one(
      'You cannot perform this action without the following permissions over selected scope: (Microsoft.Authorization/roleAssignments/write)',
    );
    expect(d.actions).toEqual(['Microsoft.Authorization/roleAssignments/write']);
    expect(d.source).toBe('console');
  });

  it('reads the Entra directory-role denial as not requestable', () => {
    const d = one(
      '{"odata.error":{"code":"Authorization_RequestDenied","message":{"lang":"en","value":"Insufficient privileges to complete the operation."}}}',
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      actions: [],
      denyKind: 'entra-directory',
      requestable: false,
    });
    expect(d.reason).toMatch(/directory role/);
  });

  it('de-duplicates the Azure CLI doubled message', () => {
    const msg = `The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/${SUB}/resourcegroups/rg1' or the scope is invalid.`;
    const d = one(`(AuthorizationFailed) ${msg}\nCode: AuthorizationFailed\nMessage: ${msg}`);
    expect(d.source).toBe('cli');
  });

  it('joins a scope hard-wrapped inside its quotes', () => {
    const d = one(
      `The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/write' over scope '/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Sto\nrage/storageAccounts/st1' or the scope is invalid.`,
    );
    expect(d.resource).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st1`,
    );
  });
});

describe('GCP', () => {
  it('reads Permission … denied on resource', () => {
    const d = one(
      "Permission 'compute.instances.start' denied on resource '//compute.googleapis.com/projects/my-project/zones/us-central1-a/instances/vm-1' (or it may not exist).",
    );
    expect(core(d)).toEqual({
      cloud: 'gcp',
      actions: ['compute.instances.start'],
      resource: '//compute.googleapis.com/projects/my-project/zones/us-central1-a/instances/vm-1',
      principal: null,
      account: 'my-project',
      denyKind: 'gcp-iam',
      requestable: true,
    });
  });

  it('accepts "denied for resource", curly quotes, no resource and service-qualified permissions', () => {
    expect(one("Permission 'storage.buckets.get' denied for resource 'projects/_/buckets/b1'").resource).toBe(
      'projects/_/buckets/b1',
    );
    expect(
      one('Permission \u2018compute.disks.create\u2019 denied on resource \u2018projects/my-project\u2019')
        .account,
    ).toBe('my-project');
    expect(
      one("Permission 'compute.disks.create' denied on resource (or it may not exist).").resource,
    ).toBeNull();
    expect(one("Permission 'iam.googleapis.com/denypolicies.create' denied on resource 'x'").actions).toEqual(
      ['iam.denypolicies.create'],
    );
  });

  it('reads Required … permission for …', () => {
    expect(
      one("Required 'compute.disks.create' permission for 'projects/my-project/zones/us-central1-a/disks/d1'")
        .actions,
    ).toEqual(['compute.disks.create']);
    const d = one(
      'Required "container.clusters.get" permission(s) for "projects/my-project/locations/us-central1/clusters/c1".',
    );
    expect(d.resource).toBe('projects/my-project/locations/us-central1/clusters/c1');
    expect(d.account).toBe('my-project');
  });

  it('reads Cloud Storage, BigQuery, service-account and build-tool wordings', () => {
    const gcs = one(
      'alice@example.com does not have storage.objects.list access to the Google Cloud Storage bucket.',
    );
    expect(gcs.principal).toBe('alice@example.com');
    expect(gcs.actions).toEqual(['storage.objects.list']);
    const bq = one(
      'Access Denied: Project my-project: User does not have bigquery.jobs.create permission in project my-project.',
    );
    expect(bq.account).toBe('my-project');
    expect(bq.actions).toEqual(['bigquery.jobs.create']);
    const sa = one(
      'Permission iam.serviceAccounts.actAs is required to perform this operation on service account sa@my-project.iam.gserviceaccount.com.',
    );
    expect(sa.actions).toEqual(['iam.serviceAccounts.actAs']);
    expect(sa.resource).toBe('sa@my-project.iam.gserviceaccount.com');
    const lacks = one(
      'The principal (user or service account) lacks IAM permission "run.services.create" for the resource "namespaces/my-project/services/svc"',
    );
    expect(lacks.resource).toBe('namespaces/my-project/services/svc');
  });

  it('prefers structured ErrorInfo metadata over the prose', () => {
    const json = JSON.stringify({
      error: {
        code: 403,
        message:
          "Permission 'compute.instances.start' denied on resource '//compute.googleapis.com/projects/my-project/zones/z/instances/vm-1' (or it may not exist).",
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            metadata: {
              permission: 'compute.instances.start',
              resource: 'projects/my-project/zones/z/instances/vm-1',
            },
          },
        ],
      },
    });
    const d = one(json);
    expect(d.resource).toBe('projects/my-project/zones/z/instances/vm-1');
    expect(d.source).toBe('api');
  });

  it.each(['Missing permissions:', 'Missing or denied permissions:', 'Missing or blocked permissions:'])(
    'reads the console panel with heading "%s"',
    (heading) => {
      const d = one(
        `You need additional access to the project:  my-project\nTroubleshooting info:\n  Principal: alice@example.com\n  Resource: projects/my-project\n${heading}\n  compute.instances.list\n  compute.instances.get\n\nRequest permissions`,
      );
      expect(core(d)).toEqual({
        cloud: 'gcp',
        actions: ['compute.instances.list', 'compute.instances.get'],
        resource: 'projects/my-project',
        principal: 'alice@example.com',
        account: 'my-project',
        denyKind: 'gcp-iam',
        requestable: true,
      });
      expect(d.source).toBe('console');
    },
  );

  it('reads a pasted troubleshooter URL', () => {
    const d = one(
      'console.cloud.google.com/iam-admin/troubleshooter/summary;permissions=compute.instances.list%2Ccompute.instances.get;token=abc?utm_campaign=error_page',
    );
    expect(d.actions).toEqual(['compute.instances.list', 'compute.instances.get']);
  });

  it('reads BigQuery denials that name no permission', () => {
    const d = one(
      'Access Denied: Table my-project:my_dataset.events: User does not have permission to query table my-project:my_dataset.events, or perhaps it does not exist in location US.',
    );
    expect(core(d)).toMatchObject({
      actions: [],
      resource: 'my-project:my_dataset.events',
      account: 'my-project',
    });
  });

  it('reads the bucket-page notice listing quoted permissions', () => {
    const d = one(
      'Additional permissions required to view this bucket\'s metadata: ask a bucket owner to grant you the "storage.buckets.get" and "storage.buckets.getIamPolicy" permissions.',
    );
    expect(d.actions).toEqual(['storage.buckets.get', 'storage.buckets.getIamPolicy']);
  });

  it('reads the quota-project denial with the permission from the remediation sentence', () => {
    const d = one(
      'googleapi: Error 403: Caller does not have required permission to use project my-project. Grant the caller the roles/serviceusage.serviceUsageConsumer role, or a custom role with the serviceusage.services.use permission, and then retry.',
    );
    expect(core(d)).toMatchObject({
      actions: ['serviceusage.services.use'],
      account: 'my-project',
      denyKind: 'gcp-iam',
    });
  });

  it('reads wordings that name no permission', () => {
    for (const t of [
      '7 PERMISSION_DENIED: The caller does not have permission',
      'Request denied by Cloud IAM.',
    ]) {
      expect(core(one(t))).toMatchObject({
        cloud: 'gcp',
        actions: [],
        denyKind: 'gcp-iam',
        requestable: true,
      });
    }
  });

  it.each([
    'Request had insufficient authentication scopes.',
    '"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"',
    "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: abc",
    'Constraint constraints/compute.vmExternalIpAccess violated for project my-project.',
  ])('marks non-IAM blocks as gcp-scope: %s', (t) => {
    expect(core(one(t))).toMatchObject({
      cloud: 'gcp',
      actions: [],
      denyKind: 'gcp-scope',
      requestable: false,
    });
  });
});

describe('look-alikes and documentation', () => {
  it.each([
    'An error occurred (ExpiredToken) when calling the ListBuckets operation: The security token included in the request is expired',
    'An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid.',
    'An error occurred (ThrottlingException) when calling the ListFunctions operation: Rate exceeded',
    '(ExpiredAuthenticationToken) The access token expiry UTC time is earlier than current UTC time.',
    'AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.',
    "(MissingSubscriptionRegistration) The subscription is not registered to use namespace 'Microsoft.Web'.",
    'This request is not authorized to perform this operation. ErrorCode: AuthorizationFailure',
    '{"error":{"code":403,"message":"Cloud Resource Manager API has not been used in project 123 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}',
    '403 ERROR The request could not be satisfied. Request blocked. Generated by cloudfront (CloudFront)',
    'User: arn:aws:iam::account-ID-without-hyphens:user/user-name is not authorized to perform: service:action-name on resource: resource-arn',
  ])('returns nothing for %s', (t) => {
    expect(parseDenials(t)).toEqual([]);
  });

  it('does not let a look-alike on the next log line hide a named denial', () => {
    const text = `An error occurred (AccessDeniedException) when calling the ListFunctions operation: User: ${PRINCIPAL} is not authorized to perform: lambda:ListFunctions because no identity-based policy allows the lambda:ListFunctions action\nAn error occurred (ThrottlingException) when calling the ListFunctions operation: Rate exceeded`;
    expect(parseDenials(text).map((d) => d.actions)).toEqual([['lambda:ListFunctions']]);
  });

  it('does not let a look-alike elsewhere hide a real denial', () => {
    const text = `An error occurred (ExpiredToken) when calling the ListBuckets operation: The security token included in the request is expired\n\nAn error occurred (AccessDeniedException) when calling the ListFunctions operation: User: ${PRINCIPAL} is not authorized to perform: lambda:ListFunctions because no identity-based policy allows the lambda:ListFunctions action`;
    expect(parseDenials(text).map((d) => d.actions)).toEqual([['lambda:ListFunctions']]);
  });
});

describe('hints, ordering and limits', () => {
  it('fills account and principal from hints when the text lacks them', () => {
    const d = one('An error occurred (AccessDenied) when calling the GetObject operation: Access Denied', {
      account: '123456789012',
      principal: PRINCIPAL,
      source: 'cli',
    });
    expect(d.account).toBe('123456789012');
    expect(d.principal).toBe(PRINCIPAL);
  });

  it('keeps text values over hints', () => {
    const d = one(`User: ${PRINCIPAL} is not authorized to perform: s3:GetObject`, {
      account: '999999999999',
    });
    expect(d.account).toBe('123456789012');
  });

  it('lists denials from several clouds in order and de-duplicates', () => {
    const aws = `User: ${PRINCIPAL} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k"`;
    const gcp =
      "Permission 'compute.instances.start' denied on resource 'projects/my-project/zones/z/instances/vm-1'";
    const ds = parseDenials(`${gcp}\n\n${aws}\n\n${gcp}\n\n${aws}`);
    expect(ds.map((d) => d.cloud)).toEqual(['gcp', 'aws']);
  });

  it('caps the excerpt length', () => {
    const long = `User: ${PRINCIPAL} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/${'k'.repeat(5000)}"`;
    expect(one(long).excerpt.length).toBeLessThanOrEqual(EXCERPT_MAX);
  });

  it('returns [] for non-strings and empty input', () => {
    expect(parseDenials('')).toEqual([]);
    expect(parseDenials(undefined as unknown as string)).toEqual([]);
  });
});

describe('Azure Policy code without the sentence', () => {
  it('is not a denial when prose names the code', () => {
    const prose =
      'Azure Policy deny effects (RequestDisallowedByPolicy) and deny assignments cannot be overridden by role assignments.';
    expect(parseDenials(prose, { cloud: 'azure' })).toEqual([]);
  });
  it('is a denial when the code stands in an error-code field', () => {
    const json = '{"error":{"code":"RequestDisallowedByPolicy","message":"The request was blocked."}}';
    const [d] = parseDenials(json);
    expect(d).toMatchObject({ cloud: 'azure', denyKind: 'azure-policy', requestable: false });
  });
});

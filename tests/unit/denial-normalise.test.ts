/**
 * The shared stages of the denial parser (docs/denial-formats.md §1, §5): masked and templated
 * values, wrapped and escaped text, look-alikes that must stay quiet, and junk actions. Texts are
 * built from the guide's placeholder values; the real-world versions live in the corpus
 * (tests/fixtures/denials, numbers 300–399). Some cases already passed before the normalisation
 * work (single escapes, quoted Azure wraps, credential look-alikes); they stay here as guards
 * next to the ones that did not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import { isMasked, normalise } from '../../lib/denial/normalise';
import { parseUnguarded } from '../../lib/denial/parse';

const PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/Developer/alice';
const SENTENCE = `is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`;
const OID = '00000000-0000-0000-0000-000000000001';
const SUB = '00000000-0000-0000-0000-000000000000';
const AZURE = `does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/${SUB}/resourceGroups/rg1' or the scope is invalid.`;

function core(text: string) {
  return parseDenials(text).map((d) => ({
    cloud: d.cloud,
    actions: d.actions,
    resource: d.resource,
    principal: d.principal,
    account: d.account,
    denyKind: d.denyKind,
  }));
}

describe('masked and templated values are not named; the denial stands', () => {
  it.each([
    ['an angle template for the principal', `User: <user-arn> ${SENTENCE}`],
    [
      'a double-angle template in the account',
      `User: arn:aws:sts::<<account>>:assumed-role/Developer/alice ${SENTENCE}`,
    ],
    [
      'a brace template in the account',
      `User: arn:aws:sts::{account-id}:assumed-role/Developer/alice ${SENTENCE}`,
    ],
    [
      'a shell variable in the account',
      `User: arn:aws:sts::\${AWS_ACCOUNT_ID}:assumed-role/Developer/alice ${SENTENCE}`,
    ],
    ['CI secret masking', `User: arn:aws:sts::***:assumed-role/Developer/alice ${SENTENCE}`],
    ['[REDACTED]', `User: arn:aws:sts::[REDACTED]:assumed-role/Developer/alice ${SENTENCE}`],
    [
      'a capital template in the account',
      `User: arn:aws:sts::ACCOUNT_ID:assumed-role/Developer/alice ${SENTENCE}`,
    ],
    ['a star for the account', `User: arn:aws:sts::*:assumed-role/Developer/alice ${SENTENCE}`],
  ])('AWS: %s', (_name, text) => {
    expect(core(text)).toEqual([
      {
        cloud: 'aws',
        actions: ['s3:GetObject'],
        resource: 'arn:aws:s3:::my-bucket/k',
        principal: null,
        account: null,
        denyKind: 'implicit',
      },
    ]);
  });

  it('reads past templated ARN segments to the reason clause', () => {
    const text =
      'Role <cluster>-ACK is not authorized to perform: eks:CreateAccessEntry\non resource: arn:aws:eks:<region>:<acct>:cluster/<cluster>\nbecause no identity-based policy allows the eks:CreateAccessEntry action';
    expect(core(text)).toEqual([
      {
        cloud: 'aws',
        actions: ['eks:CreateAccessEntry'],
        resource: null,
        principal: null,
        account: null,
        denyKind: 'implicit',
      },
    ]);
  });

  it.each([
    ['brace templates', "The client '{user}' with object id '{objectId}' "],
    ['angle templates', "The client '<principal>' with object id '<oid>' "],
    ['x masks', "The client 'xxx@xxx.com' with object id 'xxxxxxxx' "],
  ])('Azure: %s', (_name, head) => {
    expect(core(head + AZURE)).toEqual([
      {
        cloud: 'azure',
        actions: ['Microsoft.Authorization/roleAssignments/write'],
        resource: `/subscriptions/${SUB}/resourceGroups/rg1`,
        principal: null,
        account: SUB,
        denyKind: 'azure-rbac',
      },
    ]);
  });

  it('keeps a partly templated Azure scope as written but names no subscription', () => {
    const [d] = parseDenials(
      `The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/{subscriptionId}/resourceGroups/rg1'`,
    );
    expect(d).toMatchObject({
      resource: '/subscriptions/{subscriptionId}/resourceGroups/rg1',
      account: null,
    });
  });

  it.each([
    [
      'an Azure policy target with a masked suffix',
      "(RequestDisallowedByPolicy) Resource 'web-pool-****' was disallowed by policy. Reasons: 'The selected virtual machine size is not allowed.'.",
      'web-pool-****',
    ],
    [
      'a GCP service account whose project number is masked',
      "ERROR: (gcloud.run.deploy) Permission 'iam.serviceaccounts.actAs' denied on service account xxxxxxxxxx-compute@developer.gserviceaccount.com (or it may not exist).",
      'xxxxxxxxxx-compute@developer.gserviceaccount.com',
    ],
    [
      'an Azure scope elided at its start and templated at its end',
      `AuthorizationFailed: The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '.../resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/<acct>' or the scope is invalid.`,
      '.../resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/<acct>',
    ],
  ])('keeps a name that masks cover only in part: %s', (_name, text, resource) => {
    const [d] = parseDenials(text);
    expect(d?.resource).toBe(resource);
  });

  it('clears an Azure scope that is nothing but a mask', () => {
    const [d] = parseDenials(
      `AuthorizationFailed: The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '***' or the scope is invalid.`,
    );
    expect(d).toMatchObject({ cloud: 'azure', resource: null, account: null });
  });

  it('clears a GCP resource that is nothing but a mask', () => {
    const [d] = parseDenials(
      'ERROR: (gcloud.projects.add-iam-policy-binding) [***@***.iam.gserviceaccount.com] does not have permission to access projects instance [***] (or it may not exist): Policy update access denied.',
    );
    expect(d).toMatchObject({ cloud: 'gcp', resource: null, account: null, principal: null });
  });

  it('still treats a template in the action slot as a sample', () => {
    expect(
      parseDenials(
        'User: arn:aws:iam::account-ID-without-hyphens:user/user-name is not authorized to perform: service:action-name on resource: resource-arn',
      ),
    ).toEqual([]);
  });

  it('recognises the mask forms', () => {
    for (const v of [
      '{account-id}',
      '${VAR}',
      '$ACCOUNT_ID',
      'SOME_GUID_HERE',
      '[REDACTED]',
      'arn:aws:iam::*:user/a',
    ])
      expect(isMasked(v), v).toBe(true);
    for (const v of ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:s3:::my-bucket', 'my-project', OID])
      expect(isMasked(v), v).toBe(false);
  });
});

describe('wrapped, escaped and decorated text', () => {
  const awsExpected = [
    {
      cloud: 'aws',
      actions: ['s3:GetObject'],
      resource: 'arn:aws:s3:::my-bucket/k',
      principal: PRINCIPAL,
      account: '123456789012',
      denyKind: 'implicit',
    },
  ];

  it.each([
    ['JSON escaped once', JSON.stringify({ message: `User: ${PRINCIPAL} ${SENTENCE}` })],
    ['JSON escaped twice', JSON.stringify(JSON.stringify({ message: `User: ${PRINCIPAL} ${SENTENCE}` }))],
    [
      'JSON escaped three times',
      JSON.stringify(JSON.stringify(JSON.stringify({ m: `User: ${PRINCIPAL} ${SENTENCE}` }))),
    ],
    ['\\u0022 escapes', `{"m":"User: ${PRINCIPAL} ${SENTENCE.replace(/"/g, '\\u0022')}"}`],
    ['a Python bytes literal', `b'{"Message":"User: ${PRINCIPAL} ${SENTENCE.replace(/"/g, '\\\\"')}"}\\n'`],
    [
      "Python's adjacent bytes literals",
      `{'data': b'User: ${PRINCIPAL} is not authorized to perf'\n         b'orm: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action'}`,
    ],
    [
      'a YAML folded block',
      `status:\n  conditions:\n  - message: >-\n      AccessDenied: User: ${PRINCIPAL}\n      ${SENTENCE}\n    reason: ReconcileError`,
    ],
    [
      "a YAML double-quoted scalar's backslash continuation inside a token",
      `    message: "User: ${PRINCIPAL} is not authorized to perform: s3:Get\\\n      Object on resource: \\"arn:aws:s3:::my-bucket/k\\" because no identity-based policy allows the s3:GetObject action"`,
    ],
    [
      'escaped JSON nested in YAML',
      `  message: '{"error":{"message":"User: ${PRINCIPAL} ${SENTENCE.replace(/"/g, '\\\\\\"')}"}}'`,
    ],
    [
      'Markdown quotes',
      `> User: ${PRINCIPAL} is not authorized to\n> perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no\n> identity-based policy allows the s3:GetObject action`,
    ],
    ['Markdown bold', `**User: ${PRINCIPAL}** ${SENTENCE.replace('s3:GetObject on', '**s3:GetObject** on')}`],
    ['an ESC colour code', `\u001b[31mUser: ${PRINCIPAL} ${SENTENCE}\u001b[0m`],
    ['a colour code whose ESC was lost', `[31mUser: ${PRINCIPAL} [1m${SENTENCE}[0m`],
    [
      'GitHub Actions timestamps on a wrapped sentence',
      `2024-01-02T03:04:05.6789012Z User: ${PRINCIPAL} is not authorized to\n2024-01-02T03:04:05.6789012Z perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`,
    ],
    [
      '[error] levels on a wrapped sentence',
      `##[error]User: ${PRINCIPAL} is not\n##[error]authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`,
    ],
    [
      'klog headers on a wrapped sentence',
      `E0204 16:50:51.457360       1 controller.go:134] User: ${PRINCIPAL} is not\nE0204 16:50:51.457361       1 controller.go:134] authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`,
    ],
    [
      "Jenkins' time of day before a Terraform box",
      `13:16:46  │ Error: User: ${PRINCIPAL} is not\n13:16:46  │ authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k" because no identity-based policy allows the s3:GetObject action`,
    ],
  ])('%s', (_name, text) => {
    expect(core(text)).toEqual(awsExpected);
    expect(mayContainDenial(text)).toBe(true);
  });

  it("reads PowerShell's | gutter and CategoryInfo framing", () => {
    const text = `New-AzRoleAssignment: /home/u/run.ps1:53\nLine |\n  53 |          New-AzRoleAssignment -RoleDefinitionName Contributor …\n     |          ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n     | The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action\n     | 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/${SUB}/resourceGroups/rg1' or the scope is invalid.\n    + CategoryInfo          : CloseError: (:) [New-AzRoleAssignment], CloudException`;
    expect(core(text)).toEqual([
      {
        cloud: 'azure',
        actions: ['Microsoft.Authorization/roleAssignments/write'],
        resource: `/subscriptions/${SUB}/resourceGroups/rg1`,
        principal: 'alice@example.com',
        account: SUB,
        denyKind: 'azure-rbac',
      },
    ]);
  });

  it("reads YAML single-quoted scalars' doubled quotes", () => {
    const text = `    message: 'The client ''alice@example.com'' with object id ''${OID}'' ${AZURE.replace(/'/g, "''")}'`;
    expect(core(text)[0]).toMatchObject({ principal: 'alice@example.com', account: SUB });
  });

  it('rejoins a token a wrap split with no space when the halves only make sense together', () => {
    const text = `{"error":{"code":"AuthorizationFailed","message":"The client 'alice@example.com' with object id '${OID}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignm\nents/write' over scope '/subscriptions/${SUB}/resourceGroups/rg1' or the scope is invalid."}}`;
    expect(core(text)[0]?.actions).toEqual(['Microsoft.Authorization/roleAssignments/write']);
  });

  it('rejoins a cut at the terminal width inside an action, not inside prose', () => {
    const line = (s: string) => s.padEnd(100, ' ').slice(0, 100);
    const first = line(`User: ${PRINCIPAL} is not authorized to perform: dynamodb:Describe`);
    const cut = `User: ${PRINCIPAL} is not authorized to perform: dynamodb:Describe`;
    const width = cut.length;
    const other = 'x'.repeat(width - 10) + ' continued';
    const text = `${cut}\nTable on resource: arn:aws:dynamodb:us-east-1:123456789012:table/t\n${other}\nmore`;
    expect(first.length).toBe(100);
    expect(other.length).toBe(width);
    expect(core(text)[0]?.actions).toEqual(['dynamodb:DescribeTable']);
    // A prose word cut at the same width keeps its break (it reads as a space).
    expect(normalise(`${'a'.repeat(width - 3)} op\neration\n${other}`)).toContain('op\neration');
  });

  it('does not glue a list of permissions one per line', () => {
    const text = `Missing permissions for the principal alice@example.com on project my-project: compute.instances.get\ncompute.instances.list`;
    expect(normalise(text)).toContain('compute.instances.get\ncompute.instances.list');
  });
});

describe('look-alikes stay quiet', () => {
  it.each([
    [
      'an MFA failure (AccessDenied code)',
      'An error occurred (AccessDenied) when calling the AssumeRole operation: MultiFactorAuthentication failed with invalid MFA one time pass code.',
    ],
    [
      'an MFA failure in the STS XML body',
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code. </Message></Error><RequestId>abc</RequestId></ErrorResponse>',
    ],
    [
      'an MFA code rejected after a bare Access Denied',
      'An error occurred (AccessDenied) when calling the GetSessionToken operation: Access Denied. MFA code is invalid',
    ],
    [
      'a browser showing a private S3 object',
      'This XML file does not appear to have any style information associated with it. The document tree is shown below.\n<Error>\n<Code>AccessDenied</Code>\n<Message>Access Denied</Message>\n<RequestId>XZ9SPTGW154R4KXN</RequestId>\n<HostId>zaHURpgArlT9EyV/TSm6Rnpfp/6gZq9HfCOmCKmTypt2XEbkDFsePjqyOBnpwD6a847S5hjFzsE=</HostId>\n</Error>',
    ],
    [
      'a bare S3 error document',
      '<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>7BMJM8PWV1J1FNEH</RequestId><HostId>TW2qeJptLnLL7+0pKGRgdR+t5T/GKN362KnA1JuYa83s+Y0YsVEeIxGoiUK+pCQIRwhNsDNC1ws=</HostId></Error>',
    ],
    [
      'a signature mismatch',
      '<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>',
    ],
    [
      'an expired token in a Terraform box',
      '│ Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 6d1b2715-c592-449e-8c50-f6f8a7e27ca7, api error ExpiredToken: The security token included in the request is expired',
    ],
    [
      'an Entra sign-in error',
      '{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity."}',
    ],
    [
      'a disabled API',
      'googleapi: Error 403: Compute Engine API has not been used in project [xxxx] before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=[xxxx] then retry., accessNotConfigured',
    ],
    [
      'billing',
      'googleapi: Error 403: The project to be billed is associated with an absent billing account., accountDisabled',
    ],
    [
      'a missing bucket',
      'NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404, request id: 6DCCC569BD3C199D',
    ],
    [
      'documentation with an example introduced as such',
      `Deployment fails with an error like:\n\nUser: ${PRINCIPAL} ${SENTENCE}`,
    ],
    [
      'documentation in the second person',
      `Without this role, you get the following\nerrors during the deployment:\n\nforbidden: alice@example.com does not have storage.buckets.get access to my-project-buildpacks.`,
    ],
    [
      'an example encoded message',
      'Example encoded message:\nLaunch Failed - You are not authorized to perform this operation. Encoded authorization failure message: 4GIOHlTkIaWHQD0Q0m6XSnuUMCm-abcdefghijklmn',
    ],
  ])('%s', (_name, text) => {
    expect(parseDenials(text)).toEqual([]);
  });

  it('keeps the bare S3 body a denial inside an SDK wire trace', () => {
    const text =
      '-> "HTTP/1.1 403 Forbidden\\r\\n"\n-> "Server: AmazonS3\\r\\n"\n-> "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>7BMJM8PWV1J1FNEH</RequestId></Error>"';
    expect(core(text)).toEqual([
      { cloud: 'aws', actions: [], resource: null, principal: null, account: null, denyKind: 'unknown' },
    ]);
  });
});

describe('no junk actions', () => {
  it('does not take an ARN region fragment for an action', () => {
    const [d] = parseDenials(`User: ${PRINCIPAL} is not authorized to perform: wafv2:us.`);
    expect(d?.actions ?? []).toEqual([]);
  });

  it('does not take a mailto: link for an action', () => {
    const [d] = parseDenials(`User: ${PRINCIPAL} is not authorized to perform: mailto:admin@example.com`);
    expect(d?.actions ?? []).toEqual([]);
  });
});

describe('prefixes between the words of a phrase', () => {
  const PREFIXES = [
    '2024-01-02T03:04:05.6789012Z ',
    '2018/05/30 15:11:40 ',
    '13:16:46  │ ',
    'E0204 16:50:51.457360       1 controller.go:134] ',
    '[error] ',
    '##[error]',
    '> ',
    '     | ',
    '\u001b[31m',
    '[0m',
  ];
  it('the parser reads through them and the keyword gate accepts them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), fc.constantFrom(...PREFIXES), (p1, p2) => {
        const text = `${p1}User: ${PRINCIPAL} is not\n${p2}authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/k"`;
        expect(parseUnguarded(text).map((d) => d.actions)).toEqual([['s3:GetObject']]);
        expect(mayContainDenial(text)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

const MB = 1 << 20;
const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

describe('large inputs for the new stages complete', () => {
  it.each([
    ['lines of one width', fill(`${'arn:aws:s3:::a/'.padEnd(79, 'b')}\n`)],
    ['prefix-like line starts', fill('\n2024-01-02T03:04:05Z [error] > | ')],
    ['whitespace after a newline', `\n${' '.repeat(MB)}x`],
    ['doubled quotes', fill("''a''")],
    ['templated ARNs', fill('arn:aws:iam::<a b>:')],
    ['bold markers', fill('**a** ')],
    ['hex bytes', fill('\\xe2\\x80')],
    ['adjacent literals', fill("'\n  b'")],
    ['Markdown quote lines (the gate must not split them two ways each)', fill('\n>')],
    ['gutter lines', fill('\n|')],
  ])('%s', (_name, text) => {
    // Unguarded: the keyword gate would turn most of these away before normalisation.
    expect(Array.isArray(parseUnguarded(`is not authorized to perform: ${text}`))).toBe(true);
    expect(typeof mayContainDenial(`not${text}`)).toBe('boolean');
  });
});

/**
 * Property tests for the denial parser: on random and adversarial strings it never throws, never
 * invents an action that is not in the text, returns contract-valid denials, and the keyword
 * prefilter accepts every text the parser finds a denial in. Large adversarial inputs are run to
 * completion (a catastrophic backtrack would hang the test into its timeout); no timings are
 * asserted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Denial } from '../../lib/contract/denial';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import { normalise } from '../../lib/denial/normalise';
import { parseUnguarded } from '../../lib/denial/parse';

const FRAGMENTS = [
  'User: ',
  'Principal: ',
  'arn:aws:iam::123456789012:user/alice',
  'arn:aws:sts::123456789012:assumed-role/Developer/alice',
  ' is not authorized to perform: ',
  'Not authorized to perform ',
  's3:GetObject',
  'lambda:ListFunctions',
  'service:action-name',
  ' on resource: ',
  'role Deployer',
  '"arn:aws:s3:::my-bucket/k"',
  ' because no identity-based policy allows the ',
  ' because no session policy allows ',
  ' with an explicit deny in a service control policy',
  ': arn:aws:organizations::111111111111:policy/o-x/service_control_policy/p-1',
  ' action',
  'null',
  'An error occurred (AccessDenied) when calling the GetObject operation: ',
  'Access Denied',
  '<Code>AccessDenied</Code>',
  'You are not authorized to perform this operation. ',
  'Encoded authorization failure message: ',
  'AbCd0123456789xyzAbCd0123456789xyz',
  'API: s3:CreateBucket Access Denied',
  'permissions to allow the s3:ListBucket action',
  'operation error EC2: RunInstances, https response error StatusCode: 403, ',
  'api error UnauthorizedOperation: ',
  'api error AccessDenied: ',
  'An error occurred (403) when calling the HeadObject operation: Forbidden',
  ' (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; ',
  '\n\tat com.amazonaws.services.s3.AmazonS3Client.getObject(AmazonS3Client.java:1)',
  "boto3.client('lambda')",
  '$ aws s3api get-object ',
  "You don't have permissions to perform the following operations: ",
  'CloudWatch:DescribeAlarms',
  'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x',
  'mailto:alice@example.com',
  'You are not authorized to use launch template: ',
  'arn:aws-us-gov:iam::123456789012:user/bob',
  'policies that allow DescribeInstances',
  "The client 'alice@example.com' with object id '00000000-0000-0000-0000-000000000001' ",
  "does not have authorization to perform action '",
  'Microsoft.Compute/virtualMachines/start/action',
  "' over scope '",
  "' on the linked scope(s) '",
  '; however, it does not have permission to perform action ',
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1',
  'Caller is not authorized to perform action on resource.\n',
  "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\n",
  'AuthorizationPermissionMismatch',
  'RequestDisallowedByPolicy',
  ' was disallowed by policy. ',
  '"policyAssignment":{"name":"a","id":"b"}',
  'without the following permissions over selected scope: (',
  ')',
  "Permission '",
  'compute.instances.start',
  'iam.googleapis.com/denypolicies.create',
  "' denied on resource '",
  'Required "container.clusters.get" permission(s) for "',
  ' does not have storage.objects.get access to ',
  ' does not have bigquery.jobs.create permission in project my-project',
  'lacks IAM permission "run.services.create"',
  'IAM_PERMISSION_DENIED',
  '"permission": "compute.disks.create"',
  'You need additional access to the project:  my-project\n',
  'Missing or denied permissions:\n',
  'iam-admin/troubleshooter;permissions=compute.instances.list%2Ccompute.instances.get;principal=alice@example.com',
  'The caller does not have permission',
  'Request had insufficient authentication scopes.',
  "Request is prohibited by organization's policy.",
  'constraints/compute.vmExternalIpAccess violated',
  'ExpiredToken',
  'SERVICE_DISABLED',
  'Anonymous caller',
  'Unauthenticated requests do not have permission ',
  ' does not have permission to access service [',
  ':enable] (or it may not exist)',
  'Permission denied on resource project my-project',
  ' is missing IAM permission: spanner.databases.get',
  'requires one of ["container.pods.list"] permission(s)',
  'You need permissions for this action. Required permission(s): ',
  "You don't have permission to see this information",
  'vpcServiceControlsUniqueIdentifier: ',
  'The user is forbidden from accessing the bucket [b]',
  'This command is authenticated as alice@example.com',
  '<principal>',
  '${x}',
  '{subscriptionId}',
  '\\"',
  '\\\\',
  '\\/',
  '\\u0027',
  '\\u003c',
  '&quot;',
  '&#39;',
  '&lt;',
  '&amp;',
  '\\n',
  '\\r\\n',
  '\n',
  '\n\n',
  ' ',
  '\u2502 ',
  "'",
  '"',
  '\u2018',
  '\u201d',
  '`',
  ':',
  'a:',
  '*',
  '.',
  '(',
];

const fragmentText = fc
  .array(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FRAGMENTS) }, { weight: 1, arbitrary: fc.string() }),
    {
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(
  fragmentText,
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** The text as the parser reads it: unescaped, unwrapped, case-folded, no whitespace. */
function haystack(text: string): string {
  return normalise(text).replace(/\s+/g, '').toLowerCase();
}

function actionsOccur(text: string, denials: Denial[]): void {
  const hay = haystack(text);
  // GCP permissions are documented to drop the `.googleapis.com/` service qualifier.
  const gcpHay = hay.replace(/\.googleapis\.com\//g, '.');
  for (const d of denials) {
    for (const a of d.actions) {
      const needle = a.replace(/\s+/g, '').toLowerCase();
      const ok =
        hay.includes(needle) ||
        (d.cloud === 'gcp' && gcpHay.includes(needle)) ||
        // Documented derivation: the EC2 editors' bare API hint gets an `ec2:` prefix.
        (d.cloud === 'aws' && needle.startsWith('ec2:') && hay.includes(needle.slice(4))) ||
        // Documented derivation (§2.6): an action derived from an operation the text names.
        (d.derivedFrom === 'operation' &&
          d.operation !== null &&
          hay.replace(/-/g, '').includes(d.operation.toLowerCase())) ||
        // Documented (§2.7): Auto Scaling's launch-template refusal means ec2:RunInstances.
        (needle === 'ec2:runinstances' && hay.includes('launchtemplate'));
      expect(ok, `action ${a} not in text ${JSON.stringify(text).slice(0, 300)}`).toBe(true);
    }
  }
}

describe('denial parser properties', () => {
  it('never throws, returns contract-valid denials, and invents no actions', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const denials = parseUnguarded(text);
        for (const d of denials) expect(Denial.safeParse(d).success).toBe(true);
        actionsOccur(text, denials);
      }),
      { numRuns: 1500 },
    );
  });

  it('prefilter accepts every text the parser finds a denial in', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        if (parseUnguarded(text).length > 0) expect(mayContainDenial(text)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('public entry point agrees with the unguarded pipeline behind the prefilter', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const expected = mayContainDenial(text) ? parseUnguarded(text) : [];
        expect(parseDenials(text)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts any hints without throwing', () => {
    const hints = fc.record(
      {
        cloud: fc.constantFrom('aws', 'azure', 'gcp' as const),
        account: fc.string(),
        principal: fc.string(),
        region: fc.string(),
        source: fc.constantFrom('console', 'api', 'cli', 'sdk', 'terraform', 'cloudformation' as const),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fragmentText, hints, (text, h) => {
        for (const d of parseUnguarded(text, h)) expect(Denial.safeParse(d).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

const MB = 1 << 20;
const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

describe('large adversarial inputs complete', () => {
  const cases: [string, string][] = [
    ['repeated sentence anchors', fill('is not authorized to perform: ')],
    ['runs of a:', fill('a:')],
    [
      'repeated full sentences',
      fill(
        `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action\n`,
      ),
    ],
    ['one huge token', `is not authorized to perform: s3:GetObject on resource: ${'a'.repeat(MB)}`],
    ['huge whitespace run', `is not authorized to perform:${' '.repeat(MB)}s3:GetObject`],
    ['huge newline run', `User: arn:aws:iam::1:user/a${'\n'.repeat(MB)}is not authorized`],
    ['unclosed quotes', fill("does not have authorization to perform action '")],
    ['GCP anchors with open quotes', fill("Permission 'a.b.c' denied on resource '")],
    ['XML codes', fill('<Code>AccessDenied</Code>')],
    ['bare Access Denied', fill('Access Denied. ')],
    ['escape soup', fill('\\\\\\u0027&amp;quot;')],
    ['blob without end', `Encoded authorization failure message: ${fill('AbC123 ')}`],
    ['panel heading with a long list', `Missing permissions:\n${fill('compute.instances.start\n')}`],
    ['troubleshooter params', fill('iam-admin/troubleshooter;permissions=a.b.c;')],
    ['look-alike next to sentences', fill('ExpiredToken is not authorized to perform: s3:GetObject ')],
    ['placeholders', fill('<a-b> ${x} ')],
    // GCP families that look back or forward along a line (docs/denial-formats.md §4).
    [
      'GCS sentences after request URLs',
      fill('storage/v1/b/b1/o/x does not have a.b.c access to the Google Cloud Storage object. '),
    ],
    ['Firebase list headings', fill('missing the following required permissions on project p:\n a.b.c\n')],
    [
      'Spanner resources before missing permissions',
      fill('Resource projects/p is missing IAM permission: a.b.c '),
    ],
    [
      'gcloud access wordings',
      fill('[a@b.co] does not have permission to access projects instance [p:get] (or it may not exist) '),
    ],
    ['GKE lists', fill('User "a@b.co" cannot list x: requires one of ["a.b.c"] permission(s) ')],
    ['random-ish mix', fill(FRAGMENTS.join(''))],
    [
      'wrapper operations with bare denials',
      fill(
        'operation error S3: GetObject, https response error StatusCode: 403, api error AccessDenied: Access Denied\n',
      ),
    ],
    ['a long list of operations', `the following operations: ${fill('CloudWatch:DescribeAlarms, ')}`],
    ['query parameters without end', fill('Action=A&')],
    ['client frames without a call', fill('at com.amazonaws.services.s3.AmazonS3Client.')],
    ['launch-template refusals', fill('You are not authorized to use launch template: lt-1 ')],
  ];
  it.each(cases)('%s', (_name, text) => {
    const denials = parseDenials(text);
    expect(Array.isArray(denials)).toBe(true);
    expect(denials.length).toBeLessThanOrEqual(200);
    for (const d of denials.slice(0, 5)) expect(Denial.safeParse(d).success).toBe(true);
  });
});

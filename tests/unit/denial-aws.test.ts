/**
 * AWS wordings of docs/denial-formats.md §2.5–§2.7: actions derived from the API operation a
 * wrapper names, console lists and bare operations, Auto Scaling's launch-template refusal, S3's
 * bodiless 403, precision of loose `service:Action` tokens, partitions and the text's account.
 * Illustrative texts in the shapes of the real ones in tests/fixtures/denials/aws/2xx-*.txt.
 */
import { describe, expect, it } from 'vitest';
import { explain, formatExplanation } from '../../cli/explain';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial } from '../../lib/denial';
import { actionForOperation, prefixOfService } from '../../lib/denial/aws-operation';

function one(text: string, hints?: Parameters<typeof parseDenials>[1]): Denial {
  const ds = parseDenials(text, hints);
  expect(ds, JSON.stringify(ds)).toHaveLength(1);
  expect(mayContainDenial(text)).toBe(true);
  return ds[0] as Denial;
}

const RID = 'RequestID: 00000000-0000-4000-8000-000000000000';

describe('operation → IAM action table', () => {
  it.each([
    ['EC2', 'ec2'],
    ['CloudWatch Logs', 'logs'],
    ['CloudWatchLogs', 'logs'],
    ['Amazon S3', 's3'],
    ['AmazonS3', 's3'],
    ['AWSSecurityTokenService', 'sts'],
    ['AmazonIdentityManagement', 'iam'],
    ['AmazonDynamoDBv2', 'dynamodb'],
    ['SFN', 'states'],
    ['stepfunctions', 'states'],
    ['Elastic Load Balancing v2', 'elasticloadbalancing'],
    ['elbv2', 'elasticloadbalancing'],
    ['monitoring', 'cloudwatch'],
    ['Cognito Identity Provider', 'cognito-idp'],
  ])('service name %s → prefix %s', (name, prefix) => {
    expect(prefixOfService(name)).toBe(prefix);
  });

  it('knows no prefix where operations do not map to actions', () => {
    expect(prefixOfService('API Gateway')).toBeNull();
    expect(prefixOfService('no-such-service')).toBeNull();
  });

  it.each([
    ['s3', 'GetObject', 's3:GetObject'],
    ['s3', 'HeadObject', 's3:GetObject'],
    ['s3', 'ListObjectsV2', 's3:ListBucket'],
    ['s3', 'ListBuckets', 's3:ListAllMyBuckets'],
    ['s3', 'CopyObject', null],
    ['lambda', 'Invoke', 'lambda:InvokeFunction'],
    ['lambda', 'ListFunctions', 'lambda:ListFunctions'],
    ['ec2', 'RunInstances', 'ec2:RunInstances'],
    ['sqs', 'SendMessageBatch', 'sqs:SendMessage'],
    ['kms', 'ReEncrypt', null],
    ['ec2', 'lowercase', null],
  ])('%s %s → %s', (prefix, op, action) => {
    expect(actionForOperation(prefix, op)).toBe(action);
  });
});

describe('actions derived from the operation a wrapper names', () => {
  it.each([
    [
      'Go SDK v2 / Terraform, EC2',
      `Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 403, ${RID}, api error UnauthorizedOperation: You are not authorized to perform this operation.`,
      'ec2:RunInstances',
      'RunInstances',
    ],
    [
      'Go SDK v2, S3 list',
      `operation error S3: ListObjectsV2, https response error StatusCode: 403, ${RID}, HostID: abc, api error AccessDenied: Access Denied`,
      's3:ListBucket',
      'ListObjectsV2',
    ],
    [
      'Go SDK v2, service id with a space',
      `operation error CloudWatch Logs: CreateLogGroup, https response error StatusCode: 400, ${RID}, api error AccessDeniedException: `,
      'logs:CreateLogGroup',
      'CreateLogGroup',
    ],
    [
      'Java SDK v1 suffix and client frame',
      'com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: X; S3 Extended Request ID: Y)\n\tat com.amazonaws.http.AmazonHttpClient$RequestExecutor.handleErrorResponse(AmazonHttpClient.java:1712)\n\tat com.amazonaws.services.s3.AmazonS3Client.invoke(AmazonS3Client.java:5062)\n\tat com.amazonaws.services.s3.AmazonS3Client.getObject(AmazonS3Client.java:1490)\n\tat com.example.App.main(App.java:10)',
      's3:GetObject',
      'GetObject',
    ],
    [
      'Java SDK v2 client frame',
      'software.amazon.awssdk.services.lambda.model.LambdaException: Access Denied (Service: Lambda, Status Code: 403, Request ID: X)\n\tat software.amazon.awssdk.services.lambda.DefaultLambdaClient.invoke(DefaultLambdaClient.java:2000)\n\tat com.example.App.main(App.java:10)',
      'lambda:InvokeFunction',
      'Invoke',
    ],
    [
      'Java SDK v2 implementation frame before a convenience method',
      'software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403, Request ID: X)\n\tat software.amazon.awssdk.services.s3.DefaultS3Client.getObject(DefaultS3Client.java:4483)\n\tat software.amazon.awssdk.services.s3.S3Client.getObjectAsBytes(S3Client.java:7889)\n\tat com.example.App.main(App.java:10)',
      's3:GetObject',
      'GetObject',
    ],
    [
      'Java SDK v1 S3 convenience method',
      'com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden (Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden; Request ID: X)\n\tat com.amazonaws.services.s3.AmazonS3Client.invoke(AmazonS3Client.java:5008)\n\tat com.amazonaws.services.s3.AmazonS3Client.getObjectMetadata(AmazonS3Client.java:1330)\n\tat com.example.App.main(App.java:10)',
      's3:GetObject',
      'HeadObject',
    ],
    [
      '.NET SDK client frame',
      'Amazon.S3.AmazonS3Exception: Access Denied\n   at Amazon.Runtime.Internal.HttpErrorResponseExceptionHandler.HandleExceptionStream(IRequestContext requestContext)\n   at Amazon.S3.AmazonS3Client.GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken)\n   at App.Main()',
      's3:GetObject',
      'GetObject',
    ],
    [
      'boto3 with the client named',
      "lambda_client = boto3.client('lambda')\nbotocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the ListFunctions operation: Access Denied",
      'lambda:ListFunctions',
      'ListFunctions',
    ],
    [
      'AWS CLI command line',
      '$ aws s3api get-object --bucket my-bucket --key k out\n\nAn error occurred (AccessDenied) when calling the GetObject operation: Access Denied',
      's3:GetObject',
      'GetObject',
    ],
    [
      'S3 HEAD without a body',
      '$ aws s3 cp s3://my-bucket/k .\nfatal error: An error occurred (403) when calling the HeadObject operation: Forbidden',
      's3:GetObject',
      'HeadObject',
    ],
    [
      'Go SDK v2 S3 HEAD',
      `operation error S3: HeadObject, https response error StatusCode: 403, ${RID}, HostID: abc, api error Forbidden: Forbidden`,
      's3:GetObject',
      'HeadObject',
    ],
    [
      'AWS CLI debug user agent',
      "'User-Agent': b'aws-cli/2.0.56 Python/3.7.3 command/ec2.describe-instances'\nAn error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized to perform this operation.",
      'ec2:DescribeInstances',
      'DescribeInstances',
    ],
    [
      'Query API URL',
      'Got response from endpoint: https://ec2.eu-west-1.amazonaws.com:443/?Action=RunInstances&dryRun=true\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors></Response>',
      'ec2:RunInstances',
      'RunInstances',
    ],
    [
      'Query API body opening a paragraph of a wire trace',
      'DEBUG: sending request:\n> POST / HTTP/1.1\n> Host: ec2.us-east-1.amazonaws.com\n>\n> Action=DescribeInstances&Version=2016-11-15\nDEBUG: response:\n< HTTP/1.1 403 Forbidden\n< <Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors></Response>',
      'ec2:DescribeInstances',
      'DescribeInstances',
    ],
    [
      'JavaScript SDK v3 middleware log',
      "{ clientName: 'S3Client', commandName: 'PutObjectCommand', error: AccessDenied: Access Denied\n  '$metadata': { httpStatusCode: 403 } }",
      's3:PutObject',
      'PutObject',
    ],
  ])('%s', (_name, text, action, operation) => {
    const d = one(text);
    expect(d.actions).toEqual([action]);
    expect(d.operation).toBe(operation);
    expect(d.derivedFrom).toBe('operation');
    expect(d.confidence).toBe('low');
    expect(d.denyKind).toBe('unknown');
    expect(d.requestable).toBe(true);
  });

  it('keeps the operation but derives nothing when the service is not named', () => {
    const d = one('ClientError: An error occurred (AccessDenied) when calling the DescribeAlarms operation');
    expect(d.actions).toEqual([]);
    expect(d.operation).toBe('DescribeAlarms');
    expect(d.derivedFrom).toBeUndefined();
  });

  it('does not take a service principal for the endpoint', () => {
    const d = one(
      'An error occurred (AccessDenied) when calling the CreateServiceLinkedRole operation: Access Denied (role path aws-service-role/elasticbeanstalk.amazonaws.com/)',
    );
    expect(d.actions).toEqual([]);
    expect(d.operation).toBe('CreateServiceLinkedRole');
  });

  it('derives nothing when the operation needs several actions', () => {
    const d = one(
      `operation error S3: CopyObject, https response error StatusCode: 403, ${RID}, api error AccessDenied: Access Denied`,
    );
    expect(d.actions).toEqual([]);
    expect(d.operation).toBe('CopyObject');
  });

  it('lets the sentence name the action: the wrapper operation is only the failed call', () => {
    const d = one(
      `operation error EC2: RunInstances, https response error StatusCode: 403, ${RID}, api error UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/Dev/alice is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/app because no identity-based policy allows the iam:PassRole action`,
    );
    expect(d.actions).toEqual(['iam:PassRole']);
    expect(d.operation).toBe('RunInstances');
    expect(d.derivedFrom).toBeUndefined();
    expect(d.confidence).toBe('high');
  });

  it('takes the operation from the same paragraph only', () => {
    const ds = parseDenials(
      `operation error EC2: RunInstances, https response error StatusCode: 403, ${RID}, api error UnauthorizedOperation: You are not authorized to perform this operation.\n\nsomething else\nAn error occurred (AccessDenied): Access Denied`,
    );
    expect(ds.map((d) => d.actions)).toEqual([['ec2:RunInstances'], []]);
  });
});

describe('console wordings', () => {
  it('reads a list of operations with the service in display case', () => {
    const d = one(
      "Failed to retrieve alarms\nYou don't have permissions to perform the following operations: CloudWatch:DescribeAlarms. Contact your administrator if you need help.",
    );
    expect(d.actions).toEqual(['cloudwatch:DescribeAlarms']);
    expect(d.denyKind).toBe('unknown');
    expect(d.source).toBe('console');
  });

  it('reads several listed permissions and stops at the first token that is not one', () => {
    const d = one(
      'This page requires the following permissions: ec2:DescribeVpcs, EC2:DescribeSubnets and ec2:DescribeSecurityGroups. mailto:admin@example.com',
    );
    expect(d.actions).toEqual(['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups']);
  });

  it('derives the S3 action from a bare operation the S3 console names', () => {
    const d = one("You don't have permission to ListObjectsV2 on bucket my-bucket.");
    expect(d.actions).toEqual(['s3:ListBucket']);
    expect(d.operation).toBe('ListObjectsV2');
    expect(d.derivedFrom).toBe('operation');
  });

  it('reads Auto Scaling launch-template refusals as ec2:RunInstances on the template', () => {
    const d = one(
      'botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the UpdateAutoScalingGroup operation: You are not authorized to use launch template: lt-0123456789abcdef0',
    );
    expect(d.actions).toEqual(['ec2:RunInstances']);
    expect(d.resource).toBe('lt-0123456789abcdef0');
    expect(d.operation).toBe('UpdateAutoScalingGroup');
    const cfn = one(
      'AWS::AutoScaling::AutoScalingGroup/NodeGroup: CREATE_FAILED – "API: autoscaling:CreateAutoScalingGroup You are not authorized to use launch template: my-template"',
    );
    expect(cfn.actions).toEqual(['ec2:RunInstances']);
    expect(cfn.resource).toBe('my-template');
    expect(cfn.operation).toBe('CreateAutoScalingGroup');
  });
});

describe('precision', () => {
  it.each([
    'You do not have the following permissions: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x',
    'Missing the following permissions: mailto:alice@example.com',
    'You need the following permissions: foo:Bar',
  ])('takes no junk action from %s', (text) => {
    for (const d of parseDenials(text)) expect(d.actions).toEqual([]);
  });

  it('does not read an address after "perform:" as an action', () => {
    for (const d of parseDenials(
      'User: arn:aws:iam::123456789012:user/bob is not authorized to perform: mailto:bob@example.com',
    )) {
      expect(d.actions).toEqual([]);
    }
  });

  it('lower-cases a known IAM prefix written in display case in the sentence', () => {
    const d = one(
      'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: SNS:Publish on resource: arn:aws:sns:us-east-1:123456789012:t',
    );
    expect(d.actions).toEqual(['sns:Publish']);
  });
});

describe('partitions and accounts', () => {
  it.each(['aws-us-gov', 'aws-cn'])('reads %s ARNs like aws ones, role names included', (partition) => {
    const d = one(
      `User: arn:${partition}:iam::123456789012:user/bob is not authorized to perform: iam:PassRole on resource: role Deployer with an explicit deny`,
    );
    expect(d.principal).toBe(`arn:${partition}:iam::123456789012:user/bob`);
    expect(d.account).toBe('123456789012');
    expect(d.resource).toBe(`arn:${partition}:iam::123456789012:role/Deployer`);
  });

  it("takes the text's account over the hint's", () => {
    const d = one(
      `Error: reading IAM Role (arn:aws-us-gov:iam::210987654321:role/app): operation error IAM: GetRole, https response error StatusCode: 403, ${RID}, api error AccessDenied: Access Denied`,
      { cloud: 'aws', account: '123456789012' },
    );
    expect(d.account).toBe('210987654321');
    expect(d.actions).toEqual(['iam:GetRole']);
  });
});

describe('unblock explain', () => {
  it('says that a derived action is a guess from the operation', () => {
    const text = `operation error S3: ListObjectsV2, https response error StatusCode: 403, ${RID}, api error AccessDenied: Access Denied`;
    const out = formatExplanation(explain(text), { color: false });
    expect(out).toMatch(/ask for s3:ListBucket/);
    expect(out).toMatch(/names no permission: s3:ListBucket is derived from the ListObjectsV2 operation/);
    const json = explain(text);
    expect(json.denials[0]).toMatchObject({ derivedFrom: 'operation', confidence: 'low' });
  });

  it('says nothing of the kind when the message names the action', () => {
    const out = formatExplanation(
      explain(
        'User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::b" because no identity-based policy allows the s3:ListBucket action',
      ),
      { color: false },
    );
    expect(out).not.toMatch(/derived from/);
  });
});

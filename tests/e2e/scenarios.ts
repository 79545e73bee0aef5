/**
 * What each simulated console page should make the banner say. Expectations are regexes over the
 * card's accessible text (see harness `readCard`), loose about wording and layout but strict about
 * the facts: cloud, action(s), resource / account, and the deny kind.
 */
import { AWS, AZURE, GCP } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';

export interface CardExpectation {
  /** Every regex must match the card's text. */
  text: RegExp[];
  /** False: the card must explain why a grant will not help and offer no "Request access". */
  requestable: boolean;
}

export interface Scenario {
  id: string;
  cloud: 'aws' | 'azure' | 'gcp';
  title: string;
  url: string;
  /** CSS selector of the page's own control that triggers the failing call (the denial is late). */
  trigger?: string;
  cards: CardExpectation[];
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const AWS_ACCOUNT = new RegExp(`${AWS.account}|${esc(AWS.accountDisplay)}`);
const AWS_CLOUD = /\bAWS\b|Amazon Web Services/;
const AZURE_CLOUD = /\bAzure\b/;
const GCP_CLOUD = /Google Cloud|\bGCP\b/;
const NOT_GRANTABLE =
  /grant (will not|won.t|cannot|can.t) help|will not help|won.t help|cannot be (fixed|granted)/i;

export const SCENARIOS: Scenario[] = [
  {
    id: 'aws-lambda',
    cloud: 'aws',
    title: 'AWS Lambda: IAM sentence, implicit deny (multi-session host)',
    url: SIM_URLS.lambdaFunctions,
    cards: [
      {
        text: [
          AWS_CLOUD,
          /lambda:ListFunctions/,
          AWS_ACCOUNT,
          /no (identity-based )?policy allows|missing permission/i,
        ],
        requestable: true,
      },
    ],
  },
  {
    id: 'aws-ec2-encoded',
    cloud: 'aws',
    title: 'AWS EC2: Stop instance fails late with an encoded authorization message',
    url: SIM_URLS.ec2Instances,
    trigger: '#stop-instance',
    cards: [
      { text: [AWS_CLOUD, AWS_ACCOUNT, /encoded|decod|not named|permission to request/i], requestable: true },
    ],
  },
  {
    id: 'aws-s3-two',
    cloud: 'aws',
    title: 'AWS S3: two denials on one page',
    url: SIM_URLS.s3Bucket,
    cards: [
      { text: [AWS_CLOUD, /s3:ListBucket/, AWS_ACCOUNT], requestable: true },
      {
        text: [AWS_CLOUD, /s3:GetBucketTagging/, new RegExp(esc(AWS.bucket)), AWS_ACCOUNT],
        requestable: true,
      },
    ],
  },
  {
    id: 'aws-s3-policy-bare',
    cloud: 'aws',
    title: 'AWS S3 Permissions tab: the bucket-policy panel says only "Access Denied" (no action named)',
    url: SIM_URLS.s3BucketPolicy,
    cards: [
      {
        text: [AWS_CLOUD, AWS_ACCOUNT, /does not name the permission/, /Permission to request/],
        requestable: true,
      },
    ],
  },
  {
    id: 'aws-scp',
    cloud: 'aws',
    title: 'AWS EC2 in a region locked by an SCP: explicit deny, not requestable',
    url: SIM_URLS.ec2RegionLockedScp,
    cards: [
      {
        text: [
          AWS_CLOUD,
          /ec2:DescribeInstances/,
          /service control policy|organi[sz]ation|guardrail|\bSCP\b/i,
          NOT_GRANTABLE,
        ],
        requestable: false,
      },
    ],
  },
  {
    id: 'azure-vm-start',
    cloud: 'azure',
    title: 'Azure VM blade: Start fails with AuthorizationFailed in a notification',
    url: SIM_URLS.azureVm,
    trigger: '#vm-start',
    cards: [
      {
        text: [
          AZURE_CLOUD,
          /Microsoft\.Compute\/virtualMachines\/start\/action/i,
          new RegExp(AZURE.subscription),
          /virtualMachines\/vm1/i,
          /role assignment|RBAC|role/i,
        ],
        requestable: true,
      },
    ],
  },
  {
    id: 'azure-policy',
    cloud: 'azure',
    title: 'Azure create storage account: RequestDisallowedByPolicy, not requestable',
    url: SIM_URLS.azureStoragePolicy,
    cards: [{ text: [AZURE_CLOUD, /Azure Policy|policy/i, NOT_GRANTABLE], requestable: false }],
  },
  {
    id: 'gcp-instances',
    cloud: 'gcp',
    title: 'GCP Compute Engine: "You need additional access" panel with two missing permissions',
    url: SIM_URLS.gcpInstances,
    cards: [
      {
        text: [
          GCP_CLOUD,
          /compute\.instances\.list/,
          /compute\.instances\.get/,
          new RegExp(GCP.project),
          /IAM|role/i,
        ],
        requestable: true,
      },
    ],
  },
  {
    id: 'gcp-bigquery',
    cloud: 'gcp',
    title: 'GCP BigQuery: query fails with bigquery.jobs.create',
    url: SIM_URLS.gcpBigQuery,
    trigger: '#run-query',
    cards: [{ text: [GCP_CLOUD, /bigquery\.jobs\.create/, new RegExp(GCP.project)], requestable: true }],
  },
];

export const scenario = (id: string): Scenario => {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};

/** Pages that must NOT get a banner: consoles without a denial (lots of permission text) and non-console hosts. */
export const CLEAN_PAGES: Array<{ id: string; title: string; url: string; console: boolean }> = [
  {
    id: 'aws-iam-editor',
    title: 'AWS IAM policy editor + help drawer quoting an example error',
    url: SIM_URLS.iamPolicyEditor,
    console: true,
  },
  { id: 'aws-home', title: 'AWS console home', url: SIM_URLS.awsHome, console: true },
  {
    id: 'azure-iam',
    title: 'Azure Access control (IAM) roles + troubleshooting help',
    url: SIM_URLS.azureIam,
    console: true,
  },
  {
    id: 'azure-policy-definition',
    title: 'Azure Policy definition page explaining the deny effect and RequestDisallowedByPolicy in prose',
    url: SIM_URLS.azurePolicyDefinition,
    console: true,
  },
  {
    id: 'gcp-roles',
    title: 'GCP IAM roles list + permission-error help',
    url: SIM_URLS.gcpRoles,
    console: true,
  },
  {
    id: 'example-denial',
    title: 'example.com quoting a real-looking AWS denial (not a console host)',
    url: SIM_URLS.exampleDenial,
    console: false,
  },
];

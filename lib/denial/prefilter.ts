/**
 * A cheap keyword test run by the always-injected content script before any parsing. It must
 * accept every text that `parseDenials` would find a denial in (a property test checks this, and
 * `parseDenials` itself returns nothing when it fails), and stay a single linear-time regex: no
 * nested quantifiers with overlapping alternatives, no backtracking hot spots.
 *
 * Multi-word keywords allow any gap the parser accepts: whitespace (hard wraps), Terraform's `│`
 * gutter, literal `\n` / `\\n` escapes of text embedded in JSON strings, Markdown stars and
 * quotes, PowerShell's `|` gutter, colour codes, and the line prefix a log puts after a wrap
 * (timestamp, klog header, `[error]`: from the newline up to a `]`, `:`, `Z` or digit). Those
 * end characters are never gap characters themselves, so a prefix can be read only one way and
 * the gap stays linear (with `>` or `|` among them, `\n>\n>…` could be split 2^n ways).
 */
const GAP = String.raw`(?:[\s\u2502*>|]|\\+[nrt]|\u001b?\[[\d;]{1,16}m|\n[^\n]{0,120}?[\]:Z\d])+`;

const KEYWORDS = [
  `not${GAP}authori[sz]ed`, // AWS sentence, EC2, Key Vault RBAC, storage mismatch, cross-tenant
  `access(?:${GAP})?denied`, // bare "Access Denied", AccessDenied codes, BigQuery
  'unauthorizedoperation',
  `encoded${GAP}authorization`, // EC2 blob without the sentence
  `access${GAP}to${GAP}the${GAP}resource`, // SQS "Access to the resource … is denied"
  `polic(?:y|ies)${GAP}that${GAP}allow`, // EC2 editors' bare API hint
  `authorization(?:${GAP})?failed`, // AuthorizationFailed, Linked…, DenyAssignment…
  'authorizationpermissionmismatch',
  'authorization_requestdenied',
  'forbiddenbyrbac',
  `disallowed(?:${GAP})?by(?:${GAP})?policy`,
  `deny${GAP}assignment`,
  `does${GAP}not${GAP}have`,
  // S3's bodiless 403 on HEAD: AWS CLI / boto3, Go SDK v2, Java SDK v1, .NET SDK
  `\\(403\\)${GAP}when${GAP}calling|api${GAP}error${GAP}forbidden|error${GAP}code:?${GAP}(?:403${GAP})?forbidden`,
  `lacks${GAP}iam`,
  'permission', // GCP wordings, S3 banners, portal lists, troubleshooter URLs
  `additional${GAP}access`,
  'insufficient',
  `prohibited${GAP}by${GAP}organization`,
  'vpcservicecontrols', // VPC Service Controls identifier without the sentence
  `forbidden${GAP}from${GAP}accessing`, // gcloud builds: "… forbidden from accessing the bucket"
  `cannot${GAP}act${GAP}as`, // Dataflow: "Current user cannot act as service account …"
  'security_policy_violated',
  'user_project_denied',
  `denied${GAP}by${GAP}cloud${GAP}iam`,
  'constraints/',
  // Azure portal panels, Key Vault's newer RBAC wording, Microsoft Graph's bare Forbidden
  `do(?:${GAP}not|n.t)${GAP}have${GAP}access`,
  `unauthori[sz]ed${GAP}to${GAP}view`,
  `not${GAP}allowed${GAP}by${GAP}rbac`,
  `not${GAP}enabled${GAP}in${GAP}this${GAP}key${GAP}vault`,
  `no${GAP}access`,
  'forbidden',
];

const DENIAL_KEYWORDS = new RegExp(KEYWORDS.join('|'), 'i');

export function mayContainDenial(text: string): boolean {
  return DENIAL_KEYWORDS.test(text);
}

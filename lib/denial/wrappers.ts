/**
 * Wrapper signals (docs/denial-formats.md §2.2, §3.1, §4.1): which tool printed the message (source),
 * which API operation the wrapper names (operation), and whether a bare "Access Denied" is framed
 * as an AWS error at all. Each is a global scan indexed once per document (see context.ts).
 */
import type { DenialSource } from '../contract/denial';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';

/**
 * In priority order: the outermost wrapper wins (Terraform prints SDK errors, CloudFormation
 * prints Java SDK suffixes). A tool merely named in surrounding prose is the weakest signal.
 */
const SOURCES: [DenialSource, RegExp][] = [
  [
    'cloudformation',
    /Resource\s+handler\s+returned\s+message|HandlerErrorCode|\b(?:CREATE|UPDATE|DELETE)_FAILED\b|UPDATE_ROLLBACK|\bAWS::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}/g,
  ],
  [
    'terraform',
    /\bwith\s+(?:aws|azurerm|azuread|azapi|google|google-beta)_[a-z0-9_]{1,80}\.|\bon\s+[^\s]{1,200}\.tf\s+line\s+\d|(?:^|\n)[\s*]*(?:aws|azurerm|azuread|google)_[a-z0-9_]{1,80}\.[A-Za-z0-9_-]{1,80}:|registry\.terraform\.io|(?:^|\n)\s*Error:\s+(?:Error\s+)?(?:creat|read|updat|delet|wait|putt|list|attach|modify|describ|gett|sett|import|refresh|retriev|check|find|launch|start|stopp|tagg|associat|apply|configur|enabl|disabl|load|request|runn|fetch|upload|build)ing\s|Error:\s+googleapi:|Error\s+when\s+reading\s+or\s+editing\s/g,
  ],
  // boto3 prints the CLI's wording: its own frame makes it an SDK error.
  ['sdk', /botocore\.exceptions|boto3/g],
  [
    'cli',
    /An\s+error\s+occurred\s+\([A-Za-z0-9.]{1,80}\)\s+when\s+calling|cli\.azure\.cli|azclierror|ERROR:\s*[({]|(?:^|\n)\s*Code:\s*[A-Za-z]{3,80}\s*\n\s*Message:|(?:^|\n)\s*\((?:AuthorizationFailed|LinkedAuthorizationFailed|RequestDisallowedByPolicy|DenyAssignmentAuthorizationFailed|AuthorizationPermissionMismatch|Forbidden)\)\s/g,
  ],
  [
    'sdk',
    /operation\s+error\s+[A-Za-z0-9 ._-]{1,40}:\s*[A-Za-z0-9]{1,64},\s*https\s+response\s+error|\(Service:\s*[^;,)\n]{1,60}[;,]\s*Status\s+Code:\s*\d{3}|SDK\s+Attempt\s+Count|status\s+code:\s*\d{3},\s*request\s+id:|rpc\s+error:\s*code\s*=|google\.api_core\.exceptions|\b\d{1,2}\s+PERMISSION_DENIED:|googleapi:\s*Error\s+\d{3}|autorest\/azure|unexpected\s+status\s+\d{3}|com\.amazonaws|software\.amazon\.awssdk|AmazonServiceException|S3Exception/g,
  ],
  ['api', /"error"\s*:\s*\{|<Error>\s*<Code>|HTTP\/\d(?:\.\d)?\s+403|"status"\s*:\s*"PERMISSION_DENIED"/g],
  ['cloudformation', /CloudFormation/g],
  ['terraform', /[Tt]erraform/g],
];

export function detectSource(doc: Doc, start: number, end: number): DenialSource | null {
  const a = Math.max(0, start - 3000);
  const b = end + 1500;
  for (const [i, [kind, re]] of SOURCES.entries()) {
    if (firstIn(doc.hits(`src-${i}`, re), a, b)) return kind;
  }
  return null;
}

const OPERATION_RE =
  /when\s+calling\s+the\s+([A-Za-z0-9]{1,64})\s+operation|operation\s+error\s+[A-Za-z0-9 ._-]{1,40}:\s*([A-Za-z0-9]{1,64})/g;

/** The API operation the nearest preceding AWS wrapper names (`when calling the X operation`). */
export function detectOperation(doc: Doc, start: number, end: number): string | null {
  const [bs] = doc.block(start);
  const h = lastIn(doc.hits('aws-operation', OPERATION_RE), Math.max(bs, start - 2500), end);
  if (!h) return null;
  return h.groups[1] ?? h.groups[2] ?? null;
}

const AWS_FRAME_RE =
  /An\s+error\s+occurred\s+\(|operation\s+error\s|api\s+error\s|<Error>|<Code>\s*AccessDenied|\(Service:\s*[A-Za-z0-9 ]{1,40}[;,]|botocore|UnauthorizedOperation|S3Exception|AccessDeniedException|Encoded\s+authorization|\barn:aws|Amazon\s?S3|\bAWS\b|HandlerErrorCode|\bs3:\/\/|amazonaws\.com|aws\.amazon\.com|aws-sdk|\$metadata|\bS3\s+error|status\s+code:\s*403,\s*request\s+id/g;

/** Whether a bare "Access Denied" / EC2 sentence sits inside an AWS error frame. */
export function hasAwsFrame(doc: Doc, start: number, end: number): boolean {
  const [bs, be] = doc.block(start);
  return (
    firstIn(doc.hits('aws-frame', AWS_FRAME_RE), Math.max(bs, start - 1500), Math.min(be, end + 1500)) !==
    undefined
  );
}

/**
 * AWS wordings without the IAM sentence that still say what was refused
 * (docs/denial-formats.md §2.5, §2.7): console panels listing the operations or permissions that
 * are missing, with the service in display case (`CloudWatch:DescribeAlarms`); texts naming an
 * action or a bare API operation someone lacks permission to call (`User doesn't have permission to
 * call ssm:GetParameters`, `You don't have permission to GetObject`); and Auto Scaling's
 * `You are not authorized to use launch template: <id>`. No reason clause: deny kind unknown.
 *
 * Every token is checked against the AWS action grammar and the IAM prefixes (./aws-operation.ts),
 * so an ARN's region (`wafv2:us-east-1`) or an address (`mailto:alice`) is never an action.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { UNKNOWN } from './classify';
import type { Doc } from './context';
import { firstIn } from './context';
import { actionForOperation, normaliseLooseAction, prefixOfService } from './aws-operation';
import { isMasked, trimToken } from './normalise';

/** `service:Action` as a list item: not part of an ARN, an address or a URL. */
const LIST_TOKEN_RE =
  /(?<![A-Za-z0-9:/@.-])([A-Za-z][A-Za-z0-9-]{0,63}):([A-Za-z][A-Za-z0-9]{0,127})(?![A-Za-z0-9_*:/@-]|\.[A-Za-z0-9])/y;
/** What may stand between list items: commas, `and`, bullets, whitespace. */
const LIST_GAP_RE = /(?:[\s,;•*-]|\band\b|\bor\b){0,12}/y;
const MAX_ITEMS = 40;

/** Reads `svc:Action, svc:Action and svc:Action` from `i`; returns the actions and where the list ends. */
function readList(s: string, i: number): { actions: string[]; end: number } {
  const actions: string[] = [];
  let end = i;
  let j = i;
  for (let n = 0; n < MAX_ITEMS; n++) {
    LIST_GAP_RE.lastIndex = j;
    LIST_GAP_RE.exec(s);
    LIST_TOKEN_RE.lastIndex = LIST_GAP_RE.lastIndex;
    const m = LIST_TOKEN_RE.exec(s);
    if (!m?.[1] || !m[2]) break;
    const action = normaliseLooseAction(m[1], m[2]);
    if (!action) break;
    if (!actions.includes(action)) actions.push(action);
    end = j = LIST_TOKEN_RE.lastIndex;
  }
  return { actions, end };
}

/**
 * Console panels: `You don't have permissions to perform the following operations: CloudWatch:DescribeAlarms.`,
 * `… requires the following permissions: ec2:DescribeVpcs, ec2:DescribeSubnets`.
 */
export function consoleLists(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'aws-console-list',
    /(?:(?:don't|do\s+not|does\s+not|doesn't)\s+have\s+(?:the\s+)?permissions?\s+to\s+perform\s+the\s+following\s+(?:operations?|actions?)|(?:missing|need|needs|requires?|required)\s+(?:the\s+)?following\s+(?:IAM\s+)?(?:permissions?|actions?|operations?))\s*:?/gi,
  )) {
    const list = readList(s, h.end);
    if (list.actions.length === 0) continue;
    out.push(
      candidate({
        start: h.pos,
        end: list.end,
        cloud: 'aws',
        actions: list.actions,
        ...UNKNOWN,
        confidence: 'medium',
        source: 'console',
        family: 'aws-console-list',
      }),
    );
  }
}

/** Words that put a console sentence in S3 (the S3 console names the operation, not the action). */
const S3_CONTEXT_RE = /\b(?:bucket|s3:\/\/|arn:aws[a-z-]*:s3:::|Amazon\s+S3|S3)\b/g;

/**
 * A console sentence naming a bare API operation: `You don't have permission to GetObject`,
 * `… permissions to ListObjectsV2 on bucket …`. The action is derived from the operation (§2.6).
 */
export function consoleOperations(doc: Doc, out: Candidate[]): void {
  const s3 = doc.hits('aws-s3-context', S3_CONTEXT_RE);
  for (const h of doc.hits(
    'aws-console-op',
    /(?:don't|do\s+not|does\s+not|doesn't)\s+have\s+(?:the\s+)?permissions?\s+to\s+(?:perform\s+|call\s+|use\s+)?(?:the\s+)?(?:([A-Za-z][A-Za-z0-9-]{0,63}):)?([A-Z][a-z]{1,20}(?:[A-Z][a-z0-9]{0,30}|V\d){1,8})(?![A-Za-z0-9:_-])/g,
  )) {
    const op = h.groups[2] as string;
    if (h.groups[1]) {
      // CloudFormation resolving parameters: `AccessDenied. User doesn't have permission to call ssm:GetParameters`
      const named = normaliseLooseAction(h.groups[1], op);
      if (named) {
        out.push(
          candidate({
            start: h.pos,
            end: h.end,
            cloud: 'aws',
            actions: [named],
            ...UNKNOWN,
            confidence: 'medium',
            family: 'aws-console-op',
          }),
        );
      }
      continue;
    }
    const [bs, be] = doc.block(h.pos);
    const inS3 = firstIn(s3, Math.max(bs, h.pos - 400), Math.min(be, h.end + 400)) !== undefined;
    const prefix = inS3 ? prefixOfService('s3') : null;
    const action = prefix ? actionForOperation(prefix, op) : null;
    if (!action) continue;
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'aws',
        actions: [action],
        ...UNKNOWN,
        operation: op,
        confidence: 'low',
        derivedFrom: 'operation',
        family: 'aws-console-op',
      }),
    );
  }
}

/**
 * Auto Scaling: `You are not authorized to use launch template: lt-0abc…` (or the template's name).
 * AWS documents that creating or updating a group with a launch template checks `ec2:RunInstances`
 * for the caller (EC2 Auto Scaling User Guide, launch template permissions); the template is the
 * resource as written.
 */
export function launchTemplates(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'aws-launch-template',
    /not\s+authori[sz]ed\s+to\s+use\s+(?:the\s+)?launch\s+template\s*:?\s*/gi,
  )) {
    const tok = /[A-Za-z0-9][A-Za-z0-9()./_-]{0,254}/y;
    tok.lastIndex = h.end;
    const m = tok.exec(s);
    const raw = m ? trimToken(m[0]) : '';
    const resource = raw && !isMasked(raw) ? raw : null;
    // CloudFormation's older events put the API in front: `API: autoscaling:CreateAutoScalingGroup You are …`
    const api = /API:\s*[a-z0-9-]{1,64}:([A-Za-z0-9]{1,128})\s+(?:You\s+are\s+)?$/.exec(
      s.slice(Math.max(0, h.pos - 200), h.pos),
    );
    out.push(
      candidate({
        start: h.pos,
        end: m ? tok.lastIndex : h.end,
        cloud: 'aws',
        actions: ['ec2:RunInstances'],
        resource,
        ...UNKNOWN,
        operation: api?.[1] ?? null,
        confidence: 'medium',
        family: 'aws-launch-template',
      }),
    );
  }
}

/**
 * AWS phrase families (docs/denial-formats.md §2): the IAM sentence, modern and older forms
 * (./aws-sentence.ts); EC2 `UnauthorizedOperation` with its encoded blob, the bare S3 "Access
 * Denied", S3 console banners, CloudFormation's legacy `API: svc:Api Access Denied` event and the
 * EC2 editors' bare API hint, S3's bare 403 on HEAD (./aws-bare.ts); console lists of missing
 * operations, console texts naming a bare operation, Auto Scaling's launch-template refusal
 * (./aws-console.ts); the action an operation-naming wrapper implies when
 * the message names none (./aws-derive.ts).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { accessDenied, ec2, emptyMessages, headForbidden, s3Banners, wrapperCodes } from './aws-bare';
import { consoleLists, consoleOperations, launchTemplates } from './aws-console';
import { accountsFromMessages, deriveFromOperations } from './aws-derive';
import { iamSentences } from './aws-sentence';

export function parseAws(doc: Doc, out: Candidate[]): void {
  const from = out.length;
  iamSentences(doc, out);
  ec2(doc, out);
  accessDenied(doc, out);
  emptyMessages(doc, out);
  headForbidden(doc, out);
  s3Banners(doc, out);
  consoleLists(doc, out);
  consoleOperations(doc, out);
  launchTemplates(doc, out);
  wrapperCodes(doc, out, from);
  // Denials that name no action: the operation their wrapper names, and its action where one to one.
  deriveFromOperations(doc, out, from);
  accountsFromMessages(doc, out, from);
}

/**
 * AWS phrase families (docs/denial-formats.md §2): the IAM sentence, modern and older forms
 * (./aws-sentence.ts); EC2 `UnauthorizedOperation` with its encoded blob, the bare S3 "Access
 * Denied", S3 console banners, CloudFormation's legacy `API: svc:Api Access Denied` event and the
 * EC2 editors' bare API hint (./aws-bare.ts).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { accessDenied, ec2, emptyMessages, s3Banners } from './aws-bare';
import { iamSentences } from './aws-sentence';

export function parseAws(doc: Doc, out: Candidate[]): void {
  iamSentences(doc, out);
  ec2(doc, out);
  accessDenied(doc, out);
  emptyMessages(doc, out);
  s3Banners(doc, out);
}

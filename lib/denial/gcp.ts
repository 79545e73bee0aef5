/**
 * GCP phrase families (docs/denial-formats.md §4): wordings that name the permission
 * (`Permission … denied`, `Required … permission`, Cloud Storage / BigQuery / service-account
 * wordings, `lacks IAM permission`, structured `ErrorInfo` details: ./gcp-named.ts), the
 * console's "You need additional access" panel and troubleshooter URL (./gcp-console.ts),
 * wordings that name no permission (./gcp-unnamed.ts), and the non-IAM blocks (OAuth scopes, VPC
 * Service Controls, organisation policy) that no grant can fix (./gcp-non-iam.ts).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { consolePanel, troubleshooterUrl } from './gcp-console';
import { errorInfo, otherWordings, permissionDenied } from './gcp-named';
import { nonIam } from './gcp-non-iam';
import { unnamed } from './gcp-unnamed';

export function parseGcp(doc: Doc, out: Candidate[]): void {
  permissionDenied(doc, out);
  otherWordings(doc, out);
  errorInfo(doc, out);
  consolePanel(doc, out);
  troubleshooterUrl(doc, out);
  unnamed(doc, out);
  nonIam(doc, out);
}

const PROJECT_NEAR_RE =
  /"consumer"\s*:\s*"projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])"|googleapis\.com\/[^\s?"'<>]{0,200}?\/projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])(?=\/)/g;

/**
 * The project a GCP message names outside its sentence: ErrorInfo `metadata.consumer`, or the
 * request URL path (`…googleapis.com/…/projects/<id>/…`). A `?project=` query is not a reference.
 */
export function projectNear(doc: Doc, start: number, end: number): string | null {
  const [bs, be] = doc.block(start);
  const hits = doc.hits('gcp-project-near', PROJECT_NEAR_RE);
  const h = lastIn(hits, Math.max(bs, start - 2000), start) ?? firstIn(hits, start, Math.min(be, end + 2000));
  return h ? (h.groups[1] ?? h.groups[2] ?? null) : null;
}

/**
 * GCP phrase families (docs/denial-formats.md §4): wordings that name the permission
 * (`Permission … denied`, `Required … permission`, BigQuery / service-account / build-tool,
 * Spanner / Bigtable, GKE, Container Registry, App Engine and Firebase wordings, structured
 * `ErrorInfo` details: ./gcp-named.ts), Cloud Storage and registry wordings including the
 * anonymous caller (./gcp-storage.ts), the console's panel, tooltip, notices and troubleshooter URL
 * (./gcp-console.ts), gcloud and Service Usage wordings that name a resource but no permission
 * (./gcp-gcloud.ts), other wordings that name none (./gcp-unnamed.ts), and the non-IAM blocks
 * (OAuth scopes, VPC Service Controls, organisation policy) that no grant can fix
 * (./gcp-non-iam.ts). Permissions keep the case the text gives (§1.5).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { email } from './gcp-common';
import { consoleNotices, consolePanel, troubleshooterUrl } from './gcp-console';
import { gcloudWordings } from './gcp-gcloud';
import { errorInfo, otherWordings, permissionDenied } from './gcp-named';
import { nonIam } from './gcp-non-iam';
import { storageWordings } from './gcp-storage';
import { unnamed } from './gcp-unnamed';

export function parseGcp(doc: Doc, out: Candidate[]): void {
  const from = out.length;
  permissionDenied(doc, out);
  otherWordings(doc, out);
  storageWordings(doc, out);
  errorInfo(doc, out);
  consolePanel(doc, out);
  consoleNotices(doc, out);
  troubleshooterUrl(doc, out);
  gcloudWordings(doc, out);
  unnamed(doc, out);
  nonIam(doc, out);
  for (let i = from; i < out.length; i++) {
    const c = out[i] as Candidate;
    c.principal ??= authenticatedAs(doc, c);
  }
}

/**
 * gcloud ends a refusal with the identity it used: "This command is authenticated as <email>
 * using the credentials in …" (docs/denial-formats.md §4.1). It names the principal of the
 * message it follows on the same line or the next.
 */
function authenticatedAs(doc: Doc, c: Candidate): string | null {
  const [, be] = doc.block(c.start);
  const hits = doc.hits('gcp-authenticated-as', /This\s+command\s+is\s+authenticated\s+as\s+([^\s]{1,320})/g);
  const h = firstIn(hits, c.end, Math.min(be, c.end + 400));
  return h ? email(h.value) : null;
}

const PROJECT_NEAR_RE =
  /"consumer"\s*:\s*"projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])"|googleapis\.com\/[^\s?"'<>]{0,200}?\/projects\/(?!projects\/)([a-z][a-z0-9-]{4,28}[a-z0-9])(?=\/)/g;

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

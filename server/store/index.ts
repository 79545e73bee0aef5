/**
 * The broker's store: open it with `openStore` (PGlite in `UNBLOCK_DATA_DIR`, or PostgreSQL when
 * `DATABASE_URL` is set), then `migrate` before serving. Everything else talks to `Db`/`Tx`.
 */
export { json, openPglite, openPostgres, openStore, StoreOpenError } from './db';
export type { Db, Params, QueryResult, Row, Tx } from './db';
export { migrate, migrationStatus, MigrationError } from './migrate';
export { appendAudit, appendAuditTx, canonicalJson, verifyAudit } from './audit';
export type { AuditEntry, AuditProblem, AuditRow, AuditVerification } from './audit';
export {
  claimGrantWork,
  releaseGrantLease,
  releaseLeasesOf,
  releaseStaleLeases,
  DEFAULT_LEASE_MS,
} from './sweeper';
export {
  CorruptRecordError,
  MAX_LIST_LIMIT,
  getGrant,
  getRequest,
  grantAudience,
  insertGrant,
  insertRequest,
  listGrants,
  listRequests,
  recordTransition,
  requestAudience,
  saveGrant,
  saveRequest,
} from './repo';
export type {
  AlreadyGranted,
  ConcurrentUpdate,
  DuplicateId,
  EventAudience,
  EventPayload,
  InsertGrantResult,
  InsertRequestResult,
  ListGrantsOptions,
  ListRequestsOptions,
  NotFound,
  RecordedTransition,
  RequestCursor,
  SaveGrantResult,
  SaveRequestResult,
  Stored,
  TransitionRecord,
} from './repo';

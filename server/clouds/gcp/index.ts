/**
 * The GCP provisioner: grants by adding a conditional IAM binding to the project's policy
 * (`request.time < timestamp(expiresAt)`, policy version 3) through Cloud Resource Manager, and
 * revokes by removing exactly that binding. The condition is the backstop: if revocation never
 * runs, IAM still stops honouring the binding at expiry (the expired binding lingers until the
 * revoke or a later grant's write removes it). Wire shapes: cloud-mechanics.md §3; the fakes that
 * speak them: sim/clouds/gcp.
 *
 * Role: the smallest predefined role containing the requested permissions (server/clouds/gcp/roles.ts),
 * or with `targets[].gcp.customRoles` a one-permission custom role per permission.
 */
import type { Grant } from '../../domain';
import {
  ProvisionError,
  type ActivityEntry,
  type CloudIdentities,
  type GrantContext,
  type GrantPreview,
  type Landing,
  type ProviderRef,
  type Provisioner,
} from '../../provision/types';
import type { GcpCloudConfig, GcpTargetConfig } from './config';
import { backoff, createGoogleClient, loadPrivateKey, type GoogleClient } from './google';
import {
  conditionDescription,
  conditionTitle,
  expiryExpression,
  rfc3339,
  withGrantBindings,
  withoutGrantBindings,
  type IamBinding,
  type IamPolicy,
} from './policy';
import {
  chooseRoles,
  customRoleId,
  customRoleName,
  extraPermissions,
  isPermission,
  type IamRole,
} from './roles';

export const GCP_DEFAULT_ENDPOINTS = {
  token: 'https://oauth2.googleapis.com/token',
  resourceManager: 'https://cloudresourcemanager.googleapis.com',
  iam: 'https://iam.googleapis.com',
  logging: 'https://logging.googleapis.com',
  console: 'https://console.cloud.google.com',
} as const;

/**
 * How long the denied tab waits before reloading: Google documents IAM changes as "typically
 * 2 minutes, potentially 7 minutes or longer" (iam/docs/access-change-propagation,
 * cloud-mechanics.md §3.5). The typical value; the extension keeps retrying with backoff after.
 */
export const GCP_PROPAGATION_MS = 120_000;

/** The predefined catalogue changes a few times a month; a few hours' staleness costs nothing. */
const CATALOGUE_TTL_MS = 6 * 60 * 60_000;
/** Concurrent policy changes: redo the whole read-modify-write this many times (cloud-mechanics.md §3.3). */
const RMW_ATTEMPTS = 5;
const RMW_BACKOFF_MS = 250;
/** Logging allows 60 reads per minute per project: back off long enough to reach the next minute. */
const LOGGING_ATTEMPTS = 6;
const LOGGING_BACKOFF_MS = 2_000;
/** The approver sees this many of the role's other permissions; the rest are counted. */
const ALSO_GRANTS_CAP = 50;
/** Activity: at most this many entries (pages of 100), the most a review screen usefully shows. */
const ACTIVITY_PAGE_SIZE = 100;
const ACTIVITY_MAX_PAGES = 10;

export interface GcpProvisionerOptions {
  /** The broker's clock (JWT `iat`, token expiry). */
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where retries and other notable events are reported (the broker's log). */
  readonly log?: (line: string) => void;
}

/** What `grant` returns and revocation reads back (stored as `grants.provider_ref`). */
// A type alias, not an interface: only aliases are assignable to ProviderRef's index signature.
export type GcpProviderRef = {
  readonly kind: 'gcp-iam-binding';
  readonly project: string;
  readonly member: string;
  readonly roles: readonly string[];
  readonly conditionTitle: string;
  readonly expiresAt: string;
};

const trim = (url: string) => url.replace(/\/+$/, '');

export function createGcpProvisioner(
  cloud: GcpCloudConfig,
  targetConfig: (projectId: string) => GcpTargetConfig | undefined,
  options: GcpProvisionerOptions = {},
): Provisioner {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = options.log ?? (() => undefined);
  const endpoints = {
    token: cloud.endpoints.token ?? GCP_DEFAULT_ENDPOINTS.token,
    resourceManager: trim(cloud.endpoints.resourceManager ?? GCP_DEFAULT_ENDPOINTS.resourceManager),
    iam: trim(cloud.endpoints.iam ?? GCP_DEFAULT_ENDPOINTS.iam),
    logging: trim(cloud.endpoints.logging ?? GCP_DEFAULT_ENDPOINTS.logging),
    console: new URL(cloud.endpoints.console ?? GCP_DEFAULT_ENDPOINTS.console),
  };
  const clientEmail = cloud.serviceAccount.clientEmail;
  const google: GoogleClient = createGoogleClient({
    clientEmail,
    key: loadPrivateKey(cloud.serviceAccount.privateKey),
    tokenUrl: endpoints.token,
    now,
    fetch: options.fetch ?? fetch,
    sleep,
    log,
  });

  // ---- roles --------------------------------------------------------------------------------

  let catalogue: { roles: readonly IamRole[]; at: number } | null = null;
  let loadingCatalogue: Promise<readonly IamRole[]> | null = null;

  async function loadCatalogue(): Promise<readonly IamRole[]> {
    const roles: IamRole[] = [];
    let pageToken: string | undefined;
    // Guard against a server that never stops paging (the real catalogue is ~2,000 roles, 2–3 pages).
    for (let page = 0; page < 50; page += 1) {
      const query = new URLSearchParams({ view: 'FULL', pageSize: '1000' });
      if (pageToken) query.set('pageToken', pageToken);
      const body = await google.call<{ roles?: IamRole[]; nextPageToken?: string }>({
        method: 'GET',
        url: `${endpoints.iam}/v1/roles?${query.toString()}`,
        what: 'list the predefined IAM roles',
        permission: 'iam.roles.list',
      });
      roles.push(...(body.roles ?? []));
      pageToken = body.nextPageToken || undefined;
      if (!pageToken) break;
    }
    catalogue = { roles, at: now().getTime() };
    return roles;
  }

  async function predefinedRoles(): Promise<readonly IamRole[]> {
    if (catalogue && now().getTime() - catalogue.at < CATALOGUE_TTL_MS) return catalogue.roles;
    loadingCatalogue ??= loadCatalogue().finally(() => {
      loadingCatalogue = null;
    });
    return loadingCatalogue;
  }

  function checkPermissions(actions: readonly string[]): string[] {
    if (actions.length === 0)
      throw new ProvisionError('the grant names no GCP permission (actions is empty)', false);
    const bad = actions.filter((a) => !isPermission(a));
    if (bad.length > 0) {
      throw new ProvisionError(
        `not GCP permissions (expected service.resource.verb, e.g. compute.instances.start): ${bad.join(', ')}`,
        false,
        'INVALID_ARGUMENT',
      );
    }
    return [...new Set(actions)];
  }

  const customMode = (projectId: string) => (targetConfig(projectId) ?? { customRoles: false }).customRoles;

  /** Predefined roles for `permissions`, or a non-retryable error naming what no role contains. */
  async function choosePredefined(permissions: readonly string[]): Promise<readonly IamRole[]> {
    const choice = chooseRoles(await predefinedRoles(), permissions);
    if (choice.missing.length > 0) {
      throw new ProvisionError(
        `no grantable predefined role contains ${choice.missing.join(', ')}; ` +
          'set targets[].gcp.customRoles: true to grant exactly the permission',
        false,
      );
    }
    return choice.roles;
  }

  /** Custom roles known to exist (created now or found already there), by full name. */
  const customRolesReady = new Set<string>();

  async function ensureCustomRole(projectId: string, permission: string): Promise<string> {
    const name = customRoleName(projectId, permission);
    if (customRolesReady.has(name)) return name;
    try {
      await google.call({
        method: 'POST',
        url: `${endpoints.iam}/v1/projects/${encodeURIComponent(projectId)}/roles`,
        body: {
          roleId: customRoleId(permission),
          role: {
            title: `Unblock: ${permission}`.slice(0, 100),
            description: `Exactly ${permission}, bound for a limited time by Unblock grants.`,
            includedPermissions: [permission],
            stage: 'GA',
          },
        },
        what: `create the custom role ${name}`,
        permission: 'iam.roles.create',
      });
    } catch (e) {
      // Created earlier (by this broker or one before a restart): one stable role per permission.
      if (!(e instanceof ProvisionError && e.code === 'ALREADY_EXISTS')) throw e;
    }
    customRolesReady.add(name);
    return name;
  }

  // ---- the policy read-modify-write ---------------------------------------------------------

  /** Writes to one project's policy go one at a time: each would otherwise abort the other's etag. */
  const queues = new Map<string, Promise<unknown>>();
  function serialised<T>(projectId: string, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(projectId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(projectId, settled);
    void settled.then(() => {
      if (queues.get(projectId) === settled) queues.delete(projectId);
    });
    return run;
  }

  const projectUrl = (projectId: string, method: string) =>
    `${endpoints.resourceManager}/v1/projects/${encodeURIComponent(projectId)}:${method}`;

  function getPolicy(projectId: string): Promise<IamPolicy> {
    return google.call<IamPolicy>({
      method: 'POST',
      url: projectUrl(projectId, 'getIamPolicy'),
      // Always version 3: a lower version returns conditional bindings stripped and renamed, and
      // writing that back would destroy them (cloud-mechanics.md §3.3).
      body: { options: { requestedPolicyVersion: 3 } },
      what: `read the IAM policy of projects/${projectId}`,
      permission: 'resourcemanager.projects.getIamPolicy',
    });
  }

  /**
   * get → edit → set with the etag read, redone on `ABORTED` (someone else wrote in between).
   * `edit` returns null when the policy already says what it should (no write).
   */
  async function modifyPolicy(
    projectId: string,
    edit: (policy: IamPolicy) => IamPolicy | null,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const policy = await getPolicy(projectId);
      const next = edit(policy);
      if (next === null) return;
      try {
        await google.call({
          method: 'POST',
          url: projectUrl(projectId, 'setIamPolicy'),
          body: { policy: { ...next, version: 3, etag: policy.etag }, updateMask: 'bindings,etag' },
          what: `change the IAM policy of projects/${projectId}`,
          permission: 'resourcemanager.projects.setIamPolicy',
        });
        return;
      } catch (e) {
        if (!(e instanceof ProvisionError && e.code === 'ABORTED')) throw e;
        if (attempt + 1 >= RMW_ATTEMPTS) {
          throw new ProvisionError(
            `the IAM policy of projects/${projectId} kept changing under the broker (${RMW_ATTEMPTS} tries); will retry`,
            true,
            'ABORTED',
          );
        }
        const delay = backoff(RMW_BACKOFF_MS, attempt);
        log(`gcp: projects/${projectId}: concurrent policy change, re-reading in ${delay} ms`);
        await sleep(delay);
      }
    }
  }

  function memberOf(grant: Grant, identities: CloudIdentities): string {
    const member = identities.gcp;
    if (!member) {
      throw new ProvisionError(
        `${grant.user} has no GCP identity in the broker's config (users[].identities.gcp, e.g. user:alice@example.com)`,
        false,
      );
    }
    return member;
  }

  const refOf = (ref: ProviderRef | null): Partial<GcpProviderRef> =>
    ref && ref.kind === 'gcp-iam-binding' ? ref : {};

  // ---- the Provisioner ----------------------------------------------------------------------

  return {
    name: 'gcp',

    async grant(grant: Grant, identities: CloudIdentities, context: GrantContext): Promise<ProviderRef> {
      const member = memberOf(grant, identities);
      const projectId = grant.target.account;
      const permissions = checkPermissions(grant.actions);
      const roles = customMode(projectId)
        ? await Promise.all(permissions.map((p) => ensureCustomRole(projectId, p)))
        : (await choosePredefined(permissions)).map((r) => r.name);
      const title = conditionTitle(grant.id);
      const condition = {
        title,
        description: conditionDescription(grant.requestId, context.justification),
        expression: expiryExpression(grant.expiresAt),
      };
      const wanted: IamBinding[] = roles.map((role) => ({ role, members: [member], condition }));
      await serialised(projectId, () => modifyPolicy(projectId, (p) => withGrantBindings(p, title, wanted)));
      const ref: GcpProviderRef = {
        kind: 'gcp-iam-binding',
        project: projectId,
        member,
        roles,
        conditionTitle: title,
        expiresAt: rfc3339(grant.expiresAt),
      };
      return ref;
    },

    async revoke(grant: Grant, ref: ProviderRef | null, identities: CloudIdentities): Promise<void> {
      const stored = refOf(ref);
      const projectId = stored.project ?? grant.target.account;
      const title = stored.conditionTitle ?? conditionTitle(grant.id);
      const member = stored.member ?? identities.gcp ?? null;
      await serialised(projectId, () =>
        modifyPolicy(projectId, (p) => withoutGrantBindings(p, title, member)),
      );
    },

    landing(grant: Grant, _ref, _identities, destination: string | null): Promise<Landing> {
      return Promise.resolve({
        kind: 'reload',
        url: landingUrl(endpoints.console, grant.target.account, destination),
        afterMs: cloud.propagationMs ?? GCP_PROPAGATION_MS,
        message: 'Waiting for Google Cloud to apply the grant',
      });
    },

    async preview(target, actions, resource): Promise<GrantPreview> {
      const projectId = target.account;
      const permissions = checkPermissions(actions);
      const scope = `projects/${projectId}`;
      const notes = [
        'Google applies IAM changes in about 2 minutes, sometimes 7 or more.',
        'The binding carries an IAM condition that ends it at expiry even if revocation fails.',
      ];
      if (resource) notes.push(`The role is bound on the whole project, not only on ${resource}.`);
      if (customMode(projectId)) {
        const names = permissions.map((p) => customRoleName(projectId, p));
        if (names.length > 1) notes.push(`Also binds ${names.slice(1).join(', ')}.`);
        return {
          summary: `Binds the one-permission custom role${names.length > 1 ? 's' : ''} ${names.join(', ')} on ${scope} until the grant ends.`,
          role: { id: names[0]!, name: `Unblock: ${permissions[0]!}`, scope },
          alsoGrants: [],
          notes,
        };
      }
      const roles = await choosePredefined(permissions);
      const extra = extraPermissions(roles, permissions);
      if (extra.length > ALSO_GRANTS_CAP)
        notes.push(`…and ${extra.length - ALSO_GRANTS_CAP} more permissions.`);
      if (roles.length > 1) {
        notes.push(
          `No single role contains every permission; also binds ${roles
            .slice(1)
            .map((r) => r.name)
            .join(', ')}.`,
        );
      }
      const first = roles[0]!;
      return {
        summary:
          `Binds ${roles.map((r) => `${r.name}${r.title ? ` (${r.title})` : ''}`).join(', ')} on ${scope} ` +
          `until the grant ends; it carries ${extra.length} permission${extra.length === 1 ? '' : 's'} beyond those requested.`,
        role: { id: first.name, name: first.title ?? first.name, scope },
        alsoGrants: extra.slice(0, ALSO_GRANTS_CAP),
        notes,
      };
    },

    decode(): Promise<null> {
      // GCP denials are plain text (permission and resource are in the message): nothing to decode.
      return Promise.resolve(null);
    },

    async activity(grant: Grant, ref: ProviderRef | null, identities: CloudIdentities) {
      const stored = refOf(ref);
      const member = stored.member ?? memberOf(grant, identities);
      const projectId = stored.project ?? grant.target.account;
      const email = member.slice(member.indexOf(':') + 1);
      const end = grant.endedAt ?? grant.expiresAt;
      const filter = [
        `protoPayload.authenticationInfo.principalEmail="${email.replace(/"/g, '\\"')}"`,
        `timestamp>="${rfc3339(grant.startsAt)}"`,
        `timestamp<="${rfc3339(end)}"`,
        'logName:"cloudaudit.googleapis.com"',
      ].join(' AND ');
      const entries: ActivityEntry[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < ACTIVITY_MAX_PAGES; page += 1) {
        const body = await google.call<{ entries?: LogEntry[]; nextPageToken?: string }>({
          method: 'POST',
          url: `${endpoints.logging}/v2/entries:list`,
          body: {
            resourceNames: [`projects/${projectId}`],
            filter,
            orderBy: 'timestamp asc',
            pageSize: ACTIVITY_PAGE_SIZE,
            ...(pageToken ? { pageToken } : {}),
          },
          what: `read the audit log of projects/${projectId}`,
          permission: 'logging.logEntries.list',
          attempts: LOGGING_ATTEMPTS,
          backoffMs: LOGGING_BACKOFF_MS,
        });
        entries.push(...(body.entries ?? []).map(toActivity));
        pageToken = body.nextPageToken || undefined;
        if (!pageToken) break;
      }
      return entries;
    },
  };
}

/**
 * The page to reload: the denied page itself when it is on the configured console host (https),
 * keeping its `authuser` (which signed-in Google account) and `project`; otherwise the console
 * home of the project. Anything else is refused: the broker must not send a tab to an arbitrary URL.
 */
export function landingUrl(consoleBase: URL, projectId: string, destination: string | null): string {
  if (destination) {
    try {
      const url = new URL(destination);
      if (url.protocol === 'https:' && url.host === consoleBase.host) {
        if (!url.searchParams.has('project')) url.searchParams.set('project', projectId);
        return url.toString();
      }
    } catch {
      // not a URL: fall through to the console home
    }
  }
  const home = new URL('/home/dashboard', consoleBase);
  home.searchParams.set('project', projectId);
  return home.toString();
}

/** The fields of a Cloud Audit Logs entry the activity view uses. */
interface LogEntry {
  readonly timestamp?: string;
  readonly logName?: string;
  readonly protoPayload?: {
    readonly methodName?: string;
    readonly resourceName?: string;
    readonly status?: { readonly code?: number; readonly message?: string };
  };
}

/** google.rpc.Code names: audit logs carry the number. */
const RPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

function toActivity(entry: LogEntry): ActivityEntry {
  const code = entry.protoPayload?.status?.code ?? 0;
  return {
    at: entry.timestamp ?? '',
    action: entry.protoPayload?.methodName ?? entry.logName ?? 'unknown',
    resource: entry.protoPayload?.resourceName ?? null,
    outcome: code === 0 ? 'success' : (RPC_CODES[code] ?? String(code)),
  };
}

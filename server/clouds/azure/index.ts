/**
 * The Azure provisioner: grants the smallest built-in role carrying the denied action(s), at the
 * narrowest scope the denial names, for exactly the grant's lifetime, through ARM's REST APIs
 * (shared/docs/cloud-mechanics.md §2):
 *
 * - `pim` targets: a PIM `AdminAssign` schedule request ending at `grant.expiresAt`; Azure ends it
 *   by itself, and an early revoke is an `AdminRemove` request.
 * - `assignment` targets (tenants without Entra ID P2): a plain role assignment, deleted at revoke
 *   (the broker's worker revokes at expiry; Azure has no expiry of its own here).
 *
 * Every name the broker gives Azure is a GUID derived from the grant id, so a retry after a crash
 * addresses the same request or assignment instead of creating a second one.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
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
import { armError, createArmClient, type ArmClient, type ArmResponse } from './arm';
import type { AzureCloudConfig, AzureTargetConfig } from './config';
import { alsoGrants, chooseRole, chooseScope, type RoleDefinition } from './roles';

export const PIM_API_VERSION = '2020-10-01';
export const RBAC_API_VERSION = '2022-04-01';
export const ACTIVITY_API_VERSION = '2015-04-01';

/**
 * How long the denied tab waits before reloading. PIM provisions within seconds, but ARM caches a
 * caller's assignments for up to 10 minutes and re-reads them on a new token (cloud-mechanics.md
 * §2.5): half a minute lets the usual case through on the first reload without a long wait.
 */
export const PROPAGATION_MS = 30_000;

/** Azure refuses to remove a PIM assignment within 5 minutes of its activation. */
export const REMOVAL_FLOOR_MS = 5 * 60_000;

/** Shown when the page is still denied after a reload or two (the cached-token case of §2.5). */
export const STILL_DENIED_ADVICE =
  'Still denied after 2 minutes? Azure keeps your old permissions with your sign-in token for up to 10 minutes: sign out of the Azure portal and back in to get a new token.';

/** Built-in roles change rarely (new ones appear monthly); a few hours' staleness is harmless. */
const DEFAULT_CATALOGUE_TTL_MS = 6 * 60 * 60_000;
const MAX_PAGES = 50;
/** Polls of a request Azure answered as pending, spaced 1, 2, 4, 8 s. */
const POLL_DELAYS_MS = [1000, 2000, 4000, 8000];
/** PIM's justification is free text; keep it short enough for any policy (limit unconf.). */
const JUSTIFICATION_MAX = 500;

export interface AzureProvisionerOptions {
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
  /** How long the role definition catalogue is reused (default 6 h). */
  readonly catalogueTtlMs?: number;
}

/** What `grant` returns and `revoke`/`landing` read back (kept in `grants.provider_ref`). */
export const AzureRef = z.object({
  kind: z.literal('azure'),
  mode: z.enum(['pim', 'assignment']),
  scope: z.string(),
  roleDefinitionId: z.string(),
  roleName: z.string(),
  principalId: z.string(),
  /** The PIM request's or role assignment's name (a GUID derived from the grant id). */
  name: z.string(),
  /**
   * False when Azure already had this role for this user at this scope from elsewhere (another
   * grant, an administrator): revoking must then leave it alone.
   */
  owned: z.boolean(),
  /** When the assignment became active (for the 5-minute removal floor); null if unknown. */
  activatedAt: z.string().nullable(),
  endsAt: z.string(),
});
export type AzureRef = z.infer<typeof AzureRef>;

const ENV_PREFIX = 'env:';

function resolveSecret(value: string, field: string): string {
  if (!value.startsWith(ENV_PREFIX)) return value;
  const name = value.slice(ENV_PREFIX.length);
  const resolved = process.env[name];
  if (!resolved) {
    throw new Error(`${field}: the environment variable ${name} is not set`);
  }
  return resolved;
}

/**
 * A GUID (RFC 4122 version 5 layout, SHA-1 of a fixed namespace and the parts) for names Azure
 * wants as GUIDs: the same grant always gives the same name.
 */
export function deterministicGuid(...parts: string[]): string {
  const hash = createHash('sha1').update('unblock/azure\u0000').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const props = (body: unknown): Record<string, unknown> =>
  isObject(body) && isObject(body.properties) ? body.properties : {};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function parseRole(value: unknown): RoleDefinition | null {
  if (!isObject(value) || typeof value.name !== 'string') return null;
  const p = props(value);
  const permissions = Array.isArray(p.permissions) ? p.permissions.filter(isObject) : [];
  return {
    name: value.name,
    roleName: str(p.roleName) ?? value.name,
    type: str(p.type) ?? '',
    permissions: permissions.map((x) => ({
      actions: strings(x.actions),
      notActions: strings(x.notActions),
      dataActions: strings(x.dataActions),
      notDataActions: strings(x.notDataActions),
    })),
  };
}

/** PIM request states that mean "in place", "still working" and "will not happen". */
const DONE = new Set(['Provisioned', 'Granted']);
const WORKING = new Set(['PendingProvisioning', 'Accepted', 'PendingScheduleCreation', 'PendingEvaluation']);

export function createAzureProvisioner(
  cloud: AzureCloudConfig,
  targetConfig: (subscriptionId: string) => AzureTargetConfig | undefined,
  options: AzureProvisionerOptions = {},
): Provisioner {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? (() => undefined);
  const ttl = options.catalogueTtlMs ?? DEFAULT_CATALOGUE_TTL_MS;
  const trim = (url: string) => url.replace(/\/+$/, '');
  const armBase = trim(cloud.endpoints.arm ?? 'https://management.azure.com');
  const portalBase = trim(cloud.endpoints.portal ?? 'https://portal.azure.com');
  const arm: ArmClient = createArmClient({
    tenantId: resolveSecret(cloud.tenantId, 'clouds.azure.tenantId'),
    clientId: resolveSecret(cloud.clientId, 'clouds.azure.clientId'),
    clientSecret: resolveSecret(cloud.clientSecret, 'clouds.azure.clientSecret'),
    login: trim(cloud.endpoints.login ?? 'https://login.microsoftonline.com'),
    arm: armBase,
    now,
    fetch: options.fetch ?? fetch,
    log,
  });

  // Built-in role GUIDs are the same in every tenant and subscription, so one catalogue serves all.
  let catalogue: { roles: RoleDefinition[]; fetchedAt: number } | null = null;
  let loading: Promise<RoleDefinition[]> | null = null;

  async function fetchCatalogue(subscriptionId: string): Promise<RoleDefinition[]> {
    const roles: RoleDefinition[] = [];
    let res = await arm.call('GET', {
      path: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions?$filter=${encodeURIComponent("type eq 'BuiltInRole'")}`,
      apiVersion: RBAC_API_VERSION,
    });
    for (let page = 1; ; page++) {
      if (res.status !== 200) throw armError(res, 'list the built-in role definitions', now());
      const body = isObject(res.body) ? res.body : {};
      for (const value of Array.isArray(body.value) ? body.value : []) {
        const role = parseRole(value);
        if (role) roles.push(role);
      }
      const next = str(body.nextLink);
      if (!next) break;
      if (page >= MAX_PAGES) {
        throw new ProvisionError(`the role definition catalogue has more than ${MAX_PAGES} pages`, false);
      }
      res = await arm.call('GET', { url: next });
    }
    log(`azure: fetched ${roles.length} built-in role definitions`);
    return roles;
  }

  async function roleCatalogue(subscriptionId: string): Promise<RoleDefinition[]> {
    if (catalogue && now().getTime() - catalogue.fetchedAt < ttl) return catalogue.roles;
    loading ??= fetchCatalogue(subscriptionId)
      .then((roles) => {
        catalogue = { roles, fetchedAt: now().getTime() };
        return roles;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  function target(subscriptionId: string): AzureTargetConfig {
    const config = targetConfig(subscriptionId);
    if (!config) {
      throw new ProvisionError(
        `subscription ${subscriptionId} has no Azure settings (targets[].azure in the broker's config)`,
        false,
      );
    }
    return config;
  }

  function principal(grant: Grant, identities: CloudIdentities): string {
    if (!identities.azure) {
      throw new ProvisionError(
        `${grant.user} has no Azure object id in the broker's config (users[].identities.azure)`,
        false,
      );
    }
    return identities.azure;
  }

  /** The role and scope a grant of `actions` on `resource` gets in `subscriptionId`. */
  async function plan(subscriptionId: string, actions: readonly string[], resource: string | null) {
    const roles = await roleCatalogue(subscriptionId);
    const role = chooseRole(roles, actions);
    if (!role) {
      throw new ProvisionError(
        `no built-in Azure role grants ${actions.join(', ')} (checked ${roles.length} roles; actions are matched case-insensitively with wildcards)`,
        false,
        'NoMatchingRole',
      );
    }
    return {
      role,
      scope: chooseScope(subscriptionId, resource),
      roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
    };
  }

  const requestPath = (scope: string, name: string) =>
    `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`;
  const assignmentPath = (scope: string, name: string) =>
    `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

  function justification(grant: Grant, context: GrantContext): string {
    const text = `Unblock request ${grant.requestId} (grant ${grant.id}): ${context.justification}`;
    return text.length <= JUSTIFICATION_MAX ? text : `${text.slice(0, JUSTIFICATION_MAX - 1)}…`;
  }

  /** Wait for a request Azure accepted but has not provisioned yet; throws unless it ends `Provisioned`. */
  async function settle(scope: string, name: string, first: ArmResponse, what: string): Promise<unknown> {
    let res = first;
    for (let attempt = 0; ; attempt++) {
      const status = str(props(res.body).status) ?? 'Provisioned';
      if (DONE.has(status)) return res.body;
      if (!WORKING.has(status)) {
        const approval = status === 'PendingApproval' || status === 'PendingApprovalProvisioning';
        throw new ProvisionError(
          approval
            ? `Azure PIM requires approval to ${what} (request ${name} is ${status}); turn off "Require approval to activate" for this role in the subscription's PIM settings or approve it in PIM`
            : `Azure PIM did not ${what}: request ${name} ended ${status}`,
          false,
          status,
        );
      }
      const delay = POLL_DELAYS_MS[attempt];
      if (delay === undefined) {
        throw new ProvisionError(`Azure PIM is still working on request ${name} (${status})`, true, status);
      }
      await sleep(delay);
      res = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
      if (res.status !== 200) throw armError(res, what, now());
    }
  }

  function scheduleInfo(start: Date, end: Date) {
    return {
      startDateTime: start.toISOString(),
      // An absolute end rather than a duration: a retry minutes later must not move it.
      expiration: { type: 'AfterDateTime', endDateTime: end.toISOString(), duration: null },
    };
  }

  async function grantPim(grant: Grant, principalId: string, context: GrantContext): Promise<AzureRef> {
    const { role, scope, roleDefinitionId } = await plan(grant.target.account, grant.actions, grant.resource);
    const name = deterministicGuid('pim-assign', grant.id);
    const start = new Date(Math.max(now().getTime(), grant.startsAt.getTime()));
    const what = `give ${grant.user} the role ${role.roleName} at ${scope}`;
    const res = await arm.call(
      'PUT',
      { path: requestPath(scope, name), apiVersion: PIM_API_VERSION },
      {
        properties: {
          principalId,
          roleDefinitionId,
          requestType: 'AdminAssign',
          justification: justification(grant, context),
          ...(context.ticket
            ? { ticketInfo: { ticketNumber: context.ticket, ticketSystem: 'Unblock' } }
            : {}),
          scheduleInfo: scheduleInfo(start, grant.expiresAt),
        },
      },
    );
    const base = {
      kind: 'azure',
      mode: 'pim',
      scope,
      roleDefinitionId,
      roleName: role.roleName,
      principalId,
      name,
    } as const;
    if (res.status === 200 || res.status === 201) {
      const body = await settle(scope, name, res, what);
      return {
        ...base,
        owned: true,
        activatedAt: activation(body, start),
        endsAt: grant.expiresAt.toISOString(),
      };
    }
    if (res.code !== 'RoleAssignmentExists') throw armError(res, what, now());

    // Already active: either this grant's own request landed before a crash (or this is an
    // extension pushing a new expiry), or the user holds the role from elsewhere. Read ours back.
    const own = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
    if (own.status === 404) {
      log(
        `azure: ${grant.user} already holds ${role.roleName} at ${scope} from outside grant ${grant.id}; leaving it alone`,
      );
      return { ...base, owned: false, activatedAt: null, endsAt: grant.expiresAt.toISOString() };
    }
    if (own.status !== 200) throw armError(own, `read back PIM request ${name}`, now());
    const info = props(own.body);
    const schedule = isObject(info.scheduleInfo) ? info.scheduleInfo : {};
    const activatedAt = activation(own.body, start);
    // The end in force is the active instance's: an earlier extension may have moved it.
    const end = await activeEnd(scope, principalId, roleDefinitionId);
    if (end === grant.expiresAt.getTime()) {
      log(`azure: PIM request ${name} for grant ${grant.id} was already in place`);
      return { ...base, owned: true, activatedAt, endsAt: grant.expiresAt.toISOString() };
    }
    // The grant was extended (or shortened): move the active assignment's end.
    const updateName = deterministicGuid('pim-update', grant.id, grant.expiresAt.toISOString());
    const updated = await arm.call(
      'PUT',
      { path: requestPath(scope, updateName), apiVersion: PIM_API_VERSION },
      {
        properties: {
          principalId,
          roleDefinitionId,
          requestType: 'AdminUpdate',
          justification: justification(grant, context),
          ...(context.ticket
            ? { ticketInfo: { ticketNumber: context.ticket, ticketSystem: 'Unblock' } }
            : {}),
          scheduleInfo: scheduleInfo(new Date(str(schedule.startDateTime) ?? start), grant.expiresAt),
        },
      },
    );
    const whatUpdate = `move the end of ${grant.user}'s ${role.roleName} at ${scope} to ${grant.expiresAt.toISOString()}`;
    if (updated.status !== 200 && updated.status !== 201) throw armError(updated, whatUpdate, now());
    await settle(scope, updateName, updated, whatUpdate);
    return { ...base, owned: true, activatedAt, endsAt: grant.expiresAt.toISOString() };
  }

  /** The end time (ms) of the principal's active PIM instance of the role at exactly `scope`; NaN if none. */
  async function activeEnd(scope: string, principalId: string, roleDefinitionId: string): Promise<number> {
    const filter = encodeURIComponent(`principalId eq '${principalId}'`);
    const res = await arm.call('GET', {
      path: `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances?$filter=${filter}`,
      apiVersion: PIM_API_VERSION,
    });
    if (res.status !== 200) throw armError(res, 'list the active PIM assignments', now());
    const roleGuid = roleDefinitionId.split('/').pop()!.toLowerCase();
    const body = isObject(res.body) ? res.body : {};
    const instance = (Array.isArray(body.value) ? body.value : [])
      .map(props)
      .find(
        (p) =>
          str(p.scope)?.toLowerCase() === scope.toLowerCase() &&
          str(p.roleDefinitionId)?.toLowerCase().endsWith(`/${roleGuid}`),
      );
    return Date.parse(str(instance?.endDateTime) ?? '');
  }

  /** When the assignment became active: Azure's `createdOn`, or the start the broker asked for. */
  function activation(body: unknown, fallback: Date): string {
    const p = props(body);
    const created = Date.parse(str(p.createdOn) ?? '');
    const schedule = isObject(p.scheduleInfo) ? p.scheduleInfo : {};
    const start = Date.parse(str(schedule.startDateTime) ?? '');
    const at = Math.max(Number.isNaN(created) ? 0 : created, Number.isNaN(start) ? 0 : start);
    return new Date(at > 0 ? at : fallback.getTime()).toISOString();
  }

  async function grantAssignment(grant: Grant, principalId: string): Promise<AzureRef> {
    const { role, scope, roleDefinitionId } = await plan(grant.target.account, grant.actions, grant.resource);
    const name = deterministicGuid('assignment', grant.id);
    const res = await arm.call(
      'PUT',
      { path: assignmentPath(scope, name), apiVersion: RBAC_API_VERSION },
      {
        properties: {
          roleDefinitionId,
          principalId,
          principalType: 'User',
          // Says who made it and until when, so an operator can sweep leftovers by hand.
          description: `Unblock grant ${grant.id} (request ${grant.requestId}) until ${grant.expiresAt.toISOString()}`,
        },
      },
    );
    const base = {
      kind: 'azure',
      mode: 'assignment',
      scope,
      roleDefinitionId,
      roleName: role.roleName,
      principalId,
      name,
    } as const;
    if (res.status === 200 || res.status === 201) {
      return {
        ...base,
        owned: true,
        activatedAt: now().toISOString(),
        endsAt: grant.expiresAt.toISOString(),
      };
    }
    if (res.code === 'RoleAssignmentExists') {
      // The same role for the same user at the same scope under another name: not ours to delete.
      log(
        `azure: ${grant.user} already holds ${role.roleName} at ${scope} from outside grant ${grant.id}; leaving it alone`,
      );
      return { ...base, owned: false, activatedAt: null, endsAt: grant.expiresAt.toISOString() };
    }
    if (res.code === 'PrincipalNotFound') {
      // Entra replicates new users to ARM with a delay; a wrong id never heals, and says so.
      throw new ProvisionError(
        `Azure does not know the principal ${principalId} (users[].identities.azure); if the user is new, Entra may still be replicating it: ${res.message ?? ''}`,
        true,
        res.code,
      );
    }
    throw armError(res, `give ${grant.user} the role ${role.roleName} at ${scope}`, now());
  }

  function readRef(ref: ProviderRef | null): AzureRef | null {
    if (ref === null) return null;
    const parsed = AzureRef.safeParse(ref);
    return parsed.success ? parsed.data : null;
  }

  async function revokePim(grant: Grant, ref: AzureRef | null): Promise<void> {
    if (now().getTime() >= grant.expiresAt.getTime()) {
      // PIM ends the assignment itself at its end time (within seconds, per the PIM docs).
      return;
    }
    if (ref && !ref.owned) return;
    let current = ref;
    if (!current) {
      // `grant` never returned: find out whether its request reached Azure before the crash.
      const scope = chooseScope(grant.target.account, grant.resource);
      const name = deterministicGuid('pim-assign', grant.id);
      const own = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
      if (own.status === 404) return;
      if (own.status !== 200) throw armError(own, `read back PIM request ${name}`, now());
      const p = props(own.body);
      current = {
        kind: 'azure',
        mode: 'pim',
        scope,
        roleDefinitionId: str(p.roleDefinitionId) ?? '',
        roleName: '',
        principalId: str(p.principalId) ?? '',
        name,
        owned: true,
        activatedAt: activation(own.body, grant.startsAt),
        endsAt: grant.expiresAt.toISOString(),
      };
    }
    const name = deterministicGuid('pim-remove', grant.id);
    const res = await arm.call(
      'PUT',
      { path: requestPath(current.scope, name), apiVersion: PIM_API_VERSION },
      {
        properties: {
          principalId: current.principalId,
          roleDefinitionId: current.roleDefinitionId,
          requestType: 'AdminRemove',
          justification: `Unblock grant ${grant.id} revoked`,
        },
      },
    );
    if (res.status === 200 || res.status === 201) return;
    if (res.code === 'RoleAssignmentDoesNotExist') return;
    if (res.code === 'ActiveDurationTooShort') {
      const activated = Date.parse(current.activatedAt ?? '');
      const when = new Date(
        (Number.isNaN(activated) ? now().getTime() : activated) + REMOVAL_FLOOR_MS,
      ).toISOString();
      throw new ProvisionError(
        `Azure does not remove a PIM assignment within 5 minutes of its activation; it can be removed from ${when} (Azure said: ${res.message ?? res.code})`,
        true,
        res.code,
      );
    }
    throw armError(res, `remove ${current.roleName || current.roleDefinitionId} at ${current.scope}`, now());
  }

  async function revokeAssignment(grant: Grant, ref: AzureRef | null): Promise<void> {
    if (ref && !ref.owned) return;
    const scope = ref?.scope ?? chooseScope(grant.target.account, grant.resource);
    const name = ref?.name ?? deterministicGuid('assignment', grant.id);
    const res = await arm.call('DELETE', { path: assignmentPath(scope, name), apiVersion: RBAC_API_VERSION });
    if (res.status === 200 || res.status === 204) return;
    if (res.status === 404 && res.code !== 'SubscriptionNotFound') return;
    throw armError(res, `delete role assignment ${name} at ${scope}`, now());
  }

  function landingUrl(destination: string | null): string {
    const home = `${portalBase}/`;
    if (!destination) return home;
    let url: URL;
    let portal: URL;
    try {
      url = new URL(destination);
      portal = new URL(portalBase);
    } catch {
      return home;
    }
    // Only the portal, over the configured scheme (https outside tests), without userinfo tricks.
    const ok = url.protocol === portal.protocol && url.host === portal.host && !url.username && !url.password;
    return ok ? url.toString() : home;
  }

  return {
    name: 'azure',

    async grant(grant, identities, context) {
      const mode = target(grant.target.account).mode;
      const principalId = principal(grant, identities);
      return mode === 'pim' ? grantPim(grant, principalId, context) : grantAssignment(grant, principalId);
    },

    async revoke(grant, ref) {
      const parsed = readRef(ref);
      const mode = parsed?.mode ?? target(grant.target.account).mode;
      return mode === 'pim' ? revokePim(grant, parsed) : revokeAssignment(grant, parsed);
    },

    landing(_grant, _ref, _identities, destination): Promise<Landing> {
      return Promise.resolve({
        kind: 'reload',
        url: landingUrl(destination),
        afterMs: cloud.propagationMs ?? PROPAGATION_MS,
        message: 'Waiting for Azure to apply the grant',
      });
    },

    async preview(grantTarget, actions, resource): Promise<GrantPreview> {
      const mode = target(grantTarget.account).mode;
      const { role, scope, roleDefinitionId } = await plan(grantTarget.account, actions, resource);
      const notes = [
        mode === 'pim'
          ? "A PIM active assignment that Azure ends by itself at expiry; the role's PIM settings may cap its duration or require a justification or ticket."
          : 'A plain role assignment (no PIM): the broker deletes it at expiry.',
        `Azure may take up to 10 minutes to apply it everywhere. ${STILL_DENIED_ADVICE}`,
      ];
      return {
        summary: `Azure role ${role.roleName} at ${scope}`,
        role: { id: roleDefinitionId, name: role.roleName, scope },
        alsoGrants: alsoGrants(role, actions),
        notes,
      };
    },

    decode() {
      // Azure denials name the action and scope in clear text: nothing to decode.
      return Promise.resolve(null);
    },

    async activity(grant, _ref, identities): Promise<readonly ActivityEntry[]> {
      const principalId = principal(grant, identities);
      const from = grant.startsAt;
      const until = new Date(
        Math.min((grant.endedAt ?? grant.expiresAt).getTime(), Math.max(now().getTime(), from.getTime())),
      );
      // The Activity Log's `caller` is a user's UPN (a service principal's id), and the broker knows
      // the user's object id only. A broker user name that is a UPN narrows the query on the
      // server; otherwise the window is read whole and events are matched on the object id claim.
      const upn = grant.user.includes('@') ? grant.user : null;
      const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const filter =
        `eventTimestamp ge ${quote(from.toISOString())} and eventTimestamp le ${quote(until.toISOString())}` +
        (upn ? ` and caller eq ${quote(upn)}` : '');
      const entries: ActivityEntry[] = [];
      let res = await arm.call('GET', {
        path: `/subscriptions/${grant.target.account}/providers/Microsoft.Insights/eventtypes/management/values?$filter=${encodeURIComponent(filter)}`,
        apiVersion: ACTIVITY_API_VERSION,
      });
      for (let page = 1; ; page++) {
        if (res.status !== 200) throw armError(res, 'read the Activity Log', now());
        const body = isObject(res.body) ? res.body : {};
        for (const event of Array.isArray(body.value) ? body.value.filter(isObject) : []) {
          const entry = toEntry(event, upn ? [upn, principalId] : [principalId]);
          if (entry) entries.push(entry);
        }
        const next = str(body.nextLink);
        if (!next || page >= MAX_PAGES) break;
        res = await arm.call('GET', { url: next });
      }
      return entries.sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** Activity Log phases that precede the outcome of the same operation. */
const INTERIM = new Set(['started', 'accepted']);

function toEntry(event: Record<string, unknown>, callers: readonly string[]): ActivityEntry | null {
  const caller = str(event.caller)?.toLowerCase() ?? '';
  const claims = isObject(event.claims) ? event.claims : {};
  const oid = str(claims[OID_CLAIM])?.toLowerCase() ?? '';
  const wanted = callers.map((c) => c.toLowerCase());
  if (!wanted.includes(caller) && !wanted.includes(oid)) return null;
  const status = isObject(event.status) ? (str(event.status.value) ?? '') : '';
  if (INTERIM.has(status.toLowerCase())) return null;
  const authorization = isObject(event.authorization) ? event.authorization : {};
  const operation = isObject(event.operationName) ? str(event.operationName.value) : null;
  const action = str(authorization.action) ?? operation;
  const at = str(event.eventTimestamp);
  if (!action || !at) return null;
  const subStatus = isObject(event.subStatus) ? str(event.subStatus.value) : null;
  return {
    at,
    action,
    resource: str(event.resourceId) ?? str(authorization.scope),
    outcome: status === 'Succeeded' ? 'success' : subStatus || status || 'unknown',
  };
}

/**
 * Choosing the Azure role to grant: the smallest built-in role that carries every requested
 * action, at the narrowest scope the denial names. Pure (no I/O): the provisioner fetches the
 * role definition catalogue and hands it here, so the choice is table-tested.
 *
 * Matching follows Azure RBAC (role-definitions doc): case-insensitive, `*` matches any run of
 * characters (`*`, `*\/read`, `Microsoft.Compute/*`, `Microsoft.Compute/*\/read`), and an action is
 * granted when an `actions` pattern matches and no `notActions` pattern does (`notActions` is a
 * subtraction, not a deny). Data-plane operations (blob reads, secret reads) are granted only by
 * `dataActions` minus `notDataActions`: Reader's `*\/read` does not let anyone read a blob.
 */
import { RISKS, actionRisk, type Risk } from '../../../lib/risk';

/** One entry of `roleDefinitions` as ARM returns it (only the fields used here). */
export interface RoleDefinition {
  /** The role's GUID (`name` in ARM's answer); identical in every tenant for built-in roles. */
  readonly name: string;
  readonly roleName: string;
  readonly type: string;
  readonly permissions: readonly RolePermission[];
}

export interface RolePermission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

/** Whether `pattern` (with `*` wildcards) matches `action`, case-insensitively. */
export function matchesPattern(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  if (!p.includes('*')) return p === a;
  const parts = p.split('*');
  // Anchored glob: the first part is a prefix, the last a suffix, the middle ones appear in order.
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!a.startsWith(first) || !a.endsWith(last) || a.length < first.length + last.length) return false;
  let at = first.length;
  const end = a.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = a.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

const anyMatch = (patterns: readonly string[], action: string) =>
  patterns.some((p) => matchesPattern(p, action));

/** An operation's resource type: the operation less its verb (`…/secrets/getSecret/action` → `…/secrets`). */
function resourceType(action: string): string {
  const segments = action.toLowerCase().split('/');
  return segments.slice(0, segments[segments.length - 1] === 'action' ? -2 : -1).join('/');
}

/** A pattern naming one service's resource types (`Microsoft.Compute/virtualMachines/*`), not a whole provider. */
const specific = (pattern: string) => {
  const first = pattern.split('/').findIndex((s) => s.includes('*'));
  return first < 0 || first >= 2;
};

/**
 * Whether `action` is a data-plane operation. ARM says so only in the provider operations
 * catalogue (`isDataAction`), per namespace and large; the role catalogue is a good proxy, in
 * this order:
 * 1. some role names it literally in `dataActions` (Storage Blob Data Reader names
 *    `…/containers/blobs/read`): data;
 * 2. a service-level `actions` pattern or literal matches it (`Microsoft.Compute/virtualMachines/*`
 *    for `…/start/action`, though `…/virtualMachines/login/action` is data): control;
 * 3. some role names a data action on the same resource type (`…/vaults/secrets/delete` beside
 *    Key Vault Secrets User's `…/vaults/secrets/getSecret/action`): data;
 * 4. any `actions` pattern matches (`Microsoft.KeyVault/vaults/write` is control although Key Vault
 *    Administrator's data actions are `Microsoft.KeyVault/vaults/*`): control;
 * 5. only data-action wildcards match: data.
 * A data operation named by no role on a type no role names (`…/blobs/tags/read`) is taken for a
 * control operation: the grant then carries a role that does not help, and the approver sees it.
 */
export function isDataAction(catalogue: readonly RoleDefinition[], action: string): boolean {
  const perms = catalogue.flatMap((r) => r.permissions);
  const lower = action.toLowerCase();
  const literalData = perms.flatMap((p) => p.dataActions.filter((d) => !d.includes('*')));
  if (literalData.some((d) => d.toLowerCase() === lower)) return true;
  if (perms.some((p) => p.actions.some((a) => specific(a) && matchesPattern(a, action)))) return false;
  const type = resourceType(action);
  if (literalData.some((d) => resourceType(d) === type)) return true;
  if (perms.some((p) => anyMatch(p.actions, action))) return false;
  return perms.some((p) => anyMatch(p.dataActions, action));
}

/** Whether `role` grants `action` on the given plane. */
export function roleGrants(role: RoleDefinition, action: string, dataPlane: boolean): boolean {
  return role.permissions.some((p) =>
    dataPlane
      ? anyMatch(p.dataActions, action) && !anyMatch(p.notDataActions, action)
      : anyMatch(p.actions, action) && !anyMatch(p.notActions, action),
  );
}

/**
 * How many operations one pattern stands for, as an order of magnitude. Counting them exactly
 * needs every provider's operation list (`providerOperations`, megabytes); the measure only has to
 * rank roles, and what makes a pattern broad is how early its first wildcard comes:
 *
 * | first `*` in segment | example                              | weight |
 * |---|---|---|
 * | none (literal)       | `Microsoft.Compute/virtualMachines/start/action` | 1 |
 * | 0                    | `*`                                  | 100,000 |
 * | 1                    | `Microsoft.Compute/*`                | 1,000 |
 * | 2                    | `Microsoft.Compute/virtualMachines/*` | 100 |
 * | 3                    | `Microsoft.Network/virtualNetworks/subnets/*` | 20 |
 * | 4 or later           |                                      | 5 |
 *
 * A literal segment after the wildcard (`*\/read`, `Microsoft.Compute/*\/read`) keeps one verb of
 * many: a fifth of the weight (at least 2, still more than a literal).
 */
export function patternWeight(pattern: string): number {
  const segments = pattern.split('/');
  const first = segments.findIndex((s) => s.includes('*'));
  if (first < 0) return 1;
  const base = [100_000, 1_000, 100, 20][first] ?? 5;
  const constrained = segments.slice(first + 1).some((s) => s.length > 0 && !s.includes('*'));
  return constrained ? Math.max(2, Math.round(base / 5)) : base;
}

/**
 * The measure "smallest" ranks by: the weight of what a role allows minus what it takes away,
 * control and data planes added. Contributor (`*` less the authorization writes) stays just
 * under Owner (`*`), Reader (`*\/read`) far above a service role that names a few operations.
 */
export function roleSize(role: RoleDefinition): number {
  let size = 0;
  for (const p of role.permissions) {
    const sum = (patterns: readonly string[]) => patterns.reduce((n, x) => n + patternWeight(x), 0);
    const control = sum(p.actions);
    const data = sum(p.dataActions);
    // Exclusions count at half weight: a `notActions` pattern may remove operations the `actions`
    // never included (Contributor's `Microsoft.Authorization/*/Write`), and a role that takes
    // something away never becomes smaller than one that names a single operation.
    size += Math.max(control > 0 ? 1 : 0, control - sum(p.notActions) / 2);
    size += Math.max(data > 0 ? 1 : 0, data - sum(p.notDataActions) / 2);
  }
  return size;
}

/**
 * The risk (lib/risk) of everything a pattern matches: a trailing `*` can be any verb (admin);
 * otherwise the verb decides, whatever the wildcards before it (`*\/read` only reads).
 */
export function patternRisk(pattern: string): Risk {
  const last = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (last.includes('*')) return 'admin';
  return actionRisk('azure', pattern.replace(/\*/g, 'any'));
}

/** The highest risk of anything the role allows; exclusions are not credited. */
export function roleRisk(role: RoleDefinition): Risk {
  let worst: Risk = 'read';
  for (const p of role.permissions) {
    for (const pattern of [...p.actions, ...p.dataActions]) {
      const risk = patternRisk(pattern);
      if (RISKS.indexOf(risk) > RISKS.indexOf(worst)) worst = risk;
    }
  }
  return worst;
}

/**
 * The role of `catalogue` that grants every one of `actions` with the lowest risk (read before
 * write before admin) and, among those, the smallest; null when none grants them all.
 * Ties (equal size) go to the role naming fewer wildcards, then to the role name, so the choice is
 * stable across catalogue fetches.
 */
export function chooseRole(
  catalogue: readonly RoleDefinition[],
  actions: readonly string[],
): RoleDefinition | null {
  if (actions.length === 0) return null;
  const planes = actions.map((a) => ({ action: a, data: isDataAction(catalogue, a) }));
  const wildcards = (r: RoleDefinition) =>
    r.permissions.flatMap((p) => [...p.actions, ...p.dataActions]).filter((x) => x.includes('*')).length;
  const candidates = catalogue
    .filter((r) => planes.every(({ action, data }) => roleGrants(r, action, data)))
    .map((r) => ({ role: r, risk: RISKS.indexOf(roleRisk(r)), size: roleSize(r), wildcards: wildcards(r) }));
  // Least privilege in kind before breadth: a read request gets a read-only role (Reader's
  // `*/read`) rather than a narrower role that can also delete (Virtual Machine Contributor).
  candidates.sort(
    (x, y) =>
      x.risk - y.risk ||
      x.size - y.size ||
      x.wildcards - y.wildcards ||
      x.role.roleName.localeCompare(y.role.roleName),
  );
  return candidates[0]?.role ?? null;
}

/**
 * What else the role carries beyond the requested actions, for the approver: its patterns as they
 * are written (a wildcard is shown as the wildcard it is), data actions marked, exclusions as
 * "except …", at most `cap` lines with a count of the rest.
 */
export function alsoGrants(role: RoleDefinition, actions: readonly string[], cap = 20): string[] {
  const requested = new Set(actions.map((a) => a.toLowerCase()));
  const lines: string[] = [];
  for (const p of role.permissions) {
    for (const a of p.actions) if (!requested.has(a.toLowerCase())) lines.push(a);
    for (const a of p.dataActions) if (!requested.has(a.toLowerCase())) lines.push(`${a} (data)`);
    for (const a of p.notActions) lines.push(`except ${a}`);
    for (const a of p.notDataActions) lines.push(`except ${a} (data)`);
  }
  if (lines.length <= cap) return lines;
  return [...lines.slice(0, cap - 1), `… and ${lines.length - cap + 1} more`];
}

const SEGMENT = /^[A-Za-z0-9._()~-]+$/;

/**
 * The scope to grant at: the resource id from the denial when it lies under the subscription (the
 * narrowest scope Azure names), else the subscription. A resource id that does not parse as one
 * (odd characters, `..`, another subscription) falls back to the subscription rather than being
 * passed into a URL.
 */
export function chooseScope(subscriptionId: string, resource: string | null): string {
  const subscription = `/subscriptions/${subscriptionId}`;
  if (!resource) return subscription;
  const trimmed = resource.trim().replace(/\/+$/, '');
  const segments = trimmed.split('/').slice(1);
  const wellFormed =
    trimmed.startsWith('/') &&
    segments.length >= 2 &&
    segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!wellFormed) return subscription;
  const lower = trimmed.toLowerCase();
  const sub = subscription.toLowerCase();
  if (lower !== sub && !lower.startsWith(`${sub}/`)) return subscription;
  // Keep the subscription as configured and the rest as the denial spelt it.
  return subscription + trimmed.slice(subscription.length);
}

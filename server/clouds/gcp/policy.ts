/**
 * The grant's edit of a project's IAM policy, as pure functions: what `setIamPolicy` should be
 * sent after adding or removing this grant's conditional binding. The provisioner does the
 * read-modify-write around them (server/clouds/gcp/project-policy.ts).
 *
 * Every binding not marked with this grant's condition title is passed through untouched: other
 * grants' bindings, other people's conditional bindings on the same role, and fields this code
 * does not know (`auditConfigs`, future ones) all survive.
 */

export interface IamCondition {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly expression: string;
}

export interface IamBinding {
  readonly role: string;
  readonly members: readonly string[];
  readonly condition?: IamCondition | undefined;
}

/** A Resource Manager policy (`Policy` in the v1/v3 API); unknown fields are kept as they are. */
export interface IamPolicy {
  readonly version?: number | undefined;
  readonly etag?: string | undefined;
  readonly bindings?: readonly IamBinding[] | undefined;
  readonly [field: string]: unknown;
}

/** Marks the grant's binding(s): revocation removes exactly those, found by this title. */
export function conditionTitle(grantId: string): string {
  return `unblock ${grantId}`;
}

/**
 * RFC 3339 without milliseconds when they are zero (how Google writes timestamps); CEL's
 * `timestamp()` accepts both.
 */
export function rfc3339(at: Date): string {
  return at.toISOString().replace('.000Z', 'Z');
}

/** The binding's own expiry: IAM stops honouring it at `expiresAt` even if revocation never runs. */
export function expiryExpression(expiresAt: Date): string {
  return `request.time < timestamp("${rfc3339(expiresAt)}")`;
}

/** Google caps condition descriptions at 256 characters. */
const MAX_DESCRIPTION = 256;

export function conditionDescription(requestId: string, justification: string): string {
  const text = `Unblock request ${requestId}: ${justification.trim().replace(/\s+/g, ' ')}`;
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/**
 * The policy with `wanted` (this grant's bindings, all carrying its condition title) in place, or
 * null when it already holds them exactly (nothing to write: the idempotent re-grant). A binding
 * of this grant whose expression changed (the grant was extended) is replaced; bindings of this
 * grant for roles no longer wanted are dropped.
 */
export function withGrantBindings(
  policy: IamPolicy,
  title: string,
  wanted: readonly IamBinding[],
): IamPolicy | null {
  const existing = policy.bindings ?? [];
  const mine = existing.filter((b) => b.condition?.title === title);
  const same =
    mine.length === wanted.length &&
    wanted.every((w) =>
      mine.some(
        (m) =>
          m.role === w.role &&
          m.condition?.expression === w.condition?.expression &&
          m.members.length === w.members.length &&
          w.members.every((member) => m.members.includes(member)),
      ),
    );
  if (same) return null;
  const others = existing.filter((b) => b.condition?.title !== title);
  // Conditions require policy version 3; writing any other version would make IAM reject the
  // policy (or, for a v1 read, silently mangle other conditional bindings).
  return { ...policy, version: 3, bindings: [...others, ...wanted] };
}

/**
 * The policy without this grant's binding(s), or null when none is left (already revoked).
 * With `member` known, only that member leaves the binding (anyone else someone added to it
 * stays); without it the whole binding goes, since its title belongs to this grant alone.
 */
export function withoutGrantBindings(
  policy: IamPolicy,
  title: string,
  member: string | null,
): IamPolicy | null {
  const existing = policy.bindings ?? [];
  if (!existing.some((b) => b.condition?.title === title)) return null;
  const bindings: IamBinding[] = [];
  for (const binding of existing) {
    if (binding.condition?.title !== title) {
      bindings.push(binding);
      continue;
    }
    if (member !== null && !binding.members.includes(member)) {
      // Titled like ours but without the member: not ours to change.
      bindings.push(binding);
      continue;
    }
    const members = member === null ? [] : binding.members.filter((m) => m !== member);
    if (members.length > 0) bindings.push({ ...binding, members });
  }
  if (bindings.length === existing.length && bindings.every((b, i) => b === existing[i])) return null;
  return { ...policy, version: 3, bindings };
}

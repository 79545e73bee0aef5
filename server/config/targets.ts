/**
 * Finding a configured target by cloud and account. Account ids compare case-insensitively (Azure
 * subscription GUIDs arrive in either case), so every lookup goes through this one key.
 */
import type { Cloud } from '../../lib/contract/denial';

export interface TargetRef {
  readonly cloud: Cloud;
  readonly account: string;
}

/** The identity of a target: cloud and account, the account lower-cased. */
export const targetKey = (t: TargetRef): string => `${t.cloud}:${t.account.toLowerCase()}`;

export interface TargetIndex<T extends TargetRef & { readonly name: string }> {
  /** The configured target for this cloud and account, if any. */
  find(t: TargetRef): T | undefined;
  /** Its configured name, else the account id itself. */
  nameOf(t: TargetRef): string;
  readonly all: readonly T[];
}

/** Built once from `config.targets` (which the schema keeps free of duplicate keys). */
export function targetIndex<T extends TargetRef & { readonly name: string }>(
  targets: readonly T[],
): TargetIndex<T> {
  const byKey = new Map<string, T>();
  for (const t of targets) if (!byKey.has(targetKey(t))) byKey.set(targetKey(t), t);
  const find = (t: TargetRef) => byKey.get(targetKey(t));
  return {
    find,
    nameOf: (t) => find(t)?.name ?? t.account,
    all: targets,
  };
}

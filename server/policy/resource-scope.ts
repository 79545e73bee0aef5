/**
 * Whether a request names one resource, as policies see it (`context.scoped`). Computed here from
 * the resource itself rather than trusted from the caller, like `hasWildcard`: a request that
 * reached the engine without the contract's checks (an old stored row, a direct caller) is judged
 * the same way. Rules in docs/api.md ("The resource of a request").
 */
import { hasResourceWildcard, normaliseResource, resourceProblem } from '../../lib/contract/resource';
import type { Cloud } from '../../lib/contract/denial';

/**
 * The whole target written as a resource: an Azure subscription's own id, a GCP project's own
 * name (also as its full resource name). Naming it names the account, not one resource in it.
 */
function isTargetItself(cloud: Cloud, account: string, resource: string): boolean {
  const text = resource.replace(/\/+$/, '').toLowerCase();
  const id = account.toLowerCase();
  if (cloud === 'azure') return text === `/subscriptions/${id}`;
  if (cloud === 'gcp') {
    return text === `projects/${id}` || text === `//cloudresourcemanager.googleapis.com/projects/${id}`;
  }
  return false;
}

/**
 * True when `resource` names one resource inside the target; false for none (the whole account),
 * the target itself, a pattern (an IAM wildcard), or text that is not a resource name at all.
 */
export function namesOneResource(
  target: { readonly cloud: Cloud; readonly account: string },
  resource: string | null | undefined,
): boolean {
  const name = normaliseResource(resource ?? null);
  if (name === null) return false;
  if (hasResourceWildcard(name) || resourceProblem(name) !== null) return false;
  return !isTargetItself(target.cloud, target.account, name);
}

/**
 * ARM's wire vocabulary as the Azure provisioner uses it: the API versions it speaks, where PIM
 * requests and role assignments live under a scope, and tolerant readers for ARM's JSON bodies
 * (a field of the wrong type reads as absent rather than throwing). Shapes: docs/cloud-mechanics.md §2.
 */

export const PIM_API_VERSION = '2020-10-01';
export const RBAC_API_VERSION = '2022-04-01';
export const ACTIVITY_API_VERSION = '2015-04-01';

/** Most pages of a paged ARM listing the provisioner follows (`nextLink`). */
export const MAX_PAGES = 50;

export const requestPath = (scope: string, name: string) =>
  `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`;
export const assignmentPath = (scope: string, name: string) =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
export const props = (body: unknown): Record<string, unknown> =>
  isObject(body) && isObject(body.properties) ? body.properties : {};
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * A cheap keyword test run by the always-injected content script before any parsing. It must
 * accept every text that `parseDenials` would find a denial in (a property test checks this),
 * and stay a single linear-time regex: no nested quantifiers, no backtracking hot spots.
 */
const DENIAL_KEYWORDS =
  /not authori[sz]ed|access ?denied|unauthorizedoperation|authorization ?failed|authorizationpermissionmismatch|forbiddenbyrbac|disallowed by policy|deny assignment|does not have|lacks iam|permission|additional access|insufficient|prohibited by organization|constraints\//i;

export function mayContainDenial(text: string): boolean {
  return DENIAL_KEYWORDS.test(text);
}

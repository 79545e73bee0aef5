/**
 * Identities compare trimmed and case-insensitively, so `Alice` cannot approve `alice`'s request
 * or count twice by changing case, whatever the IdP's normalisation.
 */
export function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Secrets out of error texts. What a provisioner reports goes to the grant's `lastError` and
 * `failure`, which the API shows to the requester and the approvers and the audit log, events and
 * webhooks keep: a cloud SDK error that echoes a request (a signed URL, an Authorization header, a
 * key in a connection string) must not carry a credential there. Pure.
 *
 * The patterns are the credential shapes the broker's clouds use; everything else (principals,
 * permissions, resource names, which is what makes the text useful) is kept. A general-purpose PII
 * scrubber would remove exactly those (e-mail-shaped members such as `user:alice@example.com`).
 */

export const REDACTED = '[redacted]';

/** Names whose value is a secret, in `name=value`, `name: value` or `"name": "value"` form. */
const SECRET_NAMES = [
  'password',
  'passwd',
  'secret',
  'client_secret',
  'clientsecret',
  'secret_access_key',
  'secretaccesskey',
  'aws_secret_access_key',
  'session_token',
  'sessiontoken',
  'security_token',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-credential',
  'access_token',
  'accesstoken',
  'refresh_token',
  'id_token',
  'signintoken',
  'private_key',
  'privatekey',
  'private_key_id',
  'api_key',
  'apikey',
  'accountkey',
  'sharedaccesskey',
  'sig',
  'signature',
  'assertion',
  'token',
].join('|');

const REPLACEMENTS: readonly (readonly [RegExp, string])[] = [
  // PEM blocks (service-account private keys), whole.
  [/-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g, REDACTED],
  // Authorization headers and bearer tokens.
  [/\b(Bearer|Basic|SharedKey|SharedAccessSignature)\s+[A-Za-z0-9._~+/=:%-]{8,}/gi, `$1 ${REDACTED}`],
  // JSON Web Tokens (Google and Entra access tokens, assertions).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // AWS access key ids (long-term AKIA…, temporary ASIA…).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, REDACTED],
  // Google API keys.
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  // Passwords in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi, `$1${REDACTED}@`],
  // name=value and name: value (query strings, connection strings, headers, JSON).
  [new RegExp(`(["']?\\b(?:${SECRET_NAMES})["']?\\s*[=:]\\s*["']?)([^\\s"'&;,}]+)`, 'gi'), `$1${REDACTED}`],
];

/** `text` with every credential-shaped part replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out;
}

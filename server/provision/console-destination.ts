/**
 * Where a landing may send the user's tab: only the cloud's own console, never an arbitrary URL the
 * request carried (the broker would otherwise be an open redirect with a sign-in attached). Each
 * cloud's landing takes the denied page through this check, then adds its own touches (AWS drops a
 * multi-session host prefix, GCP keeps the project) or falls back to its console home.
 */

export interface ConsoleDestinationOptions {
  /** Accept subdomains of the console host too (AWS regional hosts: `us-east-1.console.aws.amazon.com`). */
  readonly subdomains?: boolean;
}

/**
 * The destination as a URL when it is on the console: same scheme and port as the configured console
 * (https outside tests), its host (or, with `subdomains`, a host below it), and no user-info; else null.
 */
export function consoleDestination(
  destination: string | null,
  consoleBase: URL,
  options: ConsoleDestinationOptions = {},
): URL | null {
  if (!destination) return null;
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    return null;
  }
  const host = consoleBase.hostname;
  const onHost = url.hostname === host || (options.subdomains === true && url.hostname.endsWith(`.${host}`));
  if (url.protocol !== consoleBase.protocol || url.port !== consoleBase.port || !onHost) return null;
  if (url.username || url.password) return null;
  return url;
}

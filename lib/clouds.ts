/**
 * What Unblock knows about each cloud, in one table: its name for people, what it calls the
 * account a request targets, the console the extension reads, and how one of its permissions is
 * spelled. Pure data and pure functions (no browser or Node API, no zod): the WXT config (host
 * permissions), the content script, the contract, the parser's consumers and the CLI all read it.
 */

export const CLOUDS = ['aws', 'azure', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

/**
 * The consoles of one partition of a cloud (docs/cloud-mechanics.md §5): an AWS partition's console,
 * or an Azure national cloud's portal and Entra admin center. A denial read on any of them is still
 * of its cloud (`aws`, `azure`, `gcp`); the partition is what the page context says of the console.
 */
export interface ConsoleFacts {
  /**
   * The partition as the cloud names it: the ARN partition (`aws-us-gov`), Azure's cloud name
   * (`AzureUSGovernment`, as `az cloud list` says), Google's universe domain (`googleapis.com`).
   */
  readonly partition: string;
  /**
   * Match patterns of its hosts (`https://<host>/*`): the manifest's host permissions, the content
   * script's `matches` and `consoleOf` all come from these. As in the browser, `*.host` also
   * matches `host` itself.
   */
  readonly matches: readonly string[];
}

export interface CloudFacts {
  /** The cloud's name for people. */
  readonly label: string;
  /** What the cloud calls the account a request targets, capitalised as a field label. */
  readonly accountNoun: string;
  /** Its consoles, one entry per partition, the commercial one first. */
  readonly consoles: readonly ConsoleFacts[];
  /**
   * Match patterns of hosts that serve parts of the console inside its frames (never a console on
   * their own): the content script runs in such a frame only to hand its denial text to the banner
   * of the console page around it (docs/extension.md, "Frames").
   */
  readonly consoleFrameMatches: readonly string[];
  /**
   * The commercial console's home page, on `account` where the console takes it in the URL. A
   * target does not say its partition: the broker's landing names the page (from its configured
   * console), and this is only the fallback when it names none.
   */
  readonly consoleHome: (account: string) => string;
  /**
   * One grantable permission, wildcards excluded: a request names exactly what the page said was
   * missing, never a pattern that would quietly grant more.
   */
  readonly actionGrammar: RegExp;
  /** A real permission in that grammar, for messages. */
  readonly actionExample: string;
  /** The grammar in words, for a field's placeholder when nothing better is known. */
  readonly actionShape: string;
}

export const CLOUD_FACTS: Readonly<Record<Cloud, CloudFacts>> = {
  aws: {
    label: 'AWS',
    accountNoun: 'Account',
    // Regional and multi-session consoles: <region>.console…, <account>-<random>.<region>.console…
    // in each partition's own domain.
    consoles: [
      {
        partition: 'aws',
        matches: ['https://console.aws.amazon.com/*', 'https://*.console.aws.amazon.com/*'],
      },
      {
        partition: 'aws-us-gov',
        matches: ['https://console.amazonaws-us-gov.com/*', 'https://*.console.amazonaws-us-gov.com/*'],
      },
      {
        partition: 'aws-cn',
        matches: ['https://console.amazonaws.cn/*', 'https://*.console.amazonaws.cn/*'],
      },
    ],
    consoleFrameMatches: [],
    // The console picks the account from the signed-in session, not from the URL.
    consoleHome: () => 'https://console.aws.amazon.com/console/home',
    // service:Action, e.g. s3:GetObject, ec2:StartInstances
    actionGrammar: /^[a-z0-9][a-z0-9-]*:[A-Za-z0-9]+$/,
    actionExample: 's3:GetObject',
    actionShape: 'service:Action',
  },
  azure: {
    label: 'Azure',
    accountNoun: 'Subscription',
    // Each national cloud's portal and Microsoft Entra admin center (directory roles).
    consoles: [
      { partition: 'AzureCloud', matches: ['https://portal.azure.com/*', 'https://entra.microsoft.com/*'] },
      {
        partition: 'AzureUSGovernment',
        matches: ['https://portal.azure.us/*', 'https://entra.microsoft.us/*'],
      },
      {
        partition: 'AzureChinaCloud',
        matches: ['https://portal.azure.cn/*', 'https://entra.microsoftonline.cn/*'],
      },
    ],
    // Frame blades and React views (sandbox-N.reactblade…) and extension-hosted frame content
    // (<extension>.hosting.portal.azure.net), per the commercial portal's own host list
    // (docs/extension.md); the national clouds publish no such list, so their frames are not read.
    consoleFrameMatches: [
      'https://*.reactblade.portal.azure.net/*',
      'https://*.reactblade-ms.portal.azure.net/*',
      'https://*.reactblade-rc.portal.azure.net/*',
      'https://*.hosting.portal.azure.net/*',
    ],
    consoleHome: (account) =>
      `https://portal.azure.com/#@/resource/subscriptions/${encodeURIComponent(account)}/overview`,
    // Provider.Namespace/type[/subtype...]/operation, e.g. Microsoft.Compute/virtualMachines/start/action
    actionGrammar: /^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+(?:\/[A-Za-z0-9_.-]+)+$/,
    actionExample: 'Microsoft.Compute/virtualMachines/start/action',
    actionShape: 'Microsoft.Provider/resourceType/action',
  },
  gcp: {
    label: 'Google Cloud',
    accountNoun: 'Project',
    consoles: [{ partition: 'googleapis.com', matches: ['https://console.cloud.google.com/*'] }],
    consoleFrameMatches: [],
    consoleHome: (account) =>
      `https://console.cloud.google.com/home/dashboard?project=${encodeURIComponent(account)}`,
    // service.resource.verb, e.g. compute.instances.start, iam.serviceAccounts.actAs
    actionGrammar: /^[a-z][a-z0-9]*(?:\.[A-Za-z0-9]+){2,}$/,
    actionExample: 'compute.instances.start',
    actionShape: 'service.resource.verb',
  },
};

/** Every console's match patterns: the manifest's host permissions and the content script's `matches`. */
export const CONSOLE_MATCHES: readonly string[] = CLOUDS.flatMap((c) =>
  CLOUD_FACTS[c].consoles.flatMap((k) => k.matches),
);

/** Hosts that serve console frames: the content script's `matches` (it reports to the top frame there). */
export const CONSOLE_FRAME_MATCHES: readonly string[] = CLOUDS.flatMap(
  (c) => CLOUD_FACTS[c].consoleFrameMatches,
);

/** Whether `hostname` is the host of the match pattern `pattern` (`https://<host>/*`). */
function hostMatches(pattern: string, hostname: string): boolean {
  const host = /^https:\/\/([^/]+)\/\*$/.exec(pattern)?.[1];
  if (!host) return false;
  if (!host.startsWith('*.')) return hostname === host;
  const parent = host.slice(2);
  return hostname === parent || hostname.endsWith(`.${parent}`);
}

/** The cloud and partition of the console a hostname belongs to; undefined for anything else. */
export function consoleOf(hostname: string): { cloud: Cloud; partition: string } | undefined {
  for (const cloud of CLOUDS) {
    for (const { partition, matches } of CLOUD_FACTS[cloud].consoles) {
      if (matches.some((p) => hostMatches(p, hostname))) return { cloud, partition };
    }
  }
  return undefined;
}

/** Which cloud's console a hostname belongs to; undefined for anything else. */
export function consoleCloud(hostname: string): Cloud | undefined {
  return consoleOf(hostname)?.cloud;
}

/** True for an https URL on one of the console hosts (the content script's match patterns). */
export function isConsoleUrl(url: string | undefined): boolean {
  const host = httpsHost(url);
  return host !== undefined && consoleCloud(host) !== undefined;
}

/** True for an https URL on a console host or a host serving console frames. */
export function isConsoleFrameUrl(url: string | undefined): boolean {
  const host = httpsHost(url);
  return (
    host !== undefined &&
    (consoleCloud(host) !== undefined || CONSOLE_FRAME_MATCHES.some((p) => hostMatches(p, host)))
  );
}

function httpsHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

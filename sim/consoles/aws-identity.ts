/**
 * Who is signed in to an AWS console tab: the console session of `AWS_CONSOLE_COOKIE` (set by the
 * federation sign-in, see signin.ts) when its account is the tab's, else the default
 * `Developer/alice` of the multi-session host's account (or prod), which has no grants. Azure and
 * GCP need no such lookup: their signed-in user is always the demo user alice.
 */
import { AWS_CONSOLE_COOKIE, type ConsoleSession } from '../clouds/aws/fake.ts';
import type { DemoClouds } from '../clouds/demo.ts';
import { AWS, AWS_SANDBOX, AWS_USER_INFO } from './messages.ts';

/** Aliases of the accounts the sim knows (the header shows `<user> @ <alias>`). */
const AWS_ALIASES: Record<string, string> = {
  [AWS.account]: AWS.alias,
  [AWS_SANDBOX.account]: AWS_SANDBOX.alias,
};
const MULTI_SESSION = /^(\d{12})-[a-z0-9]+\./;

/** What the AWS page shows of the signed-in identity. */
export interface AwsIdentityView {
  account: string;
  accountDisplay: string;
  alias: string;
  /** The principal ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
  principal: string;
  /** `<role>/<session>`, as the header's account menu shows it. */
  federatedUser: string;
}

export interface AwsIdentity extends AwsIdentityView {
  /** The console session from the federation sign-in; null for the default identity. */
  session: ConsoleSession | null;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The AWS identity of a request: the console session of `AWS_CONSOLE_COOKIE` when it is live and
 * belongs to the tab's account (a multi-session host names it), else the default Developer/alice
 * of that account (prod when the host names none).
 */
export function awsIdentity(
  hostname: string,
  cookieHeader: string | undefined,
  clouds?: DemoClouds,
): AwsIdentity {
  const hostAccount = MULTI_SESSION.exec(hostname)?.[1];
  const cookie = clouds ? cookieValue(cookieHeader, AWS_CONSOLE_COOKIE) : undefined;
  const session = cookie ? clouds!.aws.state.consoleSession(cookie) : null;
  const display = (account: string) => account.replace(/^(\d{4})(\d{4})(\d{4})$/, '$1-$2-$3');
  if (session && !session.expired && (!hostAccount || hostAccount === session.account)) {
    const arn = session.session.arn;
    return {
      account: session.account,
      accountDisplay: display(session.account),
      alias: AWS_ALIASES[session.account] ?? session.account,
      principal: arn,
      federatedUser: arn.split(':assumed-role/')[1] ?? session.sessionName,
      session,
    };
  }
  const account = hostAccount ?? AWS.account;
  return {
    account,
    accountDisplay: display(account),
    alias: AWS_ALIASES[account] ?? account,
    principal: `arn:aws:sts::${account}:assumed-role/Developer/alice`,
    federatedUser: 'Developer/alice',
    session: null,
  };
}

export const viewOf = ({ session: _session, ...view }: AwsIdentity): AwsIdentityView => view;

/**
 * The `aws-userInfo` cookie every AWS response sets (URL-encoded JSON: session ARN and alias), on
 * the console domain of the host that answered (a browser refuses a cookie for another domain).
 */
export function awsUserInfoCookie(identity: AwsIdentityView, domain = 'console.aws.amazon.com'): string {
  const info =
    identity.principal === AWS_USER_INFO.arn
      ? AWS_USER_INFO
      : {
          arn: identity.principal,
          alias: identity.alias,
          username: `assumed-role/${identity.federatedUser}`,
        };
  return `aws-userInfo=${encodeURIComponent(JSON.stringify(info))}; Domain=${domain}; Path=/; Secure; SameSite=Lax`;
}

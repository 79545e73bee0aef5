import { describe, expect, it } from 'vitest';
import { consoleCloud, consoleOf, isConsoleUrl } from '../../lib/clouds';
import {
  awsPageContext,
  azurePageContext,
  gcpPageContext,
  pageContext,
} from '../../lib/content/page-context';

const userInfo = (v: object) => `aws-userInfo=${encodeURIComponent(JSON.stringify(v))}`;

describe('AWS page context', () => {
  it('reads region from the query and principal, account and alias from the aws-userInfo cookie', () => {
    const cookie = `noflush_awsccs_sid=x; ${userInfo({
      arn: 'arn:aws:sts::222222222222:assumed-role/Developer/alice',
      alias: 'acme-dev',
      username: 'assumed-role%2FDeveloper%2Falice',
    })}; other=1`;
    expect(
      awsPageContext('https://us-east-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:', cookie),
    ).toEqual({
      cloud: 'aws',
      source: 'console',
      region: 'eu-west-1',
      principal: 'arn:aws:sts::222222222222:assumed-role/Developer/alice',
      account: '222222222222',
      accountLabel: 'acme-dev',
    });
  });

  it('takes the account and region from a multi-session host over the shared cookie', () => {
    const cookie = userInfo({ arn: 'arn:aws:iam::111111111111:user/bob' });
    const ctx = awsPageContext(
      'https://333333333333-abc123xy.us-west-2.console.aws.amazon.com/s3/buckets',
      cookie,
    );
    expect(ctx.account).toBe('333333333333');
    expect(ctx.region).toBe('us-west-2');
    // The shared cookie belongs to another session's account: its principal does not apply here.
    expect(ctx.principal).toBeUndefined();
    const same = awsPageContext(
      'https://111111111111-abc123xy.us-west-2.console.aws.amazon.com/s3/buckets',
      userInfo({ arn: 'arn:aws:iam::111111111111:user/bob', alias: 'acme' }),
    );
    expect(same).toMatchObject({ principal: 'arn:aws:iam::111111111111:user/bob', accountLabel: 'acme' });
  });

  it('reads the region from a query inside the fragment', () => {
    expect(
      awsPageContext('https://console.aws.amazon.com/iam/home#/roles?region=ap-southeast-2', '').region,
    ).toBe('ap-southeast-2');
  });

  it('falls back to the header account menu text', () => {
    const ctx = awsPageContext(
      'https://console.aws.amazon.com/console/home',
      '',
      'Developer/alice Account ID: 2222-2222-2222 Sign out',
    );
    expect(ctx.account).toBe('222222222222');
    expect(
      awsPageContext('https://console.aws.amazon.com/', '', 'Developer/alice @ 4444-4444-4444').account,
    ).toBe('444444444444');
  });

  it('ignores malformed cookies, bad ARNs, bad aliases and bad regions', () => {
    expect(
      awsPageContext('https://console.aws.amazon.com/?region=<script>', 'aws-userInfo=%7Bnot json'),
    ).toEqual({
      cloud: 'aws',
      source: 'console',
    });
    const ctx = awsPageContext(
      'https://console.aws.amazon.com/',
      userInfo({ arn: 'javascript:alert(1)', alias: '<b>x</b>' }),
    );
    expect(ctx.principal).toBeUndefined();
    expect(ctx.accountLabel).toBeUndefined();
  });
});

describe('Azure page context', () => {
  it('reads tenant and subscription from the portal fragment', () => {
    const url =
      'https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/00000000-0000-0000-0000-00000000ABCD/resourceGroups/rg1/overview';
    expect(azurePageContext(url)).toEqual({
      cloud: 'azure',
      source: 'console',
      tenant: 'contoso.onmicrosoft.com',
      account: '00000000-0000-0000-0000-00000000abcd',
    });
  });

  it('decodes percent-encoded blade parameters and a tenant path prefix', () => {
    const url =
      'https://portal.azure.com/contoso.onmicrosoft.com/#view/HubsExtension/BrowseResource/scope/%2Fsubscriptions%2F11111111-2222-3333-4444-555555555555';
    const ctx = azurePageContext(url);
    expect(ctx.tenant).toBe('contoso.onmicrosoft.com');
    expect(ctx.account).toBe('11111111-2222-3333-4444-555555555555');
  });

  it('returns only the cloud for a home page', () => {
    expect(azurePageContext('https://portal.azure.com/#home')).toEqual({ cloud: 'azure', source: 'console' });
  });
});

describe('GCP page context', () => {
  it('reads project and authuser from the query', () => {
    expect(
      gcpPageContext('https://console.cloud.google.com/compute/instances?project=my-project&authuser=1'),
    ).toEqual({
      cloud: 'gcp',
      source: 'console',
      account: 'my-project',
      authuser: '1',
    });
  });

  it('rejects values that are not project ids', () => {
    expect(gcpPageContext('https://console.cloud.google.com/?project=%3Cscript%3E').account).toBeUndefined();
  });
});

describe('console hosts', () => {
  it('recognises only the console hosts', () => {
    expect(consoleCloud('console.aws.amazon.com')).toBe('aws');
    expect(consoleCloud('eu-west-1.console.aws.amazon.com')).toBe('aws');
    expect(consoleCloud('console.aws.amazon.com.evil.example')).toBeUndefined();
    expect(consoleCloud('evilconsole.aws.amazon.com')).toBeUndefined();
    expect(isConsoleUrl('http://portal.azure.com/')).toBe(false);
    expect(isConsoleUrl('https://console.cloud.google.com/home')).toBe(true);
    expect(isConsoleUrl('not a url')).toBe(false);
    expect(pageContext('https://example.com/', '')).toBeUndefined();
    expect(pageContext('https://portal.azure.com/', '')?.cloud).toBe('azure');
  });
});

describe('partition consoles (docs/cloud-mechanics.md §5)', () => {
  it('reads an AWS GovCloud (US) page as on the commercial console, in its own partition', () => {
    const arn = 'arn:aws-us-gov:sts::222222222222:assumed-role/Developer/alice';
    expect(
      pageContext(
        'https://us-gov-west-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#Instances:',
        userInfo({ arn, alias: 'acme-gov' }),
      ),
    ).toEqual({
      cloud: 'aws',
      source: 'console',
      region: 'us-gov-west-1',
      principal: arn,
      account: '222222222222',
      accountLabel: 'acme-gov',
      partition: 'aws-us-gov',
    });
  });

  it('takes account and region from a GovCloud multi-session host, and the header on the global host', () => {
    const ctx = awsPageContext(
      'https://333333333333-abc123xy.us-gov-east-1.console.amazonaws-us-gov.com/s3/buckets',
      userInfo({ arn: 'arn:aws-us-gov:iam::111111111111:user/bob' }),
    );
    expect(ctx).toMatchObject({ account: '333333333333', region: 'us-gov-east-1' });
    expect(ctx.principal).toBeUndefined();
    expect(
      pageContext('https://console.amazonaws-us-gov.com/console/home', '', 'alice @ 4444-4444-4444'),
    ).toMatchObject({ account: '444444444444', partition: 'aws-us-gov' });
  });

  it('reads an AWS China page, region from the query over the host', () => {
    const arn = 'arn:aws-cn:iam::555555555555:user/li';
    expect(
      pageContext(
        'https://cn-north-1.console.amazonaws.cn/s3/buckets?region=cn-northwest-1',
        userInfo({ arn }),
      ),
    ).toEqual({
      cloud: 'aws',
      source: 'console',
      region: 'cn-northwest-1',
      principal: arn,
      account: '555555555555',
      partition: 'aws-cn',
    });
    expect(
      awsPageContext('https://666666666666-x1.cn-north-1.console.amazonaws.cn/ec2/home', '').account,
    ).toBe('666666666666');
  });

  it('reads tenant and subscription on the Azure Government and Azure China portals', () => {
    const sid = '11111111-2222-3333-4444-555555555555';
    expect(
      pageContext(
        `https://portal.azure.us/#@contoso.onmicrosoft.us/resource/subscriptions/${sid}/resourceGroups/rg1/overview`,
        '',
      ),
    ).toEqual({
      cloud: 'azure',
      source: 'console',
      tenant: 'contoso.onmicrosoft.us',
      account: sid,
      partition: 'AzureUSGovernment',
    });
    expect(
      pageContext(
        `https://portal.azure.cn/contoso.partner.onmschina.cn/#view/HubsExtension/BrowseResource/scope/%2Fsubscriptions%2F${sid}`,
        '',
      ),
    ).toEqual({
      cloud: 'azure',
      source: 'console',
      tenant: 'contoso.partner.onmschina.cn',
      account: sid,
      partition: 'AzureChinaCloud',
    });
  });

  it('reads the tenant of the Microsoft Entra admin center, in every national cloud', () => {
    const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(
      pageContext(
        'https://entra.microsoft.com/#@contoso.onmicrosoft.com/blade/Microsoft_AAD_UsersAndTenants/UserManagementMenuBlade/DeletedUsers',
        '',
      ),
    ).toEqual({
      cloud: 'azure',
      source: 'console',
      tenant: 'contoso.onmicrosoft.com',
      partition: 'AzureCloud',
    });
    expect(
      pageContext(
        `https://entra.microsoft.us/${tid}/#view/Microsoft_AAD_IAM/RoleManagementMenuBlade/~/AllRoles`,
        '',
      ),
    ).toEqual({ cloud: 'azure', source: 'console', tenant: tid, partition: 'AzureUSGovernment' });
    expect(
      pageContext('https://entra.microsoftonline.cn/?tenant=contoso.partner.onmschina.cn#home', ''),
    ).toEqual({
      cloud: 'azure',
      source: 'console',
      tenant: 'contoso.partner.onmschina.cn',
      partition: 'AzureChinaCloud',
    });
  });

  it('keeps the fragment tenant over a directory-switch query and ignores values that are no tenant', () => {
    expect(azurePageContext('https://portal.azure.com/?tenant=contoso.onmicrosoft.com#home').tenant).toBe(
      'contoso.onmicrosoft.com',
    );
    expect(
      azurePageContext('https://entra.microsoft.com/?tenant=other.onmicrosoft.com#@contoso.onmicrosoft.com/x')
        .tenant,
    ).toBe('contoso.onmicrosoft.com');
    expect(azurePageContext('https://entra.microsoft.com/?tenant=%3Cscript%3E#home').tenant).toBeUndefined();
    expect(azurePageContext('https://entra.microsoft.com/signin#home').tenant).toBeUndefined();
  });

  it('names the partition of the commercial consoles too', () => {
    expect(pageContext('https://console.aws.amazon.com/', '')?.partition).toBe('aws');
    expect(pageContext('https://portal.azure.com/#home', '')?.partition).toBe('AzureCloud');
    expect(pageContext('https://console.cloud.google.com/', '')?.partition).toBe('googleapis.com');
  });

  it('recognises every partition console host and no look-alike', () => {
    const hosts: Array<[string, string, string]> = [
      ['console.amazonaws-us-gov.com', 'aws', 'aws-us-gov'],
      ['us-gov-west-1.console.amazonaws-us-gov.com', 'aws', 'aws-us-gov'],
      ['console.amazonaws.cn', 'aws', 'aws-cn'],
      ['cn-northwest-1.console.amazonaws.cn', 'aws', 'aws-cn'],
      ['portal.azure.us', 'azure', 'AzureUSGovernment'],
      ['portal.azure.cn', 'azure', 'AzureChinaCloud'],
      ['entra.microsoft.com', 'azure', 'AzureCloud'],
      ['entra.microsoft.us', 'azure', 'AzureUSGovernment'],
      ['entra.microsoftonline.cn', 'azure', 'AzureChinaCloud'],
    ];
    for (const [host, cloud, partition] of hosts) {
      expect(consoleOf(host), host).toEqual({ cloud, partition });
      expect(isConsoleUrl(`https://${host}/`), host).toBe(true);
    }
    for (const bad of [
      'console.amazonaws-us-gov.com.evil.example',
      'evilconsole.amazonaws-us-gov.com',
      'signin.amazonaws-us-gov.com',
      'evilconsole.amazonaws.cn',
      'portal.azure.us.evil.example',
      'xportal.azure.cn',
      'evil.entra.microsoft.com',
      'entra.microsoft.com.evil.example',
    ]) {
      expect(consoleCloud(bad), bad).toBeUndefined();
    }
    expect(isConsoleUrl('http://portal.azure.us/')).toBe(false);
  });
});

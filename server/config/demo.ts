/**
 * The built-in demo configuration: the broker runs it when no config file is given, on the
 * simulated clouds of sim/. Passwords equal the user names — fine for a local demo, and the
 * broker says so loudly on start.
 */
import { hashPassword } from '../identity/password';
import { BrokerConfig } from './schema';

export const DEMO_USERS = [
  { name: 'alice', displayName: 'Alice (engineer)', groups: ['engineers'] },
  { name: 'bob', displayName: 'Bob (approver)', groups: ['engineers', 'approvers'] },
  { name: 'dave', displayName: 'Dave (approver)', groups: ['engineers', 'approvers'] },
  { name: 'carol', displayName: 'Carol (auditor)', groups: ['auditors'] },
] as const;

/** Stable fake object ids for the sim Azure tenant, one per demo user. */
const AZURE_OID: Record<string, string> = {
  alice: '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14',
  bob: '0b5e2a77-1c3d-4f6e-8a90-1b2c3d4e5f60',
  dave: '7d8e9f00-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
  carol: 'c0a1b2c3-d4e5-4f60-8172-839405a6b7c8',
};

export async function demoConfig(): Promise<BrokerConfig> {
  const users = await Promise.all(
    DEMO_USERS.map(async (u) => ({
      ...u,
      groups: [...u.groups],
      email: `${u.name}@acme-corp.dev`,
      // Lighter scrypt parameters than production hashes: four hashes at every demo start.
      passwordHash: await hashPassword(u.name, { N: 2 ** 12, r: 8, p: 1 }),
      identities: {
        aws: u.name,
        azure: AZURE_OID[u.name],
        gcp: `user:${u.name}@acme-corp.dev`,
      },
    })),
  );
  return BrokerConfig.parse({
    name: 'Unblock demo (simulated clouds)',
    groups: [
      { name: 'engineers', description: 'May request access' },
      { name: 'approvers', description: 'Approve requests on every demo target' },
      { name: 'auditors', description: 'Read the audit trail' },
      { name: 'break-glass', description: 'Emergency access; pages security' },
    ],
    users,
    targets: [
      {
        id: 'aws-sandbox',
        cloud: 'aws',
        account: '111111111111',
        name: 'sandbox',
        environment: 'dev',
        approverGroup: 'approvers',
      },
      {
        id: 'aws-production',
        cloud: 'aws',
        account: '222222222222',
        name: 'production',
        environment: 'prod',
        approverGroup: 'approvers',
      },
      {
        id: 'azure-dev',
        cloud: 'azure',
        account: '11111111-1111-1111-1111-111111111111',
        name: 'Contoso Dev',
        environment: 'dev',
        approverGroup: 'approvers',
      },
      {
        id: 'azure-prod',
        cloud: 'azure',
        account: '22222222-2222-2222-2222-222222222222',
        name: 'Contoso Production',
        environment: 'prod',
        approverGroup: 'approvers',
      },
      {
        id: 'gcp-dev',
        cloud: 'gcp',
        account: 'acme-dev',
        name: 'acme-dev',
        environment: 'dev',
        approverGroup: 'approvers',
      },
      {
        id: 'gcp-prod',
        cloud: 'gcp',
        account: 'acme-prod',
        name: 'acme-prod',
        environment: 'prod',
        approverGroup: 'approvers',
      },
    ],
  });
}

/**
 * A throwaway self-signed certificate for the simulated consoles, made with the `openssl` CLI in a
 * fresh temp dir. The browser under test runs with `--ignore-certificate-errors`, but the SANs still
 * cover every host the sim serves so that a stricter client (curl --cacert, Node with `ca`) works.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CERT_HOSTS = [
  'console.aws.amazon.com',
  '*.console.aws.amazon.com',
  // Multi-session hosts are two labels deep (`<acct>-<id>.us-east-1.console.aws.amazon.com`).
  '*.us-east-1.console.aws.amazon.com',
  'console.amazonaws-us-gov.com',
  '*.console.amazonaws-us-gov.com',
  'portal.azure.com',
  'portal.azure.us',
  'console.cloud.google.com',
  // The federation sign-in the consoles forward to the AWS fake (started with clouds).
  'signin.aws.amazon.com',
  'example.com',
] as const;

export interface SelfSignedCert {
  key: string;
  cert: string;
  /** The temp dir holding key.pem and cert.pem. */
  dir: string;
  /** Removes the temp dir (idempotent). */
  cleanup(): void;
}

export function generateCert(opts: { days?: number; openssl?: string } = {}): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-sim-cert-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    const san = [...CERT_HOSTS.map((h) => `DNS:${h}`), 'IP:127.0.0.1'].join(',');
    execFileSync(
      opts.openssl ?? process.env.OPENSSL ?? 'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        String(opts.days ?? 2),
        '-subj',
        '/CN=console.aws.amazon.com',
        '-addext',
        `subjectAltName=${san}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: fs.readFileSync(keyPath, 'utf8'), cert: fs.readFileSync(certPath, 'utf8'), dir, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

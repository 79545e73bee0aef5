import { describe, expect, it } from 'vitest';
import { consoleDestination } from '../../server/provision/console-destination';

const portal = new URL('https://portal.azure.com');
const aws = new URL('https://console.aws.amazon.com');

describe('consoleDestination', () => {
  it('keeps a page on the console', () => {
    expect(consoleDestination('https://portal.azure.com/#view/x', portal)?.toString()).toBe(
      'https://portal.azure.com/#view/x',
    );
  });

  it('refuses other hosts, schemes, ports, user-info and non-URLs', () => {
    for (const bad of [
      'https://evil.example/',
      'http://portal.azure.com/',
      'https://portal.azure.com:8443/',
      'https://user:pw@portal.azure.com/',
      'https://portal.azure.com.evil.example/',
      'not a url',
      null,
    ]) {
      expect(consoleDestination(bad, portal)).toBeNull();
    }
  });

  it('accepts subdomains only when asked', () => {
    const regional = 'https://us-east-1.console.aws.amazon.com/ec2/home';
    expect(consoleDestination(regional, aws)).toBeNull();
    expect(consoleDestination(regional, aws, { subdomains: true })?.hostname).toBe(
      'us-east-1.console.aws.amazon.com',
    );
    expect(consoleDestination('https://evilconsole.aws.amazon.com/', aws, { subdomains: true })).toBeNull();
  });
});

/**
 * The simulated consoles themselves, in the real browser WITHOUT the extension: each page shows its
 * denial (late, after the failing API call) where the extension tests expect it, under the mapped
 * console hostnames. If these fail, banner failures elsewhere are the sim's fault, not the extension's.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AWS, AZURE, EC2_ENCODED_BLOB, GCP } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { clickPageButton, saveScreenshot, useE2E } from './harness.ts';
import type { E2E } from './harness.ts';

let e2e: E2E;
useE2E({ extension: false }, (s) => (e2e = s));

const alertText = (page: Page, timeout = 5000) =>
  page
    .waitForFunction(
      () =>
        [...document.querySelectorAll('[role="alert"]')].map((e) => e.textContent ?? '').join('\n') || null,
      {
        timeout,
      },
    )
    .then((h) => h.jsonValue() as Promise<string>);

describe('simulated consoles (no extension)', () => {
  it('AWS: EC2 stop fails LATE with the encoded message; header and cookie carry the account', async () => {
    const page = await e2e.open(SIM_URLS.ec2Instances);
    expect(await page.$('[role="alert"]')).toBeNull();
    expect(await page.$eval('#account-id', (e) => e.textContent)).toBe(AWS.accountDisplay);
    const cookies = await page.browserContext().cookies();
    const info = cookies.find((c) => c.name === 'aws-userInfo');
    expect(info && (JSON.parse(decodeURIComponent(info.value)) as { arn: string }).arn).toBe(AWS.principal);
    const t0 = Date.now();
    await clickPageButton(page, '#stop-instance');
    const text = await alertText(page);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(text).toContain(`Failed to stop the instance ${AWS.instanceId}`);
    expect(text).toContain(`Encoded authorization failure message: ${EC2_ENCODED_BLOB}`);
    await saveScreenshot(page, 'sim-aws-ec2');
    await page.close();
  });

  it('AWS: Lambda (multi-session host), S3 (two denials), region-locked SCP', async () => {
    const lambda = await e2e.open(SIM_URLS.lambdaFunctions);
    expect(await alertText(lambda)).toContain(
      'lambda:ListFunctions on resource: * because no identity-based policy',
    );
    await lambda.close();

    const s3 = await e2e.open(SIM_URLS.s3Bucket);
    await s3.waitForFunction(() => document.querySelectorAll('[role="alert"]').length === 2, {
      timeout: 5000,
    });
    const s3Text = await alertText(s3);
    expect(s3Text).toContain('allow the s3:ListBucket action');
    expect(s3Text).toContain('s3:GetBucketTagging');
    await saveScreenshot(s3, 'sim-aws-s3');
    await s3.close();

    const scp = await e2e.open(SIM_URLS.ec2RegionLockedScp);
    expect(await alertText(scp)).toContain('with an explicit deny in a service control policy');
    await scp.close();
  });

  it('Azure: VM start notification and RequestDisallowedByPolicy validation', async () => {
    const vm = await e2e.open(SIM_URLS.azureVm);
    await clickPageButton(vm, '#vm-start');
    const text = await alertText(vm);
    expect(text).toContain("perform action 'Microsoft.Compute/virtualMachines/start/action'");
    expect(text).toContain(AZURE.subscription);
    await saveScreenshot(vm, 'sim-azure-vm');
    await vm.close();

    const pol = await e2e.open(SIM_URLS.azureStoragePolicy);
    expect(await alertText(pol)).toContain('(RequestDisallowedByPolicy)');
    await pol.close();
  });

  it('GCP: additional-access panel and BigQuery', async () => {
    const page = await e2e.open(SIM_URLS.gcpInstances);
    const text = await alertText(page);
    expect(text).toContain(`You need additional access to the project:  ${GCP.project}`);
    expect(text).toMatch(
      /Troubleshooting info:[\s\S]*Missing permissions:\s*compute\.instances\.list\s*compute\.instances\.get/,
    );
    await saveScreenshot(page, 'sim-gcp-instances');
    await page.close();

    const bq = await e2e.open(SIM_URLS.gcpBigQuery);
    await clickPageButton(bq, '#run-query');
    expect(await alertText(bq)).toContain('bigquery.jobs.create permission');
    await bq.close();
  });

  it('no-denial pages and example.com render', async () => {
    for (const url of [SIM_URLS.iamPolicyEditor, SIM_URLS.azureIam, SIM_URLS.gcpRoles]) {
      const page = await e2e.open(url);
      const body = await page.evaluate(() => document.body.innerText);
      expect(body).toMatch(/permission/i);
      expect(await page.$('[role="alert"]')).toBeNull();
      await page.close();
    }
    const ex = await e2e.open(SIM_URLS.exampleDenial);
    expect(await alertText(ex)).toContain('is not authorized to perform: lambda:ListFunctions');
    await ex.close();
  });

  it('bench page: 20k nodes, mutations, __insertDenial hook', async () => {
    const page = await e2e.open(`${SIM_URLS.benchHeavy}?rate=1000&duration=1`);
    const nodes = await page.evaluate(
      () => (window as unknown as { __bench: { nodes: number } }).__bench.nodes,
    );
    expect(nodes).toBeGreaterThanOrEqual(20_000);
    const done = await page.evaluate(
      () => (window as unknown as { __benchDone: Promise<{ mutations: number }> }).__benchDone,
    );
    expect(done.mutations).toBeGreaterThanOrEqual(900);
    const at = await page.evaluate(() => {
      const w = window as unknown as { __insertDenial(): number; __denialInsertedAt: number };
      w.__insertDenial();
      return w.__denialInsertedAt;
    });
    expect(at).toBeGreaterThan(0);
    await page.close();
  });
});

// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createWatcher,
  extractText,
  TEXT_CAP,
  type Candidate,
  type Watcher,
} from '../../lib/content/watcher';

const DENIAL = 'User: arn:aws:iam::222222222222:user/alice is not authorized to perform: s3:ListBucket';

let watcher: Watcher | undefined;
let batches: Candidate[][];
const tick = () => new Promise((r) => setTimeout(r, 0));

function start(prefilter?: (t: string) => boolean) {
  batches = [];
  // Run each batch synchronously on demand (flushNow) instead of at idle time.
  watcher = createWatcher(document, { onCandidates: (c) => batches.push(c), prefilter }, () => {});
  return watcher;
}

beforeEach(() => {
  document.body.innerHTML = '<header>Console</header><main id="app"></main>';
});
afterEach(() => watcher?.stop());

describe('extractText', () => {
  it('keeps inline markup in one token and separates blocks', () => {
    const div = document.createElement('div');
    div.innerHTML = '<p>is not authorized to perform: s3:<b>GetObject</b></p><p>Retry</p>';
    expect(extractText(div)).toBe('is not authorized to perform: s3:GetObject\nRetry');
  });

  it('skips scripts, styles, help panels, tooltips, code blocks and our own host', () => {
    const div = document.createElement('div');
    div.innerHTML = `<script>access denied</script><style>.x{}</style>
      <div class="awsui_help-panel_1">Example: ${DENIAL}</div><span role="tooltip">access denied</span>
      <pre>${DENIAL}</pre><unblock-banner>Access denied</unblock-banner><p>visible</p>`;
    expect(extractText(div).trim()).toBe('visible');
  });

  it('keeps code inside an alert', () => {
    const div = document.createElement('div');
    div.innerHTML = '<div role="alert">Missing <code>s3:ListBucket</code></div>';
    expect(extractText(div)).toContain('s3:ListBucket');
  });

  it('caps the text', () => {
    const div = document.createElement('div');
    div.textContent = 'x'.repeat(TEXT_CAP + 10);
    expect(extractText(div)).toHaveLength(TEXT_CAP);
  });
});

describe('watcher', () => {
  it('scans the page once at load', () => {
    document.querySelector('main')!.innerHTML = `<div role="alert">${DENIAL}</div>`;
    start().scanInitial();
    watcher!.flushNow();
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]!.text).toContain('s3:ListBucket');
  });

  it('reads only added nodes, and only those passing the prefilter', async () => {
    const prefilter = vi.fn((t: string) => /not authorized/.test(t));
    start(prefilter);
    const big = document.createElement('section');
    big.textContent = 'Lots of unrelated console content. '.repeat(100);
    document.body.append(big);
    await tick();
    watcher!.flushNow();
    expect(batches).toHaveLength(0);

    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.innerHTML = `<h3>Failed to list objects</h3><p>${DENIAL}</p>`;
    document.querySelector('main')!.append(alert);
    await tick();
    prefilter.mockClear();
    watcher!.flushNow();
    expect(batches).toHaveLength(1);
    // Only the new alert was read, not the whole document: first its raw text (the cheap
    // rejection test), then its extracted text with block breaks.
    expect(prefilter.mock.calls.map((c) => c[0])).toEqual([
      `Failed to list objects${DENIAL}`,
      `Failed to list objects\n${DENIAL}`,
    ]);
    expect(batches[0]![0]!.node).toBe(alert);
  });

  it('reads a changed text node with its block, and does not re-send the same text', async () => {
    const p = document.createElement('p');
    p.innerHTML = 'Status: <b>ok</b>';
    document.querySelector('main')!.append(p);
    start();
    p.querySelector('b')!.firstChild!.nodeValue = 'Access Denied';
    await tick();
    watcher!.flushNow();
    expect(batches[0]?.[0]?.text).toBe('Status: Access Denied');
    p.querySelector('b')!.firstChild!.nodeValue = 'Access Denied'; // same text re-rendered
    await tick();
    watcher!.flushNow();
    expect(batches).toHaveLength(1);
  });

  it('ignores nodes added inside help containers', async () => {
    const help = document.createElement('aside');
    help.className = 'help-panel';
    document.body.append(help);
    start();
    const p = document.createElement('p');
    p.textContent = DENIAL;
    help.append(p);
    await tick();
    watcher!.flushNow();
    expect(batches).toHaveLength(0);
  });

  it('batches several mutations into one idle callback', async () => {
    const schedule = vi.fn();
    const w = createWatcher(document, { onCandidates: () => {} }, schedule);
    for (let i = 0; i < 5; i++) document.body.append(document.createElement('div'));
    await tick();
    w.stop();
    expect(schedule).toHaveBeenCalledTimes(1);
  });
});

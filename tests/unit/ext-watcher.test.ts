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
    // The batch is asked for once the added nodes have had their moment to settle.
    await new Promise((r) => setTimeout(r, 60));
    w.stop();
    expect(schedule).toHaveBeenCalledTimes(1);
  });
});

describe('watcher: settled text', () => {
  let t = 0;
  function startTimed() {
    batches = [];
    t = 1000;
    watcher = createWatcher(document, { onCandidates: (c) => batches.push(c), now: () => t }, () => {});
    return watcher;
  }
  const settle = (ms: number) => {
    t += ms;
    watcher!.flushNow({ settled: false });
  };

  it('reads an inserted alert after a moment, a changed text after a longer quiet', async () => {
    startTimed();
    const alert = document.createElement('div');
    alert.textContent = DENIAL;
    document.body.append(alert);
    await tick();
    settle(5);
    expect(batches).toHaveLength(0);
    settle(30);
    expect(batches.map((b) => b.map((c) => c.text))).toEqual([[DENIAL]]);
    batches = [];
    // "Loading…" replaced by the error soon after it was read: a new text, not a stream.
    const status = document.createElement('p');
    status.textContent = 'Loading…';
    document.body.append(status);
    await tick();
    settle(30);
    status.firstChild!.nodeValue = 'Access Denied';
    await tick();
    settle(50);
    expect(batches).toHaveLength(0);
    settle(60);
    expect(batches.map((b) => b.map((c) => c.text))).toEqual([['Access Denied']]);
  });

  it('waits for text written in pieces to stop changing, then reads it whole (bounded)', async () => {
    startTimed();
    const out = document.createElement('div');
    const node = document.createTextNode('');
    out.append(node);
    document.body.append(out);
    await tick();
    for (let i = 0; i < DENIAL.length; i += 12) {
      node.appendData(DENIAL.slice(i, i + 12));
      await tick();
      settle(60); // a piece every 60 ms: never quiet for long
    }
    expect(batches, 'nothing read while the text was arriving').toHaveLength(0);
    settle(500);
    expect(batches.map((b) => b.map((c) => c.text))).toEqual([[DENIAL]]);

    // A stream that never pauses is still read, MAX_WAIT after its first change.
    batches = [];
    const endless = document.createTextNode('');
    out.append(endless);
    await tick();
    for (let i = 0; i < 60 && !batches.length; i++) {
      endless.appendData(i === 0 ? 'Access Denied ' : 'more ');
      await tick();
      settle(60);
    }
    expect(batches.length).toBe(1);
  });

  it('reads a piece added later with the sentence it belongs to, as one source', async () => {
    startTimed();
    const p = document.createElement('p');
    p.textContent = 'User: arn:aws:iam::222222222222:user/alice is not authorized to perform: ';
    document.body.append(p);
    await tick();
    settle(10);
    const b = document.createElement('b');
    b.textContent = 's3:ListBucket';
    p.append(b);
    await tick();
    settle(1000);
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]).toMatchObject({ text: DENIAL, node: p });
    // A later change of the same block keeps its source id.
    const first = batches[0]![0]!.source;
    p.append(' on resource: arn:aws:s3:::reports');
    await tick();
    settle(1000);
    expect(batches[1]![0]!.source).toBe(first);
  });
});

describe('watcher: what it sees', () => {
  it('reads a toast removed before it was read, but not a node removed from a help panel', async () => {
    start();
    const toast = document.createElement('div');
    toast.setAttribute('role', 'alert');
    toast.textContent = DENIAL;
    const help = document.createElement('aside');
    help.className = 'help';
    document.body.append(toast, help);
    await tick();
    const quoted = document.createElement('p');
    quoted.textContent = DENIAL.replace('alice', 'bob');
    help.append(quoted);
    await tick();
    toast.remove();
    quoted.remove();
    await tick();
    watcher!.flushNow();
    expect(batches.flat().map((c) => c.text)).toEqual([DENIAL]);
  });

  it('reads a pre-rendered notice when `hidden` is removed', async () => {
    const notice = document.createElement('div');
    notice.hidden = true;
    notice.textContent = DENIAL;
    document.body.append(notice);
    start().scanInitial();
    watcher!.flushNow();
    expect(batches).toHaveLength(0);
    notice.hidden = false;
    await tick();
    watcher!.flushNow();
    expect(batches.flat().map((c) => c.text)).toEqual([DENIAL]);
  });

  it('reads open shadow roots: present at start, attached in an added subtree, nested, and changing', async () => {
    const early = document.createElement('div');
    early.attachShadow({ mode: 'open' }).innerHTML = `<p>${DENIAL}</p>`;
    document.body.append(early);
    start().scanInitial();
    watcher!.flushNow();
    watcher!.flushNow();
    expect(batches.flat().map((c) => c.text)).toEqual([DENIAL]);
    expect(batches[0]![0]!.node).toBe(early);

    batches = [];
    const outer = document.createElement('section');
    const inner = document.createElement('div');
    outer.attachShadow({ mode: 'open' }).append(inner);
    const innerRoot = inner.attachShadow({ mode: 'open' });
    innerRoot.innerHTML = '<p>Loading…</p>';
    document.body.append(outer);
    await tick();
    watcher!.flushNow();
    watcher!.flushNow();
    innerRoot.firstElementChild!.textContent = 'Access Denied for s3:GetBucketPolicy';
    await tick();
    watcher!.flushNow();
    expect(batches.flat().map((c) => c.text)).toEqual(['Access Denied for s3:GetBucketPolicy']);
    expect(batches.flat()[0]!.node).toBe(inner);
  });

  it('finds a closed root nowhere (our own banner stays unread)', async () => {
    start().scanInitial();
    const host = document.createElement('div');
    host.attachShadow({ mode: 'closed' }).innerHTML = `<p>${DENIAL}</p>`;
    document.body.append(host);
    await tick();
    watcher!.flushNow();
    watcher!.flushNow();
    expect(batches).toHaveLength(0);
  });

  it('reads text past the first megabyte in bounded chunks that overlap', () => {
    const log = document.createElement('div');
    const line = '2026-11-25T12:00:00Z INFO request completed, cache hit\n';
    log.textContent = line.repeat(Math.ceil((TEXT_CAP * 1.3) / line.length));
    const last = document.createElement('div');
    last.textContent = DENIAL;
    log.append(last);
    document.body.append(log);
    start().scanInitial();
    const texts: string[] = [];
    for (let i = 0; i < 20; i++) {
      watcher!.flushNow();
      texts.push(...batches.flat().map((c) => c.text));
      batches = [];
    }
    expect(texts).toHaveLength(1);
    expect(texts[0]!.endsWith(DENIAL)).toBe(true);
    expect(texts[0]!.length).toBeLessThanOrEqual(256_000);
  });

  it('reads table cells wrapped in tooltip triggers, but not tooltip bubbles', () => {
    const div = document.createElement('div');
    div.innerHTML =
      `<table><tr><td><span class="mat-mdc-tooltip-trigger">${DENIAL}</span></td>` +
      '<td><div class="ms-TooltipHost">x</div></td></tr></table><div class="tooltip">Access Denied</div>';
    expect(extractText(div)).toBe(`${DENIAL}\nx`);
  });
});

describe('extractText: <pre> and <code>', () => {
  const read = (html: string) => {
    const div = document.createElement('div');
    div.innerHTML = html;
    return extractText(div);
  };
  const JSON_ERROR = `{\n  "error": {\n    "code": 403,\n    "message": "${DENIAL}"\n  }\n}`;

  it('reads error output: under an "Error details" label, in an error box, or reading like a log', () => {
    expect(read(`<h3>Error details</h3><pre>${DENIAL}</pre>`)).toContain('s3:ListBucket');
    expect(read(`<details><summary>Show response</summary><pre>${DENIAL}</pre></details>`)).toContain(
      's3:ListBucket',
    );
    expect(read(`<div class="errorPanel"><pre>${DENIAL}</pre></div>`)).toContain('s3:ListBucket');
    expect(read(`<pre>${JSON_ERROR}</pre>`)).toContain('s3:ListBucket');
    expect(read(`<pre>2026-11-25T12:00:00Z ERROR ${DENIAL}</pre>`)).toContain('s3:ListBucket');
    expect(read(`<p>Missing <code>s3:ListBucket</code> on the bucket</p>`)).toBe(
      'Missing s3:ListBucket on the bucket',
    );
  });

  it('skips documentation samples and code editors, error-looking or not', () => {
    expect(read(`<article><h3>Error details</h3><pre><code>${JSON_ERROR}</code></pre></article>`)).toBe(
      'Error details',
    );
    expect(read(`<div class="markdown-body"><pre>${JSON_ERROR}</pre></div>`)).toBe('');
    expect(
      read(
        `<div class="monaco-editor"><div class="view-line"><span><span>${DENIAL}</span></span></div></div>`,
      ),
    ).toBe('');
    expect(
      read(`<div class="cm-editor"><div class="cm-content" contenteditable="true">${DENIAL}</div></div>`),
    ).toBe('');
    expect(read(`<pre>${DENIAL}</pre>`)).toBe('');
  });
});

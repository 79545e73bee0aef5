/**
 * The loop's figures and its section of docs/benchmarks.md: the rows with their targets, how
 * they were measured (with the medians of each landing's steps), and the section writer.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { POLL_MS } from '../../lib/background/request-flow';
import { BENCH_FILE, machineDescription, median } from '../report';
import { ms, RUNS } from './common';
import type { SimPropagation } from '../../sim/clouds/demo';
import type { LandingRun } from './landing';
import type { PopupRun } from './popup';
import type { PropagationRun } from './propagation';

interface Stats {
  median: number;
  p90: number;
  min: number;
  max: number;
  n: number;
}

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  // Nearest rank: with 10 runs the p90 is the 9th value, an actual observation.
  const p90 = s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]!;
  return { median: median(s), p90, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

export interface LoopRow {
  name: string;
  /** Milliseconds, or null when informational. */
  targetMs: number | null;
  values: number[];
}

/** Other work on the machine shows in these figures: recorded with them. */
const loadAtStart = os.loadavg()[0]!;

/** The loop's section: when, where, the table of rows, then how it was measured. */
export function renderSection(rows: LoopRow[], chromium: string, method: string[]): string {
  const lines = [
    '## The local loop in a real browser',
    '',
    'Produced by `npm run bench:loop`.',
    '',
    `- Date: ${new Date().toISOString().slice(0, 10)}`,
    `- Machine: ${machineDescription()}`,
    `- Browser: ${chromium}, headless, extension from .output/chrome-mv3`,
    `- Load average (1 min) when the run started: ${loadAtStart.toFixed(1)}`,
    '',
    '| Measure | Target | Median | p90 / min / max | n | Result |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const s = stats(r.values);
    const result = r.targetMs === null ? '—' : s.median <= r.targetMs ? 'met' : '**missed**';
    lines.push(
      `| ${r.name} | ${r.targetMs === null ? '—' : `≤ ${ms(r.targetMs)}`} | ${ms(s.median)} | ${ms(s.p90)} / ${ms(s.min)} / ${ms(s.max)} | ${s.n} | ${result} |`,
    );
  }
  lines.push('', ...method);
  return lines.join('\n');
}

/**
 * Replaces (or appends) this benchmark's section and leaves the rest of the file alone; the other
 * writers (bench/report.ts) keep every `<!-- bench:ID -->` section they find, this one included.
 */
export function writeSection(id: string, body: string): void {
  const begin = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const block = `${begin}\n${body}\n${end}`;
  const current = existsSync(BENCH_FILE) ? readFileSync(BENCH_FILE, 'utf8') : '# Benchmarks\n';
  const at = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    at >= 0 && stop > at
      ? `${current.slice(0, at)}${block}${current.slice(stop + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCH_FILE, next);
}

/** What the loop measured, as its rows. */
export interface LoopFigures {
  landing: LandingRun[];
  /** Grant active → page works on Azure and GCP, and the simulated propagation times. */
  propagation: { azure: PropagationRun[]; gcp: PropagationRun[]; delays: SimPropagation };
  sidebar: number[];
  popup: { cold: PopupRun[]; cached: PopupRun[] };
}

/** The target for "grant active → page works": within 5 s of the simulated propagation time. */
export const PROPAGATION_SLACK_MS = 5000;

function propagationRows({ landing, propagation }: LoopFigures): LoopRow[] {
  const { delays } = propagation;
  const secs = (v: number) => `${v / 1000} s`;
  return [
    {
      name: 'Grant active → denied page works, AWS (federation sign-in into a new session: no propagation)',
      targetMs: PROPAGATION_SLACK_MS,
      values: landing.map((r) => r.total - r.grantActive),
    },
    {
      name: `Grant active → denied page works, Azure (console shows grants ${secs(delays.azure)} after they are made; reload and retry)`,
      targetMs: delays.azure + PROPAGATION_SLACK_MS,
      values: propagation.azure.map((r) => r.activeToWorks),
    },
    {
      name: `Grant active → denied page works, GCP (console shows grants ${secs(delays.gcp)} after they are made; reload and retry)`,
      targetMs: delays.gcp + PROPAGATION_SLACK_MS,
      values: propagation.gcp.map((r) => r.activeToWorks),
    },
  ];
}

export function loopRows(figures: LoopFigures): LoopRow[] {
  const { landing, sidebar, popup } = figures;
  return [
    {
      name: 'Click “Request access” → same tab landed on the denied console page with content (AWS, auto-approved read)',
      targetMs: 1500,
      values: landing.map((r) => r.total),
    },
    ...propagationRows(figures),
    {
      name: 'Request submitted → in the approver’s side panel (bob’s browser, event stream)',
      targetMs: 1000,
      values: sidebar,
    },
    {
      name: 'Popup open → grant list rendered, from the IndexedDB cache',
      targetMs: null,
      values: popup.cached.map((r) => r.frame),
    },
    {
      name: 'Popup open → grant list rendered, cold (empty cache: waits for the broker)',
      targetMs: null,
      values: popup.cold.map((r) => r.frame),
    },
  ];
}

/** How each measure was taken, with the medians of the landing's steps and the popup's parts. */
export function methodLines({ landing, popup, propagation }: LoopFigures): string[] {
  const part = (f: (r: LandingRun) => number) => ms(median(landing.map(f)));
  // A run waited for the poll timer when two of its looks at the grant are (about) POLL_MS apart.
  const gapsOf = (r: LandingRun) => r.grantPolls.slice(1).map((t, i) => t - r.grantPolls[i]!);
  const waitedPoll = (r: LandingRun) => gapsOf(r).some((g) => g >= 0.9 * POLL_MS);
  const waited = landing.filter(waitedPoll);
  const direct = landing.filter((r) => !waitedPoll(r));
  const groupMedian = (runs: LandingRun[]) => (runs.length ? ms(median(runs.map((r) => r.total))) : 'none');
  const popupPart = (runs: PopupRun[], f: (r: PopupRun) => number | null) =>
    ms(median(runs.map(f).filter((v): v is number => v !== null)));
  return [
    `- Method: everything on this machine in one Node process (demo clouds, broker on in-memory PGlite, simulated consoles) and two headless Chromiums with the extension (alice's, bob's); ${RUNS} counted runs per measure, after one uncounted warm-up for the landing and the side panel (besides one-off warming, Chromium answers an extension's first \`chrome.storage.managed\` read only seconds after it starts; the extension starts that read when its worker starts).`,
    '- Landing: each run opens a fresh tab on the sandbox Lambda page after revoking the previous run’s grant through the API, so it files a new request that policy approves, the broker provisions (STS AssumeRole on the AWS fake) and the extension lands through the federation sign-in (each run checked: a new grant, a `/federation` navigation); measured from the trusted click’s event time to a MutationObserver in the landed document seeing the functions table.',
    `- Where the landing time goes (medians, ms after the click): request at the broker ${part((r) => r.submit)}, landing asked ${part((r) => r.landingAsked)}, tab navigating to the sign-in URL ${part((r) => r.navStart)}, landed document loaded ${part((r) => r.loaded)}, then the console page's own API call (300 ms simulated latency) before the table. ${waited.length} of ${landing.length} runs found the grant still provisioning when the extension looked right after the submission and then waited a whole poll interval (lib/background/request-flow.ts \`POLL_MS\` = ${ms(POLL_MS)}) before looking again${waited.length ? `: median ${groupMedian(waited)}${direct.length ? `, against ${groupMedian(direct)} for the others` : ''}` : " (the broker's grant event wakes it)"}.`,
    `- Grant active → page works: from the provisioner's call reaching the cloud fake (AWS: STS AssumeRole; Azure: the PIM schedule request; GCP: setIamPolicy), stamped in this process, to a MutationObserver in the landed document seeing the page's content (page clock, corrected by its measured offset). AWS: the landing runs above (the sign-in opens a new console session, which carries the grant at once). Azure and GCP: the simulated consoles keep answering the denial until the grant has been active for the demo's propagation time (sim/clouds/demo.ts \`DEMO_PROPAGATION\`, sim/consoles/propagation.ts); each run opens a fresh tab on the dev page (Azure: the VM blade; GCP: the VM list), files a request that policy approves, and the extension reloads the tab at once and again after 2 s, 4 s, 8 s… while the denial comes back (lib/background/propagation.ts); the previous run's grant is revoked first (on Azure after moving cloud time past PIM's 5-minute floor). Documents loaded per run (median): Azure ${median(propagation.azure.map((r) => r.loads))}, GCP ${median(propagation.gcp.map((r) => r.loads))}. Target: within ${ms(PROPAGATION_SLACK_MS)} of the simulated propagation time.`,
    '- Side panel: bob’s side panel page open in a tab of his own browser, with its event stream connected; from just before alice’s `POST /api/v1/requests` (this process’s clock, corrected by the measured offset of the page’s clock) to a MutationObserver in the panel seeing the queue item with the request’s justification; each request is withdrawn (and gone from the panel) before the next.',
    `- Popup: popup.html opened in a new tab, alice holding three active grants; from navigation start to the frame after the first grant row is in the DOM (DOM insertion: cached ${popupPart(popup.cached, (r) => r.dom)}, cold ${popupPart(popup.cold, (r) => r.dom)}; the page’s first contentful paint: cached ${popupPart(popup.cached, (r) => r.fcp)}, cold ${popupPart(popup.cold, (r) => r.fcp)}); a cold open follows a deletion of the popup’s IndexedDB cache, a cached one follows a cold one.`,
  ];
}

/** The figures on stdout, then the method lines worth reading there. */
export function printSummary(rows: LoopRow[], method: string[]): void {
  for (const r of rows) {
    const s = stats(r.values);
    process.stdout.write(
      `  ${r.name}: median ${ms(s.median)} (p90 ${ms(s.p90)}, min ${ms(s.min)}, max ${ms(s.max)})\n`,
    );
  }
  process.stdout.write(`${method.slice(2).join('\n')}\n`);
}

/**
 * Where a loop's time goes, without touching the code under measure. Timestamps are taken where
 * the thing happens, as `performance.timeOrigin + performance.now()` (epoch milliseconds,
 * sub-millisecond): the broker's and the clouds' requests in this process through
 * `diagnostics_channel`, the page's own events in the page. Node and each page have their own
 * origin; where a figure spans both, `clockOffset` measures the page's offset first.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Page } from 'puppeteer-core';

export const nowMs = (): number => performance.timeOrigin + performance.now();

/** How far ahead of this process's clock the page's clock is (ms): the round trip with the smallest delay wins. */
export async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const a = nowMs();
    const p = (await page.evaluate('performance.timeOrigin + performance.now()')) as number;
    const b = nowMs();
    if (b - a < best.rtt) best = { rtt: b - a, offset: p - (a + b) / 2 };
  }
  return best.offset;
}

/** One HTTP request an in-process server received. */
export interface Hit {
  at: number;
  host: string;
  method: string;
  path: string;
}

/** A stall of this process's event loop, stamped when it ended. */
export interface Stall {
  at: number;
  ms: number;
}

/**
 * Every HTTP request the in-process servers receive (broker, cloud fakes, consoles), stamped on
 * arrival: where a landing's time goes, without touching the code under measure.
 */
export function recordHttp(): Hit[] {
  const hits: Hit[] = [];
  subscribe('http.server.request.start', (message) => {
    const { request } = message as { request: IncomingMessage };
    hits.push({
      at: nowMs(),
      host: request.headers.host ?? '',
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0]!,
    });
  });
  return hits;
}

/**
 * Stalls of this process's event loop (> 50 ms), when they ended: the broker, the clouds and the
 * consoles all run here, so a stall delays every one of them (verbose timelines show them).
 */
export function recordStalls(): Stall[] {
  const stalls: Stall[] = [];
  let last = nowMs();
  setInterval(() => {
    const t = nowMs();
    if (t - last > 60) stalls.push({ at: t, ms: t - last - 10 });
    last = t;
  }, 10).unref();
  return stalls;
}

/** What the in-process servers and this process's event loop did, as the measures read it. */
export interface Timeline {
  hits: Hit[];
  stalls: Stall[];
}

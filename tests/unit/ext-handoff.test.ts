import { describe, expect, it, vi } from 'vitest';
import {
  handOff,
  resetBridge,
  QUEUE_MAX,
  type CandidateBatch,
  type UnblockBridge,
} from '../../lib/content/handoff';

const batch = (text: string): CandidateBatch => ({
  texts: [text],
  nodes: [],
  context: { cloud: 'aws' },
  pageUrl: 'https://console.aws.amazon.com/',
});
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('handOff', () => {
  it('queues until the chunk registers, asking for the chunk only once', async () => {
    const b: UnblockBridge = { queue: [] };
    const requestUi = vi.fn(() => Promise.resolve(true));
    handOff(batch('a'), requestUi, b);
    handOff(batch('b'), requestUi, b);
    await flush();
    expect(requestUi).toHaveBeenCalledTimes(1);
    expect(b.queue.map((x) => x.texts[0])).toEqual(['a', 'b']);
    const deliver = vi.fn();
    b.deliver = deliver;
    handOff(batch('c'), requestUi, b);
    expect(deliver).toHaveBeenCalledWith(batch('c'));
  });

  it('asks again after a refused or failed request', async () => {
    const b: UnblockBridge = { queue: [] };
    const requestUi = vi
      .fn()
      .mockResolvedValueOnce(false)
      .mockRejectedValueOnce(new Error('gone'))
      .mockResolvedValue(true);
    handOff(batch('a'), requestUi, b);
    await flush();
    handOff(batch('b'), requestUi, b);
    await flush();
    handOff(batch('c'), requestUi, b);
    await flush();
    handOff(batch('d'), requestUi, b);
    expect(requestUi).toHaveBeenCalledTimes(3);
  });

  it('keeps the queue bounded when the chunk never loads', () => {
    const b: UnblockBridge = { queue: [] };
    for (let i = 0; i < QUEUE_MAX + 15; i++) handOff(batch(String(i)), () => new Promise(() => {}), b);
    expect(b.queue).toHaveLength(QUEUE_MAX);
    expect(b.queue[0]!.texts[0]).toBe('15');
  });

  it('drops a chunk left by a previous extension instance', () => {
    const teardown = vi.fn();
    const b: UnblockBridge = { queue: [batch('old')], deliver: vi.fn(), uiRequested: true, teardown };
    resetBridge(b);
    expect(teardown).toHaveBeenCalled();
    expect(b).toEqual({ queue: [], deliver: undefined, teardown: undefined, uiRequested: false });
  });
});

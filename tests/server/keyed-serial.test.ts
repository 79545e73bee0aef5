import { describe, expect, it } from 'vitest';
import { createKeyedSerial } from '../../server/provision/keyed-serial';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('createKeyedSerial', () => {
  it('runs tasks for one key one at a time, in order, and different keys at once', async () => {
    const serial = createKeyedSerial();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      serial('a', task('a1')),
      serial('a', task('a2')),
      serial('b', task('b1')),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
  });

  it('goes on with the next task after one fails, and passes the failure to its caller', async () => {
    const serial = createKeyedSerial();
    const failed = serial('k', () => Promise.reject(new Error('boom')));
    const next = serial('k', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});

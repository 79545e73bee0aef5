import { describe, expect, it } from 'vitest';
import { Denial } from '../../lib/contract/denial';

describe('Denial contract', () => {
  it('rejects a denial with an unknown cloud and names the field', () => {
    const r = Denial.safeParse({ cloud: 'oracle' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('cloud');
  });
});

/**
 * The simulated consoles' lag behind the cloud fakes (sim/consoles/propagation.ts): a grant shows
 * on the console only once it has been active in the cloud for the cloud's propagation time
 * (sim/clouds/demo.ts `SimPropagation`), and the demo's settings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../sim/clouds/clock';
import {
  DEMO_PROPAGATION,
  NO_PROPAGATION,
  parseSimPropagation,
  VENDOR_PROPAGATION,
  type DemoClouds,
  type SimPropagation,
} from '../../sim/clouds/demo';
import { SIM_API } from '../../sim/consoles/messages';
import { cloudAllows, watchGrants, type GrantVisibility } from '../../sim/consoles/propagation';

const AZURE_CALL = 'azure-vm-read-dev';
const GCP_CALL = 'gcp-compute-instances-list-dev';

/** The fakes as the watch sees them: which permissions alice holds now, on a controllable clock. */
function clouds(propagation: SimPropagation) {
  const clock = new FakeClock();
  clock.freeze(new Date('2026-03-02T10:00:00.000Z'));
  const granted = new Set<string>();
  const stub = {
    clock,
    propagation: { ...propagation },
    azure: { state: { allows: (_who: string, _sub: string, action: string) => granted.has(action) } },
    gcp: { state: { allows: (_who: string, _project: string, action: string) => granted.has(action) } },
  };
  return { clouds: stub as unknown as DemoClouds, clock, granted };
}

let watch: GrantVisibility | undefined;
afterEach(() => watch?.stop());

/** What the console would answer for a call now (the fake asked as console-api.ts does). */
function shows(visibility: GrantVisibility, demo: DemoClouds, name: string): boolean {
  const entry = SIM_API[name]!;
  return visibility.shows(name, entry, cloudAllows({ entry, action: entry.action! }, demo));
}

describe('simulated console propagation', () => {
  it('the entries it watches exist, with the actions the stubs grant', () => {
    expect(SIM_API[AZURE_CALL]).toMatchObject({
      cloud: 'azure',
      action: 'Microsoft.Compute/virtualMachines/read',
    });
    expect(SIM_API[GCP_CALL]).toMatchObject({ cloud: 'gcp', action: 'compute.instances.list' });
  });

  it('keeps denying a new grant for the cloud’s propagation time, then allows it', () => {
    const { clouds: demo, clock, granted } = clouds({ azure: 5000, gcp: 6000 });
    watch = watchGrants(demo, 60_000);
    expect(shows(watch, demo, AZURE_CALL)).toBe(false);
    granted.add('Microsoft.Compute/virtualMachines/read');
    granted.add('compute.instances.list');
    // Active in the cloud, not yet on the console.
    expect(shows(watch, demo, AZURE_CALL)).toBe(false);
    expect(shows(watch, demo, GCP_CALL)).toBe(false);
    clock.freeze(new Date(clock.now().getTime() + 4999));
    expect(shows(watch, demo, AZURE_CALL)).toBe(false);
    clock.freeze(new Date(clock.now().getTime() + 1));
    expect(shows(watch, demo, AZURE_CALL)).toBe(true);
    expect(shows(watch, demo, GCP_CALL)).toBe(false);
    clock.freeze(new Date(clock.now().getTime() + 1000));
    expect(shows(watch, demo, GCP_CALL)).toBe(true);

    // Revoked: gone from the console at once; granted again: the wait starts over.
    granted.delete('compute.instances.list');
    expect(shows(watch, demo, GCP_CALL)).toBe(false);
    granted.add('compute.instances.list');
    expect(shows(watch, demo, GCP_CALL)).toBe(false);
    clock.freeze(new Date(clock.now().getTime() + 6000));
    expect(shows(watch, demo, GCP_CALL)).toBe(true);
  });

  it('counts from when the grant became active, noticed by its poll even when no page asked', async () => {
    const { clouds: demo, clock, granted } = clouds({ azure: 5000, gcp: 0 });
    watch = watchGrants(demo, 10);
    granted.add('Microsoft.Compute/virtualMachines/read');
    await new Promise((r) => setTimeout(r, 50));
    // Nobody asked while the grant propagated: the console shows it on the first ask.
    clock.freeze(new Date(clock.now().getTime() + 5000));
    expect(shows(watch, demo, AZURE_CALL)).toBe(true);
  });

  it('with no propagation, and for the settings changed at run time', () => {
    const { clouds: demo, granted } = clouds(NO_PROPAGATION);
    watch = watchGrants(demo, 60_000);
    granted.add('compute.instances.list');
    expect(shows(watch, demo, GCP_CALL)).toBe(true);
    granted.add('Microsoft.Compute/virtualMachines/read');
    demo.propagation.azure = 60_000;
    expect(shows(watch, demo, AZURE_CALL)).toBe(false);
  });

  it('the demo’s settings: a few seconds by default, the vendors’ typical times on request', () => {
    expect(parseSimPropagation(undefined)).toEqual(DEMO_PROPAGATION);
    expect(DEMO_PROPAGATION).toEqual({ azure: 5000, gcp: 6000 });
    expect(parseSimPropagation('vendor')).toEqual(VENDOR_PROPAGATION);
    expect(VENDOR_PROPAGATION).toEqual({ azure: 120_000, gcp: 120_000 });
    expect(parseSimPropagation('none')).toEqual({ azure: 0, gcp: 0 });
    expect(parseSimPropagation('azure=30s, gcp=2m')).toEqual({ azure: 30_000, gcp: 120_000 });
    expect(parseSimPropagation('gcp=1500ms')).toEqual({ azure: 0, gcp: 1500 });
    expect(() => parseSimPropagation('aws=5s')).toThrow(/UNBLOCK_SIM_PROPAGATION/);
    expect(() => parseSimPropagation('azure=soon')).toThrow(/UNBLOCK_SIM_PROPAGATION/);
  });
});

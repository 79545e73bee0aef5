/**
 * Fault injection for the out-of-process clouds (`npm run sim:clouds`): rules that make calls to
 * one cloud, optionally one operation of it, fail with a given HTTP status and error code or wait
 * before they are answered — for the next K matching calls, or each call with a probability. The
 * fault proxies (proxy.ts) ask `decide` before forwarding a call to the fake behind them.
 */
import * as z from 'zod';

export const SIM_CLOUDS = ['aws', 'azure', 'gcp', 'sim'] as const;
export type SimCloudName = (typeof SIM_CLOUDS)[number];

export const FaultRule = z
  .strictObject({
    /** Which fake: one cloud, or `*` for all of them. */
    cloud: z.enum([...SIM_CLOUDS, '*']),
    /**
     * One operation of it, as `GET /v1/operations` names them (AWS: the Query action, e.g.
     * `AssumeRole`; Azure: `PUT roleAssignmentScheduleRequests`; GCP: `setIamPolicy`; sim:
     * `PUT entitlements`); every operation when left out.
     */
    operation: z.string().min(1).max(200).optional(),
    /** Answer with this error instead of forwarding the call. */
    fail: z
      .strictObject({
        status: z.int().min(400).max(599),
        /** The cloud's error code in the answer (default: by status, e.g. ServiceUnavailable). */
        code: z.string().min(1).max(100).optional(),
      })
      .optional(),
    /** Wait this long before answering (and before failing, when `fail` is set too). */
    delayMs: z.int().min(1).max(120_000).optional(),
    /** Only the next this many matching calls (default: until cleared). */
    count: z.int().min(1).max(1_000_000).optional(),
    /** Each matching call with this probability (default 1). */
    probability: z.number().gt(0).max(1).optional(),
  })
  .refine((r) => r.fail !== undefined || r.delayMs !== undefined, {
    message: 'a fault needs fail or delayMs (or both)',
    path: ['fail'],
  });
export type FaultRule = z.infer<typeof FaultRule>;

interface ActiveRule {
  readonly id: number;
  readonly rule: FaultRule;
  remaining: number | null;
  hits: number;
}

export interface FaultDecision {
  readonly delayMs: number;
  readonly fail: { readonly status: number; readonly code: string } | null;
}

/** A code per status when the rule names none, in the words the clouds use. */
export function defaultCode(status: number): string {
  if (status === 429) return 'Throttling';
  if (status === 403) return 'AccessDenied';
  if (status === 409) return 'Conflict';
  if (status >= 500) return 'ServiceUnavailable';
  return 'InvalidRequest';
}

export class FaultTable {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  /** Calls seen per cloud and operation (so a tester can name operations to fault). */
  readonly seen = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ id, rule, remaining: rule.count ?? null, hits: 0 });
    return id;
  }

  clear(cloud?: SimCloudName | '*'): number {
    const before = this.rules.length;
    this.rules = cloud === undefined || cloud === '*' ? [] : this.rules.filter((r) => r.rule.cloud !== cloud);
    return before - this.rules.length;
  }

  list(): { id: number; rule: FaultRule; remaining: number | null; hits: number }[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** What to do with one call: the first matching rule that fires decides (delay and/or failure). */
  decide(cloud: SimCloudName, operation: string): FaultDecision {
    const key = `${cloud} ${operation}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.cloud !== '*' && rule.cloud !== cloud) continue;
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.hits += 1;
      if (active.remaining !== null) {
        active.remaining -= 1;
        if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
      }
      return {
        delayMs: rule.delayMs ?? 0,
        fail: rule.fail
          ? { status: rule.fail.status, code: rule.fail.code ?? defaultCode(rule.fail.status) }
          : null,
      };
    }
    return { delayMs: 0, fail: null };
  }
}

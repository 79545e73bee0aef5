// Loading a policy set: the schema and every policy are validated when the engine is created, and
// a bad file stops the broker with a message that names the file, the policy and the position.
import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../../server/policy/engine';
import {
  loadPolicyDir,
  PolicyLoadError,
  type PolicySource,
  type PolicySources,
} from '../../server/policy/load';

const defaults = loadPolicyDir();
const withFile = (name: string, text: string): PolicySources => ({
  schema: defaults.schema,
  policies: [...defaults.policies, { name, text }],
});

/** The PolicyLoadError thrown by creating an engine from `sources`. */
function loadError(sources: PolicySources): PolicyLoadError {
  try {
    createPolicyEngine(sources);
  } catch (e) {
    if (e instanceof PolicyLoadError) return e;
    throw e;
  }
  throw new Error('expected the policy set to be rejected');
}

describe('default policy set', () => {
  it('loads every *.cedar file next to the engine, each policy with an id and advice', () => {
    expect(defaults.policies.map((p) => p.name)).toEqual([
      'approve-not-own.cedar',
      'approve.cedar',
      'auto-approve.cedar',
      'break-glass.cedar',
      'quorum.cedar',
      'request-no-wildcards.cedar',
      'request.cedar',
      'revoke.cedar',
    ]);
    const engine = createPolicyEngine(defaults);
    expect(engine.policies.map((p) => p.id).sort()).toEqual([
      'approve.approver-group',
      'approve.escalation-group',
      'approve.not-own-request',
      'auto-approve.account-read-non-prod',
      'auto-approve.read-non-prod',
      'break-glass.group',
      'quorum.admin-on-prod',
      'quorum.one-approver',
      'request.engineers',
      'request.no-wildcards',
      'revoke.admins',
      'revoke.approver-group',
      'revoke.requester',
    ]);
    for (const p of engine.policies) expect(p.advice.length, p.id).toBeGreaterThan(20);
    expect(engine.policies.filter((p) => p.quorum).map((p) => [p.id, p.quorum])).toEqual([
      ['quorum.one-approver', 1],
      ['quorum.admin-on-prod', 2],
    ]);
    expect(engine.referencedGroups).toEqual(['admins', 'break-glass', 'engineers']);
  });
});

describe('validation at start', () => {
  it('a policy that does not type-check names its file, id and line', () => {
    const e = loadError(
      withFile(
        'extra.cedar',
        `// an extra rule\n\n@id("approve.on-call")\n@advice("On-call may approve.")\npermit (principal, action == Action::"approve", resource)\nwhen { context.onCall };\n`,
      ),
    );
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatchObject({ file: 'extra.cedar', policyId: 'approve.on-call', line: 6 });
    expect(e.message).toContain('extra.cedar:6:8: policy "approve.on-call":');
    expect(e.message).toMatch(/onCall/);
  });

  it('an optional attribute used without `has` is caught before it can error at runtime', () => {
    const e = loadError(
      withFile(
        'approve-2.cedar',
        '@id("approve.unguarded")\n@advice("x")\npermit (principal, action == Action::"approve", resource)\nwhen { principal in resource.approverGroup };',
      ),
    );
    expect(e.message).toMatch(/approve-2\.cedar:4:\d+: policy "approve\.unguarded": .*approverGroup/);
  });

  it('an unknown action or entity type is an error, not a policy that never matches', () => {
    const e = loadError(
      withFile(
        'typo.cedar',
        '@id("typo.action")\n@advice("x")\npermit (principal, action == Action::"aprove", resource);\n\n' +
          '@id("typo.type")\n@advice("x")\npermit (principal is Usr, action == Action::"request", resource);',
      ),
    );
    expect(e.problems.map((p) => p.policyId)).toEqual(expect.arrayContaining(['typo.action', 'typo.type']));
    expect(e.problems.every((p) => p.file === 'typo.cedar')).toBe(true);
  });

  it('a syntax error names the file and position', () => {
    const e = loadError(
      withFile('broken.cedar', '@id("a")\n@advice("x")\npermit (principal, action resource);'),
    );
    expect(e.problems[0]).toMatchObject({ file: 'broken.cedar', line: 3 });
    expect(e.message).toMatch(/^ {2}broken\.cedar:3:\d+: /m);
  });

  it('every policy needs an @id', () => {
    const e = loadError(
      withFile('anon.cedar', '@advice("x")\npermit (principal, action == Action::"request", resource);'),
    );
    expect(e.message).toMatch(/anon\.cedar:1:1: policy #1 has no @id/);
  });

  it('ids are unique across files', () => {
    const e = loadError(
      withFile(
        'dup.cedar',
        '@id("request.engineers")\n@advice("x")\npermit (principal, action == Action::"request", resource);',
      ),
    );
    expect(e.problems[0]).toMatchObject({ file: 'dup.cedar', policyId: 'request.engineers' });
    expect(e.message).toMatch(/already used in request\.cedar/);
  });

  it('every policy needs @advice for the people who will read the decision', () => {
    const e = loadError(
      withFile('quiet.cedar', '@id("quiet")\npermit (principal, action == Action::"request", resource);'),
    );
    expect(e.message).toMatch(/quiet\.cedar:1:1: policy "quiet": has no @advice/);
  });

  it('@quorum is 1 or 2', () => {
    const e = loadError(
      withFile(
        'q.cedar',
        '@id("quorum.three")\n@quorum("3")\n@advice("x")\npermit (principal, action == Action::"quorum", resource);',
      ),
    );
    expect(e.message).toMatch(/policy "quorum\.three": @quorum must be "1" or "2"/);
  });

  it('templates are refused (every policy is static data)', () => {
    const e = loadError(
      withFile('t.cedar', '@id("t")\n@advice("x")\npermit (principal == ?principal, action, resource);'),
    );
    expect(e.message).toMatch(/t\.cedar: .*template/);
  });

  it('reports every problem at once', () => {
    const e = loadError({
      schema: defaults.schema,
      policies: [
        ...defaults.policies,
        {
          name: 'a.cedar',
          text: '@id("a")\n@advice("x")\npermit (principal, action, resource) when { context.nope };',
        },
        {
          name: 'b.cedar',
          text: '@id("b")\n@advice("x")\npermit (principal, action, resource) when { resource.nope };',
        },
      ],
    });
    expect(new Set(e.problems.map((p) => p.file))).toEqual(new Set(['a.cedar', 'b.cedar']));
    expect(e.message).toMatch(/^Invalid Cedar policy set \(\d+ problems\):/);
  });

  it('a policy that can never match loads, with a warning naming it', () => {
    const engine = createPolicyEngine(
      withFile(
        'never.cedar',
        '@id("never")\n@advice("x")\npermit (principal, action == Action::"request", resource)\nwhen { context.risk == "read" && false };',
      ),
    );
    expect(engine.warnings).toEqual([
      expect.stringMatching(/^never\.cedar:1:1: policy "never": .*impossible/),
    ]);
    expect(createPolicyEngine(defaults).warnings).toEqual([]);
  });

  it('a broken schema names the schema file', () => {
    const schema: PolicySource = { name: 'schema.cedarschema', text: 'entity User in [Group;' };
    const e = loadError({ schema, policies: defaults.policies });
    expect(e.problems[0]?.file).toBe('schema.cedarschema');
  });
});

describe('policies given as data', () => {
  it('config can supply its own set, e.g. wildcards allowed for a platform group', () => {
    const policies = defaults.policies.map((p) =>
      p.name === 'request-no-wildcards.cedar'
        ? {
            name: 'config:policies.request-no-wildcards',
            text: p.text.replace(
              'when { context.hasWildcard };',
              'when { context.hasWildcard } unless { principal in Group::"platform" };',
            ),
          }
        : p,
    );
    const engine = createPolicyEngine({ schema: defaults.schema, policies }, { validateRequests: true });
    const target = {
      cloud: 'aws',
      account: '111111111111',
      environment: 'dev',
      approverGroup: 'approvers',
    } as const;
    const ask = (groups: string[]) =>
      engine.decideRequest({ user: 'pat', groups, target, actions: ['s3:*'], durationMinutes: 60 });
    expect(ask(['engineers']).decision).toBe('deny');
    // A wildcard is admin-level risk, so it is never automatic.
    expect(ask(['engineers', 'platform'])).toMatchObject({ decision: 'needs-approval', risk: 'admin' });
  });

  it('two engines in one process keep their own policies', () => {
    const strict = createPolicyEngine({
      schema: defaults.schema,
      policies: defaults.policies.filter((p) => p.name !== 'auto-approve.cedar'),
    });
    const normal = createPolicyEngine(defaults);
    const input = {
      user: 'alice',
      groups: ['engineers'],
      target: { cloud: 'gcp', account: 'acme-dev', environment: 'dev', approverGroup: 'approvers' },
      actions: ['storage.objects.get'],
      durationMinutes: 60,
    } as const;
    expect(strict.decideRequest(input).decision).toBe('needs-approval');
    expect(normal.decideRequest(input).decision).toBe('auto-approve');
  });

  it('a policy that errors at runtime is treated as a refusal, not ignored', () => {
    // Validates (types are fine) but overflows a 64-bit Long when evaluated. Cedar skips policies
    // that error, which for this forbid would mean allowing; the engine fails closed instead.
    const engine = createPolicyEngine({
      schema: defaults.schema,
      policies: [
        {
          name: 'open.cedar',
          text: '@id("open")\n@advice("Anyone may request.")\npermit (principal, action == Action::"request", resource);',
        },
        {
          name: 'overflow.cedar',
          text:
            '@id("overflow")\n@advice("Never longer than forever.")\nforbid (principal, action == Action::"request", resource)\n' +
            'when { context.durationMinutes * 9223372036854775807 < 0 };',
        },
      ],
    });
    const d = engine.decideRequest({
      user: 'alice',
      groups: [],
      target: { cloud: 'aws', account: '111111111111', environment: 'dev' },
      actions: ['s3:GetObject'],
      durationMinutes: 60,
    });
    expect(d.decision).toBe('deny');
    expect(d.advice).toContainEqual(expect.stringMatching(/^Policy error, treated as a refusal: overflow: /));
  });
});

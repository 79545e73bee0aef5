import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../lib/contract/status';
import type { DomainEvent } from '../../server/domain/result';
import type { WebhookContext, WebhookRequestContext } from '../../server/webhooks/render';
import {
  escapeMrkdwn,
  formatDuration,
  renderBody,
  renderJson,
  renderSlack,
  slackHeadline,
} from '../../server/webhooks/render';
import { signBody, verifySignature, resolveSecret } from '../../server/webhooks/sign';
import { parseRetryAfter } from '../../server/webhooks/attempt';

const AT = new Date('2026-06-01T12:00:00.000Z');

const request: WebhookRequestContext = {
  id: 'req-1',
  requester: 'alice',
  requesterDisplayName: 'Alice Liddell',
  target: { cloud: 'aws', account: '222222222222', name: 'production', environment: 'prod' },
  actions: ['ec2:StopInstances'],
  resource: null,
  durationMinutes: 60,
  justification: 'restart the stuck batch host',
  ticket: null,
  decision: 'needs-approval',
  requiredApprovals: 2,
  advice: ['Production changes need two approvers.'],
};

const context: WebhookContext = {
  publicUrl: 'https://unblock.example.com/',
  brokerName: 'acme broker',
  requests: [request],
};

function event(type: DomainEvent['type'], patch: Partial<DomainEvent> = {}): DomainEvent {
  return {
    type,
    requestId: 'req-1',
    grantId: type.startsWith('grant.') ? 'grant-1' : null,
    actor: 'alice',
    at: AT,
    details: {},
    ...patch,
  };
}

/** Every mrkdwn text object in a message, and its top-level text. */
function texts(message: ReturnType<typeof renderSlack>): string[] {
  const out = [message.text];
  for (const block of message.blocks) {
    if ('text' in block) out.push(block.text.text);
    if ('fields' in block) out.push(...block.fields.map((f) => f.text));
    if ('elements' in block) out.push(...block.elements.map((e) => e.text));
  }
  return out;
}

describe('Slack messages', () => {
  it('summarises a submitted request in one line: who, what, where, how long, what it needs', () => {
    const message = renderSlack(event('request.submitted'), {
      ...context,
      requests: [{ ...request, requesterDisplayName: null }],
    });
    expect(message.text).toBe(
      'alice requests `ec2:StopInstances` on production (222222222222) for 1 h — needs 2 approvals',
    );
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: message.text } });
    const fields = message.blocks.find((b) => 'fields' in b);
    expect(fields && 'fields' in fields ? fields.fields.map((f) => f.text.split('\n')[0]) : []).toEqual([
      '*Requester*',
      '*Target*',
      '*Actions*',
      '*Duration*',
    ]);
    expect(texts(message)).toContain('*Justification*\nrestart the stuck batch host');
    expect(texts(message)).toContain('*Policy advice*\n• Production changes need two approvers.');
    const last = message.blocks.at(-1);
    expect(last).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'acme broker · <https://unblock.example.com/requests/req-1|Open in Unblock> · request.submitted · 2026-06-01T12:00:00.000Z',
        },
      ],
    });
  });

  it('says what the policy decided for auto-approved and denied requests', () => {
    const auto = { ...context, requests: [{ ...request, decision: 'auto-approve' as const }] };
    expect(slackHeadline(event('request.submitted'), auto)).toMatch(/for 1 h — approved by policy$/);
    const denied = { ...context, requests: [{ ...request, decision: 'deny' as const }] };
    expect(slackHeadline(event('request.submitted'), denied)).toMatch(/— denied by policy$/);
    const one = { ...context, requests: [{ ...request, requiredApprovals: 1 }] };
    expect(slackHeadline(event('request.submitted'), one)).toMatch(/— needs 1 approval$/);
  });

  it('escapes hostile requester text so it cannot mention a channel or disguise a link', () => {
    const hostile: WebhookRequestContext = {
      ...request,
      requester: 'mallory<!here>',
      requesterDisplayName: '<@U0ADMIN>',
      justification: 'urgent <!channel> see <http://evil.example|click here> & approve',
      resource: 'arn:aws:s3:::bucket/<!everyone>',
      ticket: '<https://evil.example|JIRA-1>',
      actions: ['s3:Get`Object<!subteam^S1>'],
      advice: ['<!channel>'],
    };
    const ctx = { ...context, requests: [hostile] };
    for (const type of ['request.submitted', 'request.denied', 'grant.active'] as const) {
      const message = renderSlack(event(type, { details: { comment: 'ok <!channel>' } }), ctx);
      const all = texts(message).join('\n');
      // The only `<` left is the broker's own link in the context line.
      expect(all.match(/</g)).toHaveLength(1);
      expect(all).toContain('<https://unblock.example.com/');
      expect(all).not.toMatch(/<!|<@|<http:\/\/evil/);
      expect(JSON.stringify(message)).not.toContain('<!channel>');
    }
    const submitted = texts(renderSlack(event('request.submitted'), ctx));
    expect(submitted).toContain(
      '*Justification*\nurgent &lt;!channel&gt; see &lt;http://evil.example|click here&gt; &amp; approve',
    );
    // A backtick in an action would end the code span; it is shown as a quote instead.
    expect(submitted[0]).toContain("`s3:Get'Object&lt;!subteam^S1&gt;`");
    expect(submitted[0]).toMatch(/^mallory&lt;!here&gt; \(&lt;@U0ADMIN&gt;\) requests/);
  });

  it('escapes exactly &, < and > (Slack’s control characters)', () => {
    expect(escapeMrkdwn('a & b < c > d *e* _f_ "g"')).toBe('a &amp; b &lt; c &gt; d *e* _f_ "g"');
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;');
  });

  it('clips long user text to stay inside Slack’s block limits', () => {
    const ctx = { ...context, requests: [{ ...request, justification: 'x'.repeat(10_000) }] };
    const message = renderSlack(
      event('request.submitted', { details: { comment: 'y'.repeat(10_000) } }),
      ctx,
    );
    for (const text of texts(message)) expect(text.length).toBeLessThanOrEqual(3000);
  });

  it('renders every event type, with and without the request’s context', () => {
    for (const type of EVENT_TYPES) {
      const e = event(type, {
        actor: type === 'request.approved' ? 'bob' : 'system',
        details: {
          expiresAt: '2026-06-01T13:00:00.000Z',
          to: '2026-06-01T14:00:00.000Z',
          attempt: 2,
          approvals: 1,
          requiredApprovals: 2,
          error: 'AccessDenied',
        },
      });
      for (const ctx of [context, { publicUrl: 'https://unblock.example.com' }]) {
        const message = renderSlack(e, ctx);
        expect(message.text.length).toBeGreaterThan(10);
        expect(JSON.parse(JSON.stringify(message))).toEqual(message);
      }
    }
    expect(
      slackHeadline(event('grant.active', { details: { expiresAt: '2026-06-01T13:00:00.000Z' } }), context),
    ).toBe(
      "Access is active: alice (Alice Liddell)'s access to `ec2:StopInstances` on production (222222222222) until 2026-06-01 13:00 UTC",
    );
    expect(
      slackHeadline(
        event('request.approval-recorded', { actor: 'bob', details: { approvals: 1, requiredApprovals: 2 } }),
        context,
      ),
    ).toBe(
      "bob approved alice (Alice Liddell)'s request for `ec2:StopInstances` on production (222222222222) — 1 of 2 approvals",
    );
    expect(slackHeadline(event('grant.revoked', { actor: 'carol' }), { publicUrl: 'https://x' })).toBe(
      'grant `grant-1` was revoked by carol',
    );
  });

  it('says a grant could not be granted, why, and what an operator can do; a final attempt gives up', () => {
    const failed = renderSlack(
      event('grant.failed', {
        actor: 'system',
        details: {
          cause: 'permanent',
          reason: 'no grantable predefined role contains container.clusters.get',
          advice: 'set targets[].gcp.customRoles: true to grant exactly the permission',
          code: null,
          attempts: 1,
        },
      }),
      context,
    );
    expect(failed.text).toBe(
      "alice (Alice Liddell)'s access to `ec2:StopInstances` on production (222222222222) could not be granted",
    );
    expect(texts(failed)).toEqual(
      expect.arrayContaining([
        '*Error*\nno grantable predefined role contains container.clusters.get',
        '*What an operator can do*\nset targets[].gcp.customRoles: true to grant exactly the permission',
      ]),
    );
    const attempt = (final: boolean) =>
      slackHeadline(event('grant.provision-failed', { details: { attempt: 8, maxAttempts: 8, final } }), {
        publicUrl: 'https://x',
      });
    expect(attempt(true)).toBe('Provisioning grant `grant-1` failed (attempt 8 of 8); giving up');
    expect(attempt(false)).toBe('Provisioning grant `grant-1` failed (attempt 8 of 8); retrying');
  });

  it('links grants and requests by percent-encoded id', () => {
    const message = renderSlack(event('grant.ended', { grantId: 'g|1>x' }), {
      publicUrl: 'https://u.example',
    });
    expect(JSON.stringify(message)).toContain('<https://u.example/grants/g%7C1%3Ex|Open in Unblock>');
  });
});

describe('JSON body', () => {
  it('has stable field names, the event, and the request when known', () => {
    const e = event('request.approved', { actor: 'bob', details: { approvers: ['bob', 'carol'] } });
    const body = renderJson(e, context, 'evt-1');
    expect(Object.keys(body)).toEqual([
      'id',
      'type',
      'at',
      'actor',
      'requestId',
      'grantId',
      'details',
      'url',
      'request',
    ]);
    expect(body).toMatchObject({
      id: 'evt-1',
      type: 'request.approved',
      at: '2026-06-01T12:00:00.000Z',
      actor: 'bob',
      requestId: 'req-1',
      grantId: null,
      details: { approvers: ['bob', 'carol'] },
      url: 'https://unblock.example.com/requests/req-1',
    });
    expect(Object.keys(body.request ?? {})).toEqual([
      'id',
      'requester',
      'requesterDisplayName',
      'target',
      'actions',
      'resource',
      'durationMinutes',
      'justification',
      'ticket',
      'decision',
      'requiredApprovals',
      'advice',
    ]);
    // JSON carries user text verbatim: escaping is the receiver's job in its own output format.
    const hostile = renderJson(
      e,
      { ...context, requests: [{ ...request, justification: '<!channel>' }] },
      'evt-1',
    );
    expect(hostile.request?.justification).toBe('<!channel>');
  });

  it('leaves `request` out when the event’s request is not in the context', () => {
    const body = renderJson(
      event('grant.ended'),
      { ...context, requests: [{ ...request, id: 'other' }] },
      'evt-2',
    );
    expect('request' in body).toBe(false);
    expect(body.url).toBe('https://unblock.example.com/grants/grant-1');
  });

  it('renderBody gives the bytes for each kind', () => {
    const e = event('request.submitted');
    expect(JSON.parse(renderBody('json', e, context, 'evt-3'))).toEqual(
      JSON.parse(JSON.stringify(renderJson(e, context, 'evt-3'))),
    );
    expect(Object.keys(JSON.parse(renderBody('slack', e, context, 'evt-3')) as object)).toEqual([
      'text',
      'blocks',
    ]);
  });
});

describe('helpers', () => {
  it('formats durations', () => {
    expect([15, 60, 90, 480, 1440, 2880, 1500].map(formatDuration)).toEqual([
      '15 min',
      '1 h',
      '1 h 30 min',
      '8 h',
      '1 d',
      '2 d',
      '25 h',
    ]);
  });

  it('verifySignature accepts the signature of timestamp.body and nothing else', () => {
    const secret = 'a-long-enough-secret';
    const body = '{"id":"x"}';
    const ts = Math.floor(AT.getTime() / 1000);
    const header = signBody(secret, ts, body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(secret, String(ts), body, header, AT)).toBe(true);
    expect(verifySignature(secret, ts, body, header, AT.getTime() + 299_000)).toBe(true);
    expect(verifySignature('another-secret-value', String(ts), body, header, AT)).toBe(false);
    expect(verifySignature(secret, String(ts), `${body} `, header, AT)).toBe(false);
    expect(verifySignature(secret, String(ts + 1), body, header, AT)).toBe(false);
    expect(verifySignature(secret, String(ts), body, header.slice(0, -1), AT)).toBe(false);
    expect(verifySignature(secret, 'soon', body, header, AT)).toBe(false);
    // Too old (a replay) or too far in the future.
    expect(verifySignature(secret, String(ts), body, header, AT.getTime() + 301_000)).toBe(false);
    expect(verifySignature(secret, String(ts), body, header, AT.getTime() - 301_000)).toBe(false);
    expect(verifySignature(secret, String(ts), body, header, AT.getTime() + 3_000_000, 3600)).toBe(true);
  });

  it('resolves env: secrets without ever returning an empty one', () => {
    expect(resolveSecret('literal-secret-1234')).toBe('literal-secret-1234');
    expect(resolveSecret('env:HOOK_SECRET', { HOOK_SECRET: 'from-env' })).toBe('from-env');
    expect(resolveSecret('env:HOOK_SECRET', { HOOK_SECRET: '' })).toBeNull();
    expect(resolveSecret('env:HOOK_SECRET', {})).toBeNull();
    expect(resolveSecret(undefined)).toBeNull();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', AT)).toBe(120_000);
    expect(parseRetryAfter(new Date(AT.getTime() + 30_000).toUTCString(), AT)).toBe(30_000);
    expect(parseRetryAfter('Mon, 01 Jan 2001 00:00:00 GMT', AT)).toBe(0);
    expect(parseRetryAfter('soon', AT)).toBeNull();
    expect(parseRetryAfter(null, AT)).toBeNull();
  });
});

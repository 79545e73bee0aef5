/**
 * The audit trail for auditors, a page at a time in sequence order, with the hash chain checked
 * here in the sidebar (across pages too: the previous page's last row is kept).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AuditEntryView } from '@/lib/contract/api';
import { formatTime } from '../panel-format';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';
import { chainText, verifyChain } from './audit-chain';

export const AUDIT_PAGE = 50;

interface Page {
  /** `after` used to load it (0 for the first page). */
  after: number;
  rows: AuditEntryView[];
  /** The last row of the page before (to check the link into this one). */
  prev: AuditEntryView | null;
  hasMore: boolean;
}

export function AuditTab(props: { client: BrokerApi; pageSize?: number }) {
  const size = props.pageSize ?? AUDIT_PAGE;
  const [stack, setStack] = useState<Page[]>([]);
  const { busy, error, run } = useBrokerAction();

  const load = useCallback(
    (after: number, prev: AuditEntryView | null, replaceTop: boolean) =>
      run(async () => {
        const list = await props.client.audit({ after, limit: size });
        const page: Page = { after, rows: list.items, prev, hasMore: list.nextCursor !== null };
        setStack((s) => (replaceTop ? [...s.slice(0, -1), page] : [...s, page]));
      }),
    [props.client, size, run],
  );

  useEffect(() => {
    setStack([]);
    void load(0, null, false);
  }, [load]);

  const page = stack[stack.length - 1];
  const check = page ? verifyChain(page.rows, page.prev) : null;
  const last = page?.rows[page.rows.length - 1];

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      {error && (
        <p class="error" role="alert">
          {safeText(error, 300)}
        </p>
      )}
      {check && (
        <p class={check.ok ? 'ok' : 'error'} role="status">
          {chainText(check)}
        </p>
      )}
      {page && (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((row) => (
              <tr key={row.seq} class={check && !check.ok && check.brokenSeq === row.seq ? 'broken' : ''}>
                <td>{row.seq}</td>
                <td>{formatTime(row.at)}</td>
                <td class="bidi">{safeText(row.actor, 60)}</td>
                <td>
                  <span class="bidi">{safeText(row.type, 60)}</span>
                  {row.subject && <span class="muted bidi"> {safeText(row.subject, 80)}</span>}
                  <details>
                    <summary>Details</summary>
                    <pre>{JSON.stringify(row.details, null, 2).slice(0, 4000)}</pre>
                    <p class="mono muted">hash {safeText(row.hash, 80)}</p>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="buttons">
        <button
          type="button"
          disabled={busy || stack.length < 2}
          onClick={() => setStack((s) => s.slice(0, -1))}
        >
          Earlier rows
        </button>
        <button
          type="button"
          disabled={busy || !page?.hasMore || !last}
          onClick={() => last && void load(last.seq, last, false)}
        >
          Later rows
        </button>
        <button
          type="button"
          disabled={busy || !page}
          onClick={() => page && void load(page.after, page.prev, true)}
        >
          Refresh
        </button>
      </div>
    </section>
  );
}

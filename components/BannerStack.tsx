import { useState } from 'preact/hooks';
import type { Denial } from '@/lib/contract/denial';
import type { BannerMessage, RequestProgress } from '@/lib/messaging/messages';
import type { PageContext } from '@/lib/content/page-context/types';
import { Banner } from './Banner';

export interface BannerEntry {
  key: string;
  /** Stable per entry: ids inside the shared shadow root must not collide. */
  seq: number;
  denial: Denial;
  context: PageContext;
  pageUrl: string;
  /** The request this denial already belongs to (its draft id): the card shows its progress. */
  draftId?: string;
}

/** Cards shown before the rest fold into an "N more denials" toggle. */
export const VISIBLE_CARDS = 2;

/** One region for all cards, so assistive tech announces "Unblock: access denied" once. */
export function BannerStack(props: {
  entries: readonly BannerEntry[];
  /** Every message a card sends the background: the request, and its questions. */
  send: (msg: BannerMessage) => Promise<unknown>;
  onDismiss: (key: string) => void;
  progress?: ReadonlyMap<string, RequestProgress>;
}) {
  const [expanded, setExpanded] = useState(false);
  const hidden = Math.max(0, props.entries.length - VISIBLE_CARDS);
  const shown = expanded || !hidden ? props.entries : props.entries.slice(0, VISIBLE_CARDS);
  return (
    <section class="stack" role="region" aria-label="Unblock: access denied">
      <div class="cards">
        {shown.map((entry) => (
          <Banner
            // Adopting a request starts the card afresh, as the request's own card.
            key={entry.draftId ? `${entry.key}@${entry.draftId}` : entry.key}
            adoptedDraft={entry.draftId}
            idPrefix={`unblock-${entry.seq}`}
            denial={entry.denial}
            context={entry.context}
            pageUrl={entry.pageUrl}
            send={props.send}
            ask={props.send}
            progress={props.progress}
            onDismiss={() => props.onDismiss(entry.key)}
          />
        ))}
      </div>
      {/* Outside the scrolling list, so the toggle is always in view. */}
      {hidden > 0 && (
        <button type="button" class="more" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Show fewer denials' : `${hidden} more ${hidden === 1 ? 'denial' : 'denials'}`}
        </button>
      )}
    </section>
  );
}

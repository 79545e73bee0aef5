import type { Denial } from '@/lib/contract/denial';
import type { SaveDraftMessage } from '@/lib/messages';
import type { PageContext } from '@/lib/page-context/types';
import { Banner } from './Banner';

export interface BannerEntry {
  key: string;
  /** Stable per entry: ids inside the shared shadow root must not collide. */
  seq: number;
  denial: Denial;
  context: PageContext;
  pageUrl: string;
}

/** One region for all cards, so assistive tech announces "Unblock: access denied" once. */
export function BannerStack(props: {
  entries: readonly BannerEntry[];
  send: (msg: SaveDraftMessage) => Promise<unknown>;
  onDismiss: (key: string) => void;
}) {
  return (
    <section class="stack" role="region" aria-label="Unblock: access denied">
      {props.entries.map((entry) => (
        <Banner
          key={entry.key}
          idPrefix={`unblock-${entry.seq}`}
          denial={entry.denial}
          context={entry.context}
          pageUrl={entry.pageUrl}
          send={props.send}
          onDismiss={() => props.onDismiss(entry.key)}
        />
      ))}
    </section>
  );
}

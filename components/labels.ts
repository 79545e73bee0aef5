/**
 * Per-cloud and per-deny-kind words as records, for the panels that still index them this way. The
 * words live in the shared tables: lib/clouds.ts and lib/deny-kinds.ts.
 */
import { cloudRecord } from '@/lib/clouds';
import { denyKindRecord } from '@/lib/deny-kinds';

/** Kept for components/panel-format.ts; the lead removes it. */
export const CLOUD_NAME = cloudRecord((facts) => facts.label);

/** Kept for components/sidebar/QueueItem.tsx; the lead removes it. */
export const DENY_KIND_TEXT = denyKindRecord((facts) => facts.text);

/**
 * The text helpers of webhook messages (render.ts): Slack mrkdwn escaping, clipping, durations,
 * and reading typed values out of an event's details. Pure.
 */

/** Slack's mrkdwn control characters, escaped as Slack documents (`&amp;`, `&lt;`, `&gt;`). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Longest user text placed in one Slack field; Slack rejects section text over 3000 characters. */
const FIELD_MAX = 1000;

export function clip(text: string, max: number = FIELD_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Escaped, clipped, and as inline code; backticks would end the code span, so they become quotes. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(clip(text, 200).replace(/`/g, "'"))}\``;
}

/** "45 min", "1 h", "1 h 30 min", "2 d". */
export function formatDuration(minutes: number): string {
  if (minutes % (24 * 60) === 0 && minutes >= 24 * 60) return `${minutes / (24 * 60)} d`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function str(details: Readonly<Record<string, unknown>>, key: string): string | null {
  const v = details[key];
  return typeof v === 'string' ? v : null;
}

export function num(details: Readonly<Record<string, unknown>>, key: string): number | null {
  const v = details[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A list of names from the details ("ops-approvers, security-leads"), escaped; '' when absent. */
export function names(details: Readonly<Record<string, unknown>>, key: string): string {
  const v = details[key];
  return Array.isArray(v)
    ? v
        .filter((n) => typeof n === 'string')
        .map(escapeMrkdwn)
        .join(', ')
    : '';
}

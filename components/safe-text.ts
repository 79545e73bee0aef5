/**
 * Page-derived text is hostile until proven otherwise. Preact renders strings as text nodes (so
 * markup stays inert); this strips what text nodes still let through: bidi overrides that reorder
 * what the user reads, control characters, and sheer length.
 */

// U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates, U+200E/F marks, U+061C ALM.
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
// C0/C1 controls except tab and newline, zero-width and BOM characters.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF]/g;

export const FIELD_MAX = 200;
export const EXCERPT_DISPLAY_MAX = 400;

export function safeText(value: string | null | undefined, max = FIELD_MAX): string {
  if (!value) return '';
  // Cut before the regexes run so a 1 MB string costs no more than a short one.
  const head = value.length > max * 2 + 64 ? value.slice(0, max * 2 + 64) : value;
  const clean = head.replace(BIDI, '').replace(CONTROLS, '').replace(/\s+/g, ' ').trim();
  if (clean.length <= max && head.length === value.length) return clean;
  const chars = Array.from(clean); // do not split a surrogate pair
  return chars.length <= max && head.length === value.length ? clean : `${chars.slice(0, max - 1).join('')}…`;
}

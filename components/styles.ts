/**
 * Banner CSS, injected as text into the closed shadow root. The host has `all: initial`, so
 * nothing from the console's stylesheets leaks in; each cloud gets a theme that matches its console.
 */
export const BANNER_CSS = `
:host { display: block; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
/* The padding leaves room for the cards' shadow, which the scroll container would otherwise clip.
   At most ~45% of the viewport (48% with two cards and the toggle): more cards fold into the "N more denials" toggle, then scroll. */
.stack { display: flex; flex-direction: column; width: 376px; max-width: calc(100vw - 8px);
  max-height: min(48vh, calc(100vh - var(--top, 56px) - 8px)); }
/* What the user opened (details, the folded denials) may use the height left below the header. */
.stack:has(.disclose[aria-expanded="true"]), .stack:has(.more[aria-expanded="true"]) {
  max-height: calc(100vh - var(--top, 56px) - 8px); }
.cards { display: flex; flex-direction: column; gap: 8px; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  padding: 4px 8px 10px; }
.card { --font: system-ui, sans-serif; --header-bg: #232f3e; --header-fg: #fff; --primary: #ec7211; --primary-hover: #eb5f07;
  --primary-fg: #fff; --focus: #0972d3; --mono: Monaco, Menlo, Consolas, "Courier Prime", Courier, "Courier New", monospace;
  --radius: 4px; --btn-radius: 2px; --border: #d5dbdb; --muted: #545b64; --text: #16191f; --code-bg: rgba(0, 0, 0, 0.05);
  font-family: var(--font); font-size: 13px; line-height: 1.4; color: var(--text); background: #fff;
  border: 1px solid var(--border); border-radius: var(--radius); box-shadow: 0 2px 10px rgba(0, 0, 0, 0.22); overflow: hidden;
  text-align: left; direction: ltr; flex-shrink: 0; }
.theme-aws { --font: "Amazon Ember", "Helvetica Neue", Roboto, Arial, sans-serif; --primary: #ff9900; --primary-hover: #fa6f00;
  --primary-fg: #0f141a; --radius: 8px; --btn-radius: 20px; --input-radius: 8px; }
.theme-azure { --font: "Segoe UI", "Segoe UI Web (West European)", -apple-system, BlinkMacSystemFont, Roboto, "Helvetica Neue", sans-serif;
  --header-bg: #0078d4; --primary: #0078d4; --primary-hover: #106ebe; --focus: #605e5c; --radius: 2px; --btn-radius: 2px;
  --border: #e1dfdd; --muted: #605e5c; --text: #323130; }
.theme-gcp { --font: "Google Sans", Roboto, Arial, sans-serif; --header-bg: #1a73e8; --primary: #1a73e8; --primary-hover: #1765cc;
  --focus: #1a73e8; --radius: 8px; --btn-radius: 4px; --border: #dadce0; --muted: #5f6368; --text: #202124;
  --mono: "Roboto Mono", Menlo, Consolas, monospace; }
.bar { display: flex; align-items: center; gap: 2px; background: var(--header-bg); color: var(--header-fg); padding: 3px 4px 3px 12px; min-height: 30px; }
h2 { flex: 1; min-width: 0; margin: 0; font: 600 12.5px/1.3 var(--font); color: inherit; letter-spacing: 0.01em;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.disclose, .dismiss { all: unset; box-sizing: border-box; color: inherit; cursor: pointer; border-radius: 4px; }
.disclose { font: 400 12px/22px var(--font); padding: 0 6px; }
.disclose::after { content: "▾" / ""; display: inline-block; margin-left: 3px; transition: transform 120ms; }
.disclose[aria-expanded="true"]::after { transform: rotate(180deg); }
.dismiss { width: 24px; height: 24px; border-radius: 50%; text-align: center; font: 400 18px/24px var(--font); }
.disclose:hover, .dismiss:hover { background: rgba(255, 255, 255, 0.18); }
.body { padding: 8px 12px 10px; display: flex; flex-direction: column; gap: 6px; }
.body p { margin: 0; }
.headline { font-size: 13.5px; line-height: 1.45; overflow-wrap: anywhere; }
.bidi { unicode-bidi: isolate; }
.mono, code { font-family: var(--mono); font-size: 12px; }
code { background: var(--code-bg); border-radius: 3px; padding: 0 3px; }
.act { white-space: normal; }
.nowrap { white-space: nowrap; }
.theme-azure code { font-size: 11.5px; }
.trunc { display: inline-block; max-width: 16ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  vertical-align: bottom; }
.res { max-width: 24ch; }
.id { font-variant-numeric: tabular-nums; }
.id-aws { max-width: 13ch; }
.id-short { max-width: 6ch; }
.id-azure { max-width: 6ch; }
.id-gcp { max-width: 24ch; }
.why, .owner { color: var(--muted); font-size: 12px; line-height: 1.4; }
.clamp { display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden; }
ul.actions { list-style: none; margin: 0; padding: 0; }
ul.actions li { margin: 0 0 2px; }
.risk { display: inline-block; margin-left: 3px; padding: 0 5px; border-radius: 7px; font: 700 10px/14px var(--font);
  vertical-align: 1px; text-transform: uppercase; letter-spacing: 0.02em; }
.risk-read { background: #e6f4ea; color: #137333; }
.risk-write { background: #fef7e0; color: #8a4b00; }
.risk-admin { background: #fce8e6; color: #b3261e; }
.muted { color: var(--muted); }
.row { display: flex; align-items: flex-end; gap: 6px; margin-top: 2px; }
.perm-row { display: flex; flex-direction: column; gap: 2px; }
.field { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.grow { flex: 1; }
label { font: 600 11px/1.3 var(--font); color: var(--muted); }
select, input { font: 13px/1.3 var(--font); color: var(--text); background: #fff; border: 1px solid #879596;
  border-radius: var(--input-radius, var(--btn-radius)); height: 30px; padding: 0 8px; width: 100%; margin: 0; }
select { width: auto; padding: 0 2px 0 6px; }
input::placeholder { color: #8d9496; }
[aria-invalid="true"] { border-color: #d13212; box-shadow: inset 0 0 0 1px #d13212; }
.hint { color: var(--muted); font-size: 11.5px; line-height: 1.35; }
.error { color: #d13212; font-size: 12px; }
.primary { font: 700 13px/1 var(--font); background: var(--primary); color: var(--primary-fg); border: 1px solid var(--primary);
  border-radius: var(--btn-radius); height: 30px; padding: 0 14px; white-space: nowrap; cursor: pointer; flex-shrink: 0; margin: 0; }
.primary:hover:not(:disabled) { background: var(--primary-hover); border-color: var(--primary-hover); }
.primary:disabled { opacity: 0.55; cursor: default; }
.status { font-size: 12px; }
.status.saved { color: #037f0c; font-weight: 600; }
.status.saved::before { content: "✓ " / ""; }
.status.filed { color: var(--text); font-weight: 400; display: flex; flex-direction: column; gap: 1px; }
.status.filed::before { content: none; }
.progress.active, .progress.landing { color: #037f0c; font-weight: 600; }
.status .advice { color: var(--muted); font-size: 11.5px; }
.status:empty { display: none; }
:focus { outline: none; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.bar :focus-visible { outline-color: #fff; outline-offset: 0; }
.details { border-top: 1px solid var(--border); padding-top: 6px; font-size: 12px; display: flex; flex-direction: column; gap: 4px; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 10px; margin: 0; }
dt { color: var(--muted); font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
.said { color: var(--muted); font-weight: 600; }
.excerpt { max-height: 7.2em; overflow-y: auto; overflow-wrap: anywhere; background: #f6f7f8; border-left: 3px solid var(--border);
  padding: 3px 6px; color: var(--text); }
.more { align-self: flex-end; margin: 0 8px 6px; font: 600 12px/1 var(--font); color: #fff; background: #414d5c; border: 0; border-radius: 12px;
  padding: 6px 12px; cursor: pointer; box-shadow: 0 1px 6px rgba(0, 0, 0, 0.25); flex-shrink: 0; font-family: system-ui, sans-serif; }
.more:focus-visible { outline: 2px solid #0972d3; }
@media (prefers-reduced-motion: no-preference) { .card { animation: unblock-in 120ms ease-out; } }
@keyframes unblock-in { from { opacity: 0; transform: translateY(-4px); } to { opacity: 1; transform: none; } }
`;

/** Pixels from the viewport top to just below each console's header bar. */
export const HEADER_OFFSET: Record<'aws' | 'azure' | 'gcp', number> = { aws: 56, azure: 48, gcp: 72 };

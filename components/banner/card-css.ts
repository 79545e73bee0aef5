/**
 * CSS for the card's parts added with the permission picker, the decoding line, the account
 * notes and the confirmation step; appended to BANNER_CSS (components/styles.ts) in the same shadow-root <style>.
 */
export const CARD_EXTRA_CSS = `
.picker { position: relative; }
.options { list-style: none; margin: 2px 0 0; padding: 2px; max-height: 168px; overflow-y: auto; overscroll-behavior: contain;
  border: 1px solid #879596; border-radius: var(--input-radius, var(--btn-radius)); background: #fff; }
.option { display: flex; align-items: center; justify-content: space-between; gap: 6px; padding: 2px 6px; border-radius: 3px;
  cursor: pointer; }
.option code { background: none; padding: 0; overflow-wrap: anywhere; min-width: 0; }
.option:hover { background: #f1f3f4; }
.option.active { background: #e8f0fe; outline: 2px solid var(--focus); outline-offset: -2px; }
.note { font-size: 12px; line-height: 1.4; }
.note:empty { display: none; }
.warn { font-size: 12px; line-height: 1.4; color: #8a4b00; background: #fef7e0; border-left: 3px solid #e8a33d; padding: 2px 6px; }
.confirm-step { display: flex; flex-direction: column; gap: 4px; }
.primary.wrap { flex: 1; min-width: 0; height: auto; min-height: 30px; padding: 6px 14px; line-height: 1.3; white-space: normal;
  overflow-wrap: anywhere; text-align: left; }
.secondary { font: 600 13px/1 var(--font); color: var(--text); background: #fff; border: 1px solid #879596;
  border-radius: var(--btn-radius); height: 30px; padding: 0 12px; cursor: pointer; flex-shrink: 0; margin: 0; }
`;

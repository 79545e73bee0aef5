import { defineWebExtConfig } from 'wxt';

// `wxt` dev mode must not launch a browser by itself (as root it would start Chromium without
// --no-sandbox and die); load .output/chrome-mv3 by hand or use `npm start`.
export default defineWebExtConfig({ disabled: true });

/**
 * The sign-in and error pages. Plain HTML with inline styles only (the CSP allows nothing else),
 * and every interpolated value goes through `esc`: client names, user names and IdP messages all
 * come from outside this file.
 */

export function esc(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2125}
main{max-width:22rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.3rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8590a2;border-radius:4px}
button,.button{display:block;box-sizing:border-box;width:100%;margin-top:1.25rem;padding:.6rem;font:inherit;font-weight:600;text-align:center;text-decoration:none;border:0;border-radius:4px;background:#0c66e4;color:#fff;cursor:pointer}
.button.secondary{background:#fff;color:#0c66e4;border:1px solid #0c66e4}
[role=alert]{padding:.6rem;border-radius:4px;background:#ffeceb;color:#ae2e24}
.or{text-align:center;color:#626f86;margin:1.25rem 0 0}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface LoginPageOptions {
  brokerName: string;
  clientName: string;
  /** The login transaction id, posted back with the form. */
  transaction: string;
  local: boolean;
  /** Label for the "Sign in with …" link, when OIDC is configured. */
  idpName: string | null;
  username?: string;
  error?: string;
}

export function loginPage(o: LoginPageOptions): string {
  const parts = [
    `<h1>Sign in to ${esc(o.brokerName)}</h1>`,
    `<p>${esc(o.clientName)} is asking to act as you.</p>`,
  ];
  if (o.error) parts.push(`<p role="alert">${esc(o.error)}</p>`);
  if (o.local) {
    parts.push(`<form method="post" action="/oauth/login">
<input type="hidden" name="tx" value="${esc(o.transaction)}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${esc(o.username ?? '')}"${o.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${o.username ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>`);
  }
  if (o.idpName !== null) {
    if (o.local) parts.push('<p class="or">or</p>');
    // A link, not a form: a form's redirect to the IdP would need the IdP in `form-action`.
    parts.push(
      `<a class="button${o.local ? ' secondary' : ''}" href="/oauth/oidc/start?tx=${encodeURIComponent(o.transaction)}">Sign in with ${esc(o.idpName)}</a>`,
    );
  }
  return layout(`Sign in — ${o.brokerName}`, parts.join('\n'));
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${esc(title)}</h1><p role="alert">${esc(message)}</p>`);
}

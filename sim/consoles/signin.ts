/**
 * `signin.aws.amazon.com`: `/federation` and `/oauth` forwarded to the AWS fake's sign-in endpoint,
 * its `Set-Cookie` moved to `Domain=.aws.amazon.com`, so a browser sent to the broker's login URL
 * comes back to the console signed in (the session aws-identity.ts reads).
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoClouds } from '../clouds/demo.ts';
import { send } from './respond.ts';

/** The fake's cookie, for the console's parent domain (as AWS's own sign-in sets its cookies). */
export function consoleCookie(setCookie: string): string {
  const attrs = setCookie
    .split(';')
    .map((a) => a.trim())
    .filter((a) => a && !/^(domain|secure)(=|$)/i.test(a));
  return [...attrs, 'Domain=.aws.amazon.com', 'Secure'].join('; ');
}

/** `signin.aws.amazon.com`: the sign-in forwarded when the consoles run with clouds, else 404. */
export function answerSignin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  clouds: DemoClouds | undefined,
): void {
  if (clouds && (url.pathname === '/federation' || url.pathname === '/oauth'))
    return forwardSignin(req, res, clouds);
  req.resume();
  send(res, 404, 'text/plain', 'Not found (start the simulated consoles with clouds to sign in)');
}

/** Forwards `/federation` and `/oauth` to the AWS fake's sign-in endpoint. */
function forwardSignin(req: IncomingMessage, res: ServerResponse, clouds: DemoClouds): void {
  const upstream = new URL(clouds.aws.endpoints.signin);
  const headers: http.OutgoingHttpHeaders = {};
  for (const h of ['content-type', 'content-length', 'cookie'] as const) {
    if (req.headers[h] !== undefined) headers[h] = req.headers[h];
  }
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
    },
    (up) => {
      const answer: http.OutgoingHttpHeaders = { 'cache-control': 'no-store' };
      for (const h of ['content-type', 'location'] as const) {
        if (up.headers[h] !== undefined) answer[h] = up.headers[h];
      }
      const cookies = up.headers['set-cookie'];
      if (cookies) answer['set-cookie'] = cookies.map(consoleCookie);
      res.writeHead(up.statusCode ?? 502, answer);
      up.pipe(res);
    },
  );
  out.on('error', (e) => {
    if (!res.headersSent)
      send(res, 502, 'text/plain', `AWS sign-in (simulated) did not answer: ${e.message}`);
    else res.destroy();
  });
  req.pipe(out);
}

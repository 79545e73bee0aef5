/**
 * The broker's port, bound before anything else is wired: its number names the worker and the
 * OAuth issuer. Until the real handler is in place every request gets a 503 with Retry-After
 * instead of hanging.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  readonly server: http.Server;
  readonly port: number;
  /** `http://<address>:<port>`; loopback when bound to every interface. */
  readonly url: string;
  /** Replaces the "starting" answer with the broker's handler. */
  serve(handler: http.RequestListener): void;
  close(): Promise<void>;
}

const starting: http.RequestListener = (_req, res) => {
  res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'internal', message: 'the broker is starting' } }));
};

export async function listenStarting(port: number, host: string): Promise<Listening> {
  const server = http.createServer(starting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    port: address.port,
    url: `http://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${address.port}`,
    serve(handler) {
      server.off('request', starting);
      server.on('request', handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

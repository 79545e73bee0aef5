/**
 * Firefox has no `--host-resolver-rules`: this is how its console hostnames reach the simulated
 * consoles instead. A proxy auto-config (PAC) script sends the sim's hostnames (and only those) to
 * a small HTTP CONNECT proxy on loopback, which tunnels every such connection to the consoles'
 * port whatever host:port was asked for. Everything else (the broker on 127.0.0.1, which Firefox
 * never proxies anyway) goes direct. TLS stays end to end between Firefox and the consoles, so the
 * page keeps its real `https://<console host>` origin and the manifest's match patterns apply.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SIM_HOSTS } from '../consoles/urls.ts';

/** A running tunnel from the sim hostnames to the consoles. */
export interface ConsoleProxy {
  port: number;
  /** The PAC script sending the sim hostnames to this proxy. */
  pac: string;
  close(): Promise<void>;
}

/** Whether `hostname` is one of `SIM_HOSTS` (a `*.` entry matches any deeper name). */
export function isSimHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return SIM_HOSTS.some((pattern) =>
    pattern.startsWith('*.') ? h.endsWith(pattern.slice(1)) : h === pattern,
  );
}

/** The PAC script: the sim hostnames to `PROXY 127.0.0.1:<proxyPort>`, the rest `DIRECT`. */
export function pacScript(proxyPort: number): string {
  const tests = SIM_HOSTS.map((pattern) =>
    pattern.startsWith('*.')
      ? `dnsDomainIs(host, ${JSON.stringify(pattern.slice(1))})`
      : `host === ${JSON.stringify(pattern)}`,
  );
  return [
    'function FindProxyForURL(url, host) {',
    `  if (${tests.join(' || ')}) return "PROXY 127.0.0.1:${proxyPort}";`,
    '  return "DIRECT";',
    '}',
  ].join('\n');
}

/**
 * Starts the proxy on 127.0.0.1 (a free port). A CONNECT to a sim hostname is tunnelled to
 * `127.0.0.1:<consolesPort>`; any other CONNECT, and plain proxied requests, are refused (403), so
 * a stray request never leaves the machine through it.
 */
export async function startConsoleProxy(consolesPort: number): Promise<ConsoleProxy> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('only CONNECT to the simulated consoles');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const hostname = (req.url ?? '').replace(/:\d+$/, '');
    if (!isSimHost(hostname)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(consolesPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    port,
    pac: pacScript(port),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}

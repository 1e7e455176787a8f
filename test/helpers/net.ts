// Real network stand-ins the entrypoint and image tests put in front of the real license server.
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** A TCP relay to 127.0.0.1:`port`: while `up` is false every connection is dropped, then each is relayed. */
export function switchableRelay(port: number): { server: Server; up: boolean } {
  const relay = {
    up: false,
    server: createTcpServer((client) => {
      if (!relay.up) return client.destroy();
      const upstream = connect(port, '127.0.0.1', () => client.pipe(upstream).pipe(client));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    }),
  };
  return relay;
}

/**
 * A forward proxy: CONNECT is tunnelled to the target (`resolve` maps its host, as a proxy's own DNS would) and
 * recorded in `tunnels`; other requests go to `request` (405 by default).
 */
export function connectProxy(options: { resolve?: (host: string) => string; request?: RequestListener } = {}): { server: HttpServer; tunnels: string[] } {
  const tunnels: string[] = [];
  const server = createHttpServer(options.request ?? ((_req, res) => res.writeHead(405).end()));
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url!);
    const [host, port] = req.url!.split(':');
    const upstream = connect(Number(port), options.resolve?.(host) ?? host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { server, tunnels };
}

/** A TCP port nobody listens on at this moment, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// Node's own HTTP client with its built-in proxy support (Agent's proxyEnv: HTTP(S)_PROXY, NO_PROXY, CONNECT
// tunnels for https). undici cost every container start ~780 KB of JavaScript and a WebAssembly parser to compile.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Env } from '../core/env.ts';

// getBuiltinModule, not `import`: the ES module facade of node:http reads every export, lazy ones included,
// which loads Node's internal undici (~30 ms of CPU at every start). node:https (and TLS) only for https URLs.
const client = (protocol: string) => process.getBuiltinModule(protocol === 'https:' ? 'node:https' : 'node:http');

/** An agent per scheme, made when first used, each honouring the proxy variables as given in `env` (either case). */
export interface Transport {
  agent: (protocol: string) => HttpAgent;
  destroy: () => void;
}

export function proxyAgent(env: Env): Transport {
  const proxyEnv = {
    HTTP_PROXY: env.HTTP_PROXY ?? env.http_proxy,
    HTTPS_PROXY: env.HTTPS_PROXY ?? env.https_proxy,
    NO_PROXY: env.NO_PROXY ?? env.no_proxy,
  };
  const agents = new Map<string, HttpAgent>();
  const agent = (protocol: string) => {
    let made = agents.get(protocol);
    if (!made) agents.set(protocol, (made = new (client(protocol).Agent)({ proxyEnv })));
    return made;
  };
  return { agent, destroy: () => agents.forEach((a) => a.destroy()) };
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text; undefined when it was larger than the limit (and was not read further). */
  text: string | undefined;
}

export interface RequestOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** No byte for this long (connecting, waiting for headers, or between parts of the body) fails with ETIMEDOUT. */
  idleTimeoutMs: number;
}

/** One request, reading at most `limit` bytes of the body. Rejects with Node's network errors (their `code`). */
export function request(transport: Transport, url: string, options: RequestOptions, limit: number): Promise<Response> {
  const target = new URL(url);
  const agent = transport.agent(target.protocol);
  const headers = options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) };
  return new Promise((resolve, reject) => {
    const req = client(target.protocol).request(target, { method: options.method, headers, agent, signal: options.signal, timeout: options.idleTimeoutMs }, (res: IncomingMessage) => {
      const done = (text: string | undefined) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      if (Number(res.headers['content-length']) > limit) {
        res.destroy();
        return done(undefined);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          res.destroy();
          done(undefined);
        } else chunks.push(chunk);
      });
      res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no byte within ${options.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(options.body);
  });
}

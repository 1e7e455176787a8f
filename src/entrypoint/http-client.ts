// undici's index evaluates every dispatcher, mock, cache and WebSocket it has: ~35 ms of each container
// start. The activation needs a few of its modules, loaded here by path (undici is pinned; the
// end-to-end tests exercise both, proxy included).
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import apiConnect from 'undici/lib/api/api-connect.js';
import DispatcherBase from 'undici/lib/dispatcher/dispatcher.js';
import type { Dispatcher } from 'undici';
import type { Env } from '../core/env.ts';

// HTTPS through a proxy is a CONNECT tunnel opened with dispatcher.connect(), which only undici's index adds.
DispatcherBase.prototype.connect ??= apiConnect;

/** A dispatcher that honours HTTP(S)_PROXY and NO_PROXY as given in `env` (either case). */
export function proxyAgent(env: Env, connectTimeoutMs: number): Dispatcher {
  return new EnvHttpProxyAgent({
    httpProxy: env.HTTP_PROXY ?? env.http_proxy,
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
    connect: { timeout: connectTimeoutMs },
  });
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text; undefined when it was larger than the limit (and was not read further). */
  text: string | undefined;
}

/** undici's `request(url, options)` bound to a dispatcher, reading at most `limit` bytes of the body. */
export async function request(dispatcher: Dispatcher, url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>, limit: number): Promise<Response> {
  const { origin, pathname, search } = new URL(url);
  const res: Dispatcher.ResponseData = await apiRequest.call(dispatcher, { ...options, origin, path: `${pathname}${search}` });
  const declared = Number(res.headers['content-length']);
  if (declared > limit) {
    res.body.destroy();
    return { status: res.statusCode, headers: res.headers, text: undefined };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      return { status: res.statusCode, headers: res.headers, text: undefined };
    }
    chunks.push(chunk as Buffer);
  }
  return { status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
}

// undici's index evaluates every dispatcher, mock, cache and WebSocket it has: ~35 ms of each container
// start. The activation needs two of its modules, loaded here by path (undici is pinned; the
// end-to-end tests exercise both, proxy included).
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import type { Dispatcher } from 'undici';

export { EnvHttpProxyAgent };

/** undici's `request(url, options)`, bound to a dispatcher. */
export function request(dispatcher: Dispatcher, url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData> {
  const { origin, pathname, search } = new URL(url);
  return apiRequest.call(dispatcher, { ...options, origin, path: `${pathname}${search}` });
}

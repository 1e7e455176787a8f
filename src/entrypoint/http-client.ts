// undici's index evaluates every dispatcher, mock, cache and WebSocket it has: ~35 ms of each container
// start. The activation needs two of its modules, loaded here by path (undici is pinned; the
// end-to-end tests exercise both, proxy included).
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import apiConnect from 'undici/lib/api/api-connect.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import type { Dispatcher as DispatcherType } from 'undici';

// HTTPS through a proxy is a CONNECT tunnel opened with dispatcher.connect(), which only undici's index adds.
Dispatcher.prototype.connect ??= apiConnect;

export { EnvHttpProxyAgent };

/** undici's `request(url, options)`, bound to a dispatcher. */
export function request(dispatcher: DispatcherType, url: string, options: Omit<DispatcherType.RequestOptions, 'origin' | 'path'>): Promise<DispatcherType.ResponseData> {
  const { origin, pathname, search } = new URL(url);
  return apiRequest.call(dispatcher, { ...options, origin, path: `${pathname}${search}` });
}

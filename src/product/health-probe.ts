// The image's HEALTHCHECK: the product's own health endpoint, wherever GATEWAY_LISTEN put it.

/** The address to reach a server that listens on `host`: a wildcard means this machine's loopback. */
export function probeUrl(listen: { host: string; port: number }): string {
  const host = listen.host === '0.0.0.0' || listen.host === '' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}/_localstack/health`;
}

/** 0 when the health endpoint answers 2xx within `timeoutMs`; otherwise 1 and one line saying why. */
export async function probeHealth(listen: { host: string; port: number }, timeoutMs: number): Promise<{ code: 0 | 1; why?: string }> {
  const url = probeUrl(listen);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? { code: 0 } : { code: 1, why: `${url} answered ${res.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { code: 1, why: `${url} did not answer (${cause})` };
  }
}

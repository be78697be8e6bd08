/**
 * A real HTTP server on loopback for source tests. It serves files from a
 * map, honours `Range: bytes=N-`, and misbehaves on a fixed schedule, by the
 * request's attempt number for its path (1, 2, ...; the same whatever other
 * files are requested in between, so tests are deterministic): attempts for
 * which `fail503` is true get a 503, those for which `cut` is true get half
 * their body and then a reset connection. Paths in `alwaysFail` always get
 * 503, paths in `alwaysShort` always stop early, unknown paths get 404.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultPlan {
  fail503?: (attempt: number) => boolean;
  cut?: (attempt: number) => boolean;
  alwaysFail?: Set<string>;
  /** Paths whose body always stops early (Content-Length is larger than what is sent). */
  alwaysShort?: Set<string>;
}

export interface FaultServer {
  url(path: string): string;
  requests: number;
  rangeRequests: number;
  close(): Promise<void>;
}

export async function startFaultServer(files: Map<string, Uint8Array>, plan: FaultPlan): Promise<FaultServer> {
  const state = { requests: 0, rangeRequests: 0 };
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    state.requests++;
    const path = req.url ?? '/';
    const n = (attempts.get(path) ?? 0) + 1;
    attempts.set(path, n);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    if (plan.alwaysFail?.has(path) || plan.fail503?.(n)) {
      res.writeHead(503, { 'retry-after': '0' }).end('busy');
      return;
    }
    // An ETag as object stores send one (the sample cache keys on it); HEAD gets the headers alone.
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': String(body.length), etag, 'content-type': 'application/dicom' }).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    if (range) state.rangeRequests++;
    const part = body.subarray(from);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(part.length),
      ...(range ? { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}),
      'content-type': 'application/dicom',
      etag,
    });
    if (plan.alwaysShort?.has(path) || plan.cut?.(n)) {
      res.write(part.subarray(0, Math.floor(part.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    get requests() {
      return state.requests;
    },
    get rangeRequests() {
      return state.rangeRequests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

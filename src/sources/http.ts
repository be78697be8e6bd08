/**
 * Files over HTTP(S): GET through a keep-alive agent, with timeouts, and
 * retries with exponential backoff on 5xx answers and broken connections.
 * When a connection breaks in the middle of a body, the retry asks for the
 * rest with `Range: bytes=N-` and the byte stream continues where it
 * stopped, so the reader sees one whole file. When the retries run out, the
 * stream fails with a SourceError: a file is read complete or reported
 * failed, never cut short silently (a server that ends a body before its
 * Content-Length is a broken connection too).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SourceError } from '../errors.js';
import { growingReadSize, type OpenOptions, type SourceItem } from './item.js';

export interface HttpOptions {
  /** Most connections kept open per host (the agent's maxSockets). */
  connections: number;
  /** Time allowed for the response headers, and for silence while a body streams. */
  timeoutMs: number;
  /** Retries after a 5xx answer, a timeout or a broken connection. */
  retries: number;
  /** First backoff; doubled each retry, with jitter. */
  backoffMs: number;
  /** Extra request headers (e.g. Authorization). Never logged. */
  headers?: Record<string, string>;
}

export const DEFAULT_HTTP: HttpOptions = { connections: 8, timeoutMs: 30_000, retries: 4, backoffMs: 100 };

/** Counters a benchmark or a test can read. */
export interface HttpStats {
  requests: number;
  retries: number;
  rangeResumes: number;
  /** Range requests made to jump ahead (prefix reads skipping the rest of a frame). */
  rangeSeeks?: number;
}

/** A failure worth another attempt: 5xx, timeout, broken connection. */
export class RetryableError extends Error {}

const agents = new Map<string, HttpAgent | HttpsAgent>();
function agentFor(url: URL, o: HttpOptions): HttpAgent | HttpsAgent {
  const key = `${url.protocol}${o.connections}`;
  let a = agents.get(key);
  if (!a) {
    const opts = { keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections };
    a = url.protocol === 'https:' ? new HttpsAgent(opts) : new HttpAgent(opts);
    agents.set(key, a);
  }
  return a;
}

/** One GET from byte `from`; resolves with the response once its headers are in. */
export function get(url: URL, from: number, o: HttpOptions, to: number | null = null): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (from > 0 || to !== null) headers.range = `bytes=${from}-${to ?? ''}`;
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { agent: agentFor(url, o), headers });
    req.setTimeout(o.timeoutMs, () => req.destroy(new RetryableError(`no response within ${o.timeoutMs} ms`)));
    req.on('response', resolve);
    req.on('error', (err) => reject(err instanceof RetryableError ? err : new RetryableError(err.message)));
    req.end();
  });
}

/** Waits before retry number `attempt` (0-based): exponential backoff with jitter. */
export function backoff(o: HttpOptions, attempt: number): Promise<void> {
  const ms = o.backoffMs * 2 ** attempt;
  return new Promise((r) => setTimeout(r, ms / 2 + Math.random() * (ms / 2)));
}

/**
 * The bytes of `url` as a stream of chunks, resumed with Range requests
 * across broken connections. The stream is seekable (SeekableSource): after
 * `seek(p)` the next chunk is byte p, fetched with `Range: bytes=p-`. With
 * `read.seekChunkBytes` (prefix reads) the file is fetched in windows, from
 * that size up to `read.chunkBytes`, so a reader that takes a frame's first
 * bytes and seeks on has not made the server send the rest. A server that
 * ignores Range is read through, the skipped bytes dropped (and counted).
 */
export function fetchBytes(url: string, o: HttpOptions = DEFAULT_HTTP, stats?: HttpStats, read: OpenOptions = {}): AsyncGenerator<Uint8Array> & { seek(position: number): void } {
  let pendingSeek: number | null = null;
  const gen = fetchFrom(url, o, stats, read, () => {
    const p = pendingSeek;
    pendingSeek = null;
    return p;
  });
  return Object.assign(gen, {
    seek(position: number) {
      pendingSeek = position;
    },
  });
}

async function* fetchFrom(url: string, o: HttpOptions, stats: HttpStats | undefined, read: OpenOptions, takeSeek: () => number | null): AsyncGenerator<Uint8Array> {
  const u = new URL(url);
  const fail = (why: string, cause?: unknown) => new SourceError(`cannot read ${url}: ${why}`, { stage: 'source', file: url }, cause === undefined ? {} : { cause });
  const most = read.chunkBytes ?? 8 * 1024 * 1024;
  const least = read.seekChunkBytes;
  let windowed = least !== undefined;
  let run = 0;
  let position = 0;
  let total: number | null = null;
  for (;;) {
    if (total !== null && position >= total) return;
    // One request: the rest of the file, or (windowed) the next window of it.
    const size = least === undefined ? Infinity : growingReadSize(run, least, most);
    let seekTo: number | null = null;
    for (let attempt = 0; ; attempt++) {
      let res: IncomingMessage | undefined;
      // (Inside the loop: a first answer of 200 turns windows off for the retries too.)
      const to = windowed && size !== Infinity ? position + size - 1 : null;
      try {
        if (stats) stats.requests++;
        res = await get(u, position, o, to);
        const status = res.statusCode ?? 0;
        if (status === 416 && position > 0) {
          res.resume();
          return; // nothing at or after `position`: the end of the file
        }
        if (status >= 500) {
          res.resume();
          throw new RetryableError(`HTTP ${status}`);
        }
        if (status !== 200 && status !== 206) {
          res.resume();
          throw fail(`HTTP ${status}`);
        }
        let skip = 0;
        if (status === 200) {
          windowed = false; // the server ignores Range: read the body through
          skip = position; // and drop what comes before `position`
          if (attempt > 0 && position > 0 && stats) stats.rangeResumes++;
        } else {
          const m = /^bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range']));
          if (!m || Number(m[1]) !== position) {
            res.resume();
            throw fail(`asked for bytes from ${position}, the server sent a range starting at ${res.headers['content-range']}`);
          }
          if (m[3] !== '*') {
            const whole = Number(m[3]);
            if (total !== null && total !== whole) throw fail(`the size changed between requests (${total} then ${whole} bytes)`);
            total = whole;
          }
          if (attempt > 0 && stats) stats.rangeResumes++;
        }
        const length = Number(res.headers['content-length']);
        const expectedEnd = Number.isFinite(length) ? (status === 206 ? position + length : length) : null;
        if (status === 200 && expectedEnd !== null) {
          if (total !== null && total !== expectedEnd) throw fail(`the size changed between requests (${total} then ${expectedEnd} bytes)`);
          total = expectedEnd;
        }
        res.setTimeout(o.timeoutMs, () => res?.destroy(new RetryableError(`no data for ${o.timeoutMs} ms`)));
        let at = status === 200 ? 0 : position;
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            let c: Uint8Array = chunk;
            if (skip > 0) {
              const drop = Math.min(skip, c.length);
              skip -= drop;
              at += drop;
              c = c.subarray(drop);
              if (c.length === 0) continue;
            }
            at += c.length;
            position = at;
            yield c;
            seekTo = takeSeek();
            if (seekTo !== null) break;
          }
        } catch (err) {
          throw err instanceof SourceError ? err : new RetryableError((err as Error).message);
        }
        if (seekTo !== null) {
          res.destroy(); // the rest of this answer is not wanted
          res = undefined;
          if (stats) stats.rangeSeeks = (stats.rangeSeeks ?? 0) + 1;
          break;
        }
        if (expectedEnd !== null && at < expectedEnd) throw new RetryableError(`the connection ended after ${at} of ${expectedEnd} bytes`);
        res = undefined;
        if (to === null || status === 200) return; // the whole rest of the file has come
        break; // the window has come: on to the next
      } catch (err) {
        res?.destroy();
        if (!(err instanceof RetryableError)) throw err;
        if (attempt >= o.retries) throw fail(`${err.message} (gave up after ${attempt + 1} attempts)`, err);
        if (stats) stats.retries++;
        await backoff(o, attempt);
      }
    }
    if (seekTo !== null) {
      // The next request starts at the new position (an open-ended range when not windowed).
      position = seekTo;
      run = 0;
    } else {
      run++;
    }
  }
}

/** An HTTP(S) URL as a source item. */
/**
 * What identifies the version of `url` the server has now: its ETag, else its
 * Last-Modified, with the length (a HEAD request, retried like a GET); null
 * when the server gives neither, and then nothing can tell a changed file.
 */
export async function httpIdentity(url: string, o: HttpOptions = DEFAULT_HTTP): Promise<string | null> {
  const u = new URL(url);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'HEAD', agent: agentFor(u, o), headers: { ...(o.headers ?? {}) } });
        req.setTimeout(o.timeoutMs, () => req.destroy(new RetryableError(`no response within ${o.timeoutMs} ms`)));
        req.on('response', resolve);
        req.on('error', (err) => reject(err instanceof RetryableError ? err : new RetryableError(err.message)));
        req.end();
      });
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 500) throw new RetryableError(`HTTP ${status}`);
      if (status !== 200) return null;
      const tag = res.headers.etag ?? res.headers['last-modified'];
      return tag ? `${tag} ${res.headers['content-length'] ?? ''}` : null;
    } catch (err) {
      if (!(err instanceof RetryableError) || attempt >= o.retries) return null;
      await backoff(o, attempt);
    }
  }
}

export function httpItem(url: string, o: HttpOptions = DEFAULT_HTTP, extra: { label?: string; split?: string; stats?: HttpStats } = {}): SourceItem {
  const item: SourceItem = { id: url, open: (read) => fetchBytes(url, o, extra.stats, read), cacheIdentity: () => httpIdentity(url, o) };
  if (extra.label !== undefined) item.label = extra.label;
  if (extra.split !== undefined) item.split = extra.split;
  return item;
}

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

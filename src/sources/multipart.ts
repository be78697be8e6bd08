/**
 * A streaming parser of `multipart/related` bodies (RFC 2046 §5.1, as
 * DICOMweb's WADO-RS uses them): chunks in, parts' headers and body bytes
 * out as they arrive. Chunks may split anywhere, inside a boundary or a CRLF
 * included; a part's body is never held whole by the parser.
 */
import { SourceError, type Where } from '../errors.js';

export type MultipartEvent =
  | { kind: 'part'; headers: Record<string, string> }
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'end' };

/** Part headers longer than this are not what a WADO-RS server sends. */
const MAX_HEADER_BYTES = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Parameters of a Content-Type value, names lower-cased, quotes removed.
 *
 * @example contentTypeParams('multipart/related; type="image/jp2"; boundary=x') // { type: 'image/jp2', boundary: 'x' }
 */
export function contentTypeParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  // A quoted value may itself hold ';' and '=' (type="image/jp2; transfer-syntax=...").
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
  }
  return out;
}

/**
 * Parts of a multipart body. Each part is announced by a `part` event with
 * its headers (names lower-cased), followed by its body as `data` events and
 * an `end` event.
 *
 * @example
 *   for await (const e of multipartEvents(body, contentTypeParams(res.headers['content-type']).boundary))
 *     if (e.kind === 'data') sink.write(e.bytes);
 */
export async function* multipartEvents(chunks: AsyncIterable<Uint8Array>, boundary: string, at: Where = {}): AsyncGenerator<MultipartEvent> {
  const fail = (why: string) => new SourceError(`malformed multipart body: ${why}`, { stage: 'source', ...at });
  if (!boundary || boundary.length > 200) throw fail(`unusable boundary ${JSON.stringify(boundary)}`);
  // Every delimiter is CRLF "--" boundary; a CRLF put in front lets the first one match too.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let buf: Buffer = Buffer.from(CRLF);
  let state: 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done' = 'preamble';
  let inPart = false;

  for await (const chunk of chunks) {
    if (state === 'done') continue; // the epilogue is ignored
    buf = buf.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([buf, chunk]);
    for (;;) {
      if (state === 'preamble' || state === 'body') {
        const i = buf.indexOf(delimiter);
        // Without a match, all but the bytes that could start a delimiter are body.
        const emit = i >= 0 ? i : Math.max(0, buf.length - delimiter.length + 1);
        if (state === 'body' && emit > 0) yield { kind: 'data', bytes: new Uint8Array(buf.buffer, buf.byteOffset, emit) };
        buf = buf.subarray(emit);
        if (i < 0) break;
        buf = buf.subarray(delimiter.length);
        if (inPart) yield { kind: 'end' };
        inPart = false;
        state = 'afterDelimiter';
      } else if (state === 'afterDelimiter') {
        if (buf.length < 2) break;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          break;
        }
        // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
        const eol = buf.indexOf(CRLF);
        if (eol < 0) {
          if (buf.length > 256) throw fail('no line end after a boundary');
          break;
        }
        if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) throw fail('unexpected bytes after a boundary');
        buf = buf.subarray(eol + 2);
        state = 'headers';
      } else if (state === 'headers') {
        if (buf.length < 2) break;
        let text: string;
        if (buf[0] === 0x0d && buf[1] === 0x0a) {
          text = '';
          buf = buf.subarray(2);
        } else {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) {
            if (buf.length > MAX_HEADER_BYTES) throw fail(`part headers longer than ${MAX_HEADER_BYTES} bytes`);
            break;
          }
          text = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
        }
        yield { kind: 'part', headers: parseHeaders(text) };
        inPart = true;
        state = 'body';
      } else break;
    }
    // Keep what is left in a buffer of its own, so the chunk it came from can be collected.
    if (buf.length > 0 && buf.length < buf.buffer.byteLength / 2) buf = Buffer.from(buf);
  }
  if (state !== 'done') throw fail(state === 'preamble' ? 'no boundary found' : 'the body ends before its closing boundary');
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Folded lines (a line starting with whitespace) continue the previous header (RFC 5322 §2.2.3).
  for (const line of text.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

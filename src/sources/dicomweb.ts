/**
 * A PACS over DICOMweb as a source: QIDO-RS lists studies, series and
 * instances; each series' metadata (DICOM JSON) is fetched once and gives
 * every instance's pixel description; WADO-RS frame requests give the frames
 * exactly as stored (`transfer-syntax=*`: the server must not transcode), so
 * the Part-10 container is never needed. Requests share http.ts's agent,
 * timeouts and retries; a frame lost after its retries is reported and the
 * instance's other frames still come.
 */
import type { IncomingMessage } from 'node:http';
import { describeAttributes, type AttributeSource, type DescriptionAttributes, type PixelDescription } from '../dicom/description.js';
import { swapBytes, type EncodedFrame } from '../dicom/frames.js';
import { Tag } from '../dicom/tags.js';
import { syntaxInfo } from '../dicom/transfer-syntax.js';
import { DicomflowError, MalformedError, SourceError, UnsupportedTransferSyntaxError } from '../errors.js';
import type { Listing } from './files.js';
import { DEFAULT_HTTP, RetryableError, backoff, get, type HttpOptions, type HttpStats } from './http.js';
import type { FrameFailure, ItemReader, ItemReaderOptions, SourceItem } from './item.js';
import { contentTypeParams, multipartEvents } from './multipart.js';

const JSON_ACCEPT = 'application/dicom+json';
const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
/** Frame requests in flight per instance: enough to hide latency, few enough to bound memory. */
const FRAMES_IN_FLIGHT = 4;

/** The only attributes taken from the metadata: patient and institution data never get further than the JSON parser. */
const TOP_TAGS = [
  Tag.TransferSyntaxUID, Tag.SOPInstanceUID, Tag.PatientID, Tag.StudyInstanceUID, Tag.SeriesInstanceUID,
  Tag.SamplesPerPixel, Tag.PhotometricInterpretation, Tag.PlanarConfiguration, Tag.NumberOfFrames, Tag.Rows, Tag.Columns,
  Tag.BitsAllocated, Tag.BitsStored, Tag.HighBit, Tag.PixelRepresentation,
  Tag.WindowCenter, Tag.WindowWidth, Tag.RescaleIntercept, Tag.RescaleSlope,
];
const MACRO_TAGS = [Tag.RescaleIntercept, Tag.RescaleSlope, Tag.WindowCenter, Tag.WindowWidth];
const MACRO_SEQUENCES = [Tag.PixelValueTransformationSequence, Tag.FrameVOILUTSequence];

type Json = Record<string, { vr?: string; Value?: unknown[] } | undefined>;
type Picked = Map<number, unknown[]>;

const key = (tag: number) => tag.toString(16).toUpperCase().padStart(8, '0');
const items = (o: Json | undefined, tag: number): Json[] => (o?.[key(tag)]?.Value ?? []).filter((v): v is Json => typeof v === 'object' && v !== null);

function pick(o: Json | undefined, tags: readonly number[], into: Picked = new Map()): Picked {
  for (const tag of tags) {
    const v = o?.[key(tag)]?.Value;
    if (Array.isArray(v) && v.length > 0) into.set(tag, v);
  }
  return into;
}
function macros(group: Json | undefined): Picked {
  const into: Picked = new Map();
  for (const seq of MACRO_SEQUENCES) pick(items(group, seq)[0], MACRO_TAGS, into);
  return into;
}

function jsonSource(p: Picked): AttributeSource {
  const first = (tag: number) => p.get(tag)?.[0];
  const number = (tag: number) => {
    const v = first(tag);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : null;
  };
  return {
    uint16: (tag) => {
      const n = number(tag);
      return n !== null && Number.isInteger(n) ? n : null;
    },
    number,
    string: (tag) => {
      const v = first(tag);
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
    },
    has: (tag) => p.has(tag),
  };
}

/** An instance's description attributes out of its DICOM JSON, and nothing else. */
export function metadataAttributes(o: Json): DescriptionAttributes & { transferSyntax: string | null; sop: string | null } {
  const top = jsonSource(pick(o, TOP_TAGS));
  // The bulk data element's key says which pixel data the instance has; float frames read
  // as 32-bit integers would be wrong numbers, silently.
  const pixelData = '7FE00009' in o ? 'float64' : '7FE00008' in o ? 'float32' : 'integer';
  return {
    pixelData,
    top,
    shared: jsonSource(macros(items(o, Tag.SharedFunctionalGroupsSequence)[0])),
    perFrame: items(o, Tag.PerFrameFunctionalGroupsSequence).map((f) => jsonSource(macros(f))),
    transferSyntax: top.string(Tag.TransferSyntaxUID),
    sop: top.string(Tag.SOPInstanceUID),
  };
}

function sourceError(url: string, why: string, cause?: unknown): SourceError {
  return new SourceError(`cannot read ${url}: ${why}`, { stage: 'source', file: url }, cause === undefined ? {} : { cause });
}

/** One attempt: the response once its status says the body is worth reading. */
async function respond(url: string, accept: string, o: HttpOptions, stats: HttpStats | undefined): Promise<IncomingMessage> {
  if (stats) stats.requests++;
  const res = await get(new URL(url), 0, { ...o, headers: { ...(o.headers ?? {}), accept } });
  const status = res.statusCode ?? 0;
  if (status !== 200) res.resume();
  if (status >= 500) throw new RetryableError(`HTTP ${status}`);
  // The Authorization value itself is never put in a message.
  if (status === 401 || status === 403) throw sourceError(url, `HTTP ${status}: not authorised (set the variable sources.http.authEnv names)`);
  if (status !== 200) throw sourceError(url, `HTTP ${status}`);
  res.setTimeout(o.timeoutMs, () => res.destroy(new RetryableError(`no data for ${o.timeoutMs} ms`)));
  return res;
}

/** `attempt` retried after 5xx answers, timeouts and broken connections, with backoff. */
async function withRetries<T>(url: string, o: HttpOptions, stats: HttpStats | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof DicomflowError) throw err;
      if (n >= o.retries) throw sourceError(url, `${(err as Error).message} (gave up after ${n + 1} attempts)`, err);
      if (stats) stats.retries++;
      await backoff(o, n);
    }
  }
}

async function getJson(url: string, o: HttpOptions, stats?: HttpStats): Promise<Json[]> {
  const text = await withRetries(url, o, stats, async () => {
    const res = await respond(url, JSON_ACCEPT, o, stats);
    const parts: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) parts.push(c);
    return Buffer.concat(parts).toString('utf8');
  });
  // Some servers answer 200 with an empty body when nothing matches.
  let parsed: unknown = [];
  try {
    if (text.trim() !== '') parsed = JSON.parse(text);
  } catch (err) {
    throw sourceError(url, `the answer is not JSON (${(err as Error).message})`, err);
  }
  if (!Array.isArray(parsed)) throw sourceError(url, 'the answer is not a JSON array of DICOM data sets');
  return parsed as Json[];
}

/** Body of the first part of a multipart answer, with the part's transfer syntax. */
async function fetchFrame(url: string, o: HttpOptions, stats: HttpStats | undefined, r: ItemReaderOptions): Promise<{ bytes: Uint8Array; transferSyntax: string | null }> {
  return withRetries(url, o, stats, async () => {
    const res = await respond(url, FRAME_ACCEPT, o, stats);
    const type = String(res.headers['content-type'] ?? '');
    const params = contentTypeParams(type);
    if (!params.boundary) throw sourceError(url, `expected a multipart answer, got Content-Type ${type}`);
    const counted = (async function* () {
      for await (const c of res as AsyncIterable<Buffer>) {
        r.onBytes?.(c.length);
        yield c;
      }
    })();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let partType: string | null = null;
    let parts = 0;
    // Read to the closing boundary, so the connection goes back to the keep-alive pool.
    for await (const e of multipartEvents(counted, params.boundary, { file: url })) {
      if (e.kind === 'part' && ++parts === 1) partType = e.headers['content-type'] ?? params.type ?? '';
      else if (e.kind === 'data' && parts === 1) {
        size += e.bytes.length;
        if (size > r.maxFrameBytes) {
          res.destroy();
          throw sourceError(url, `the frame is larger than parse.maxFrameBytes ${r.maxFrameBytes}`);
        }
        chunks.push(e.bytes);
      }
    }
    if (partType === null) throw sourceError(url, 'the multipart answer holds no part');
    const syntax = contentTypeParams(partType)['transfer-syntax'] ?? contentTypeParams(params.type ?? '')['transfer-syntax'] ?? null;
    return { bytes: Buffer.concat(chunks), transferSyntax: syntax };
  });
}

interface InstanceRef {
  url: string;
  sop: string;
  metadata(): Promise<Map<string, ReturnType<typeof metadataAttributes>>>;
}

/** Header from the series metadata, frames from WADO-RS, up to FRAMES_IN_FLIGHT requests ahead. */
function instanceReader(ref: InstanceRef, o: HttpOptions, stats: HttpStats | undefined, r: ItemReaderOptions): ItemReader {
  const inFlight = new Map<number, Promise<{ bytes: Uint8Array; transferSyntax: string | null }>>();
  const request = (n: number) => {
    let p = inFlight.get(n);
    if (!p) {
      p = fetchFrame(`${ref.url}/frames/${n}`, o, stats, r);
      p.catch(() => {}); // awaited in order later, or dropped on close
      inFlight.set(n, p);
    }
    return p;
  };
  let header: Promise<PixelDescription> | undefined;
  let closed = false;
  const describeIt = async (): Promise<PixelDescription> => {
    const attrs = (await ref.metadata()).get(ref.sop);
    if (!attrs) throw sourceError(ref.url, 'the series metadata has no entry for this instance');
    // Orthanc (1.10, plugin 1.7) leaves (0002,0010) out of the metadata; the frame's Content-Type names it.
    const uid = attrs.transferSyntax ?? (await request(1)).transferSyntax;
    if (uid === null) throw sourceError(ref.url, 'neither the metadata nor the frame answer names a transfer syntax');
    const syntax = syntaxInfo(uid);
    if (syntax === undefined || syntax.video) {
      throw new UnsupportedTransferSyntaxError(`transfer syntax ${uid} is not supported`, { stage: 'source', file: ref.url }, { details: { transferSyntax: uid } });
    }
    return describeAttributes(attrs, syntax, { maxFrameBytes: r.maxFrameBytes }, { stage: 'source', file: ref.url });
  };
  return {
    header: () => (header ??= describeIt()),
    async *frames(): AsyncGenerator<EncodedFrame | FrameFailure> {
      const d = await (header ??= describeIt());
      const syntax = syntaxInfo(d.transferSyntax)!;
      for (let n = 1; n <= d.frames && !closed; n++) {
        for (let ahead = n; ahead < n + FRAMES_IN_FLIGHT && ahead <= d.frames; ahead++) request(ahead);
        const index = n - 1;
        try {
          let { bytes } = await request(n);
          inFlight.delete(n);
          if (!syntax.encapsulated) {
            // Native frames: an odd-length frame may come with its pad byte; fewer bytes is a broken answer.
            if (bytes.length < d.frameBytes) throw new MalformedError(`frame holds ${bytes.length} bytes, ${d.frameBytes} expected`, { stage: 'source', file: ref.url, frame: index });
            bytes = bytes.subarray(0, d.frameBytes);
            if (!syntax.littleEndian && d.bitsAllocated > 8) swapBytes(bytes, d.bitsAllocated / 8);
          }
          yield { index, bytes, offset: 0 };
        } catch (err) {
          inFlight.delete(n);
          if (!(err instanceof DicomflowError)) throw err;
          yield { index, error: err };
        }
      }
    },
    async close() {
      closed = true;
      inFlight.clear();
    },
  };
}

/** The whole instance as Part-10 bytes (WADO-RS retrieve), streamed from the first part; retried until its first byte. */
async function* instanceBytes(url: string, o: HttpOptions, stats: HttpStats | undefined): AsyncGenerator<Uint8Array> {
  let delivered = 0;
  for (let n = 0; ; n++) {
    let res: IncomingMessage | undefined;
    try {
      res = await respond(url, INSTANCE_ACCEPT, o, stats);
      const params = contentTypeParams(String(res.headers['content-type'] ?? ''));
      if (!params.boundary) throw sourceError(url, 'expected a multipart answer');
      let parts = 0;
      for await (const e of multipartEvents(res, params.boundary, { file: url })) {
        if (e.kind === 'part') parts++;
        else if (e.kind === 'data' && parts === 1) {
          delivered += e.bytes.length;
          yield e.bytes;
        }
      }
      res = undefined; // read to the end: the connection can be reused
      return;
    } catch (err) {
      if (err instanceof DicomflowError) throw err;
      // The boundary is new in every answer, so a broken body cannot be resumed, only restarted.
      if (delivered > 0 || n >= o.retries) throw sourceError(url, `${(err as Error).message} (after ${delivered} bytes, ${n + 1} attempts)`, err);
      if (stats) stats.retries++;
      await backoff(o, n);
    } finally {
      res?.destroy();
    }
  }
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const uidOf = (o: Json, tag: number) => jsonSource(pick(o, [tag])).string(tag);

/**
 * Every instance of the given studies (all studies when the list is empty)
 * as items with a frame reader. A study, series or listing that fails is a
 * problem in the listing; the rest are still listed.
 *
 * @example const { items, problems } = await listDicomweb('http://pacs:8042/dicom-web', ['1.2.840.1234']);
 */
export async function listDicomweb(base: string, studies: readonly string[], o: HttpOptions = DEFAULT_HTTP, stats?: HttpStats): Promise<Listing> {
  const root = base.replace(/\/+$/, '');
  const out: Listing = { items: [], problems: [] };
  let uids = [...studies];
  if (uids.length === 0) {
    try {
      uids = (await getJson(`${root}/studies`, o, stats)).map((s) => uidOf(s, Tag.StudyInstanceUID)).filter((u): u is string => u !== null);
    } catch (err) {
      out.problems.push(err as DicomflowError);
      return out;
    }
  }
  const seen = new Set<string>();
  for (const study of new Set(uids)) {
    const studyUrl = `${root}/studies/${study}`;
    if (!UID.test(study) || study.length > 64) {
      out.problems.push(new SourceError(`${JSON.stringify(study)} is not a valid StudyInstanceUID`, { stage: 'source', file: studyUrl }));
      continue;
    }
    try {
      const series = await getJson(`${studyUrl}/series`, o, stats);
      if (series.length === 0) throw sourceError(`${studyUrl}/series`, `no series found for study ${study}`);
      for (const s of series) {
        const uid = uidOf(s, Tag.SeriesInstanceUID);
        if (uid === null || !UID.test(uid)) continue;
        const seriesUrl = `${studyUrl}/series/${uid}`;
        let metadata: ReturnType<InstanceRef['metadata']> | undefined;
        const ref = { metadata: () => (metadata ??= getJson(`${seriesUrl}/metadata`, o, stats).then((all) => new Map(all.map((m) => metadataAttributes(m)).map((a) => [a.sop ?? '', a])))) };
        for (const inst of await getJson(`${seriesUrl}/instances`, o, stats)) {
          const sop = uidOf(inst, Tag.SOPInstanceUID);
          if (sop === null || !UID.test(sop) || seen.has(sop)) continue;
          seen.add(sop);
          out.items.push(dicomwebItem({ ...ref, url: `${seriesUrl}/instances/${sop}`, sop }, o, stats));
        }
      }
    } catch (err) {
      out.problems.push(err instanceof DicomflowError ? err : sourceError(studyUrl, (err as Error).message, err));
    }
  }
  return out;
}

function dicomwebItem(ref: InstanceRef, o: HttpOptions, stats: HttpStats | undefined): SourceItem {
  return {
    id: ref.url,
    open: () => instanceBytes(ref.url, o, stats),
    reader: (r) => instanceReader(ref, o, stats, r),
    // An instance's UIDs name its content: DICOM gives a changed image a new SOP Instance UID.
    cacheIdentity: async () => `dicomweb ${ref.url}`,
  };
}

/**
 * A PACS over DICOMweb as a source: QIDO-RS lists studies, series and
 * instances, then each instance is read in one of two modes, chosen per series:
 *
 * - frame mode: the series' metadata (DICOM JSON), fetched once, gives every
 *   instance's pixel description, and one WADO-RS request per frame gives
 *   the frame exactly as stored (`transfer-syntax=*`: the server must not
 *   transcode); no Part-10 container. A frame lost after its retries is
 *   reported and the instance's other frames still come.
 * - instance mode: one WADO-RS request per instance; the Part-10 file in the
 *   multipart answer goes through the Part-10 parser as it streams (the item
 *   has `open()` and no `reader()`).
 *
 * Requests share http.ts's agent, timeouts and retries.
 */
import type { IncomingMessage } from 'node:http';
import { describeAttributes, type AttributeSource, type DescriptionAttributes, type PixelDescription } from '../dicom/description.js';
import { ByteReader } from '../dicom/byte-reader.js';
import { PREFIX_SYNTAXES, planPrefix, swapBytes, type EncodedFrame, type FramePrefix } from '../dicom/frames.js';
import { cutCodestream } from '../codecs/j2k-prefix.js';
import { Tag } from '../dicom/tags.js';
import { syntaxInfo } from '../dicom/transfer-syntax.js';
import { DicomflowError, MalformedError, SourceError, UnsupportedTransferSyntaxError } from '../errors.js';
import type { Listing } from './files.js';
import { DEFAULT_HTTP, RetryableError, backoff, get, type HttpOptions, type HttpStats } from './http.js';
import type { FrameFailure, ItemReader, ItemReaderOptions, SourceItem } from './item.js';
import { contentTypeParams, multipartEvents, type MultipartEvent } from './multipart.js';

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

/** How an instance's pixel data is fetched. */
export type DicomwebMode = 'frames' | 'instance';
/** `sources.dicomweb.mode`: a mode for every series, or "auto" to choose per series (see chooseMode). */
export type DicomwebModeOption = DicomwebMode | 'auto';

// The "auto" rule. A WADO-RS request costs a round trip plus the server's work to find
// the instance and cut out the frame (Orthanc reads the stored file again for each
// one), whatever the frame's size; for small frames that overhead is most of the time
// and one request per instance is cheaper. Large frames gain from frame mode's requests
// in flight side by side, its per-frame retries and from not downloading the header.
/** A single-frame instance takes one pixel request in either mode; frame mode then also skips the header. */
export const AUTO_MIN_FRAMES = 2;
/**
 * Decoded frame size (Rows x Columns x SamplesPerPixel x BitsAllocated / 8) up to which
 * a frame counts as small: 256 KiB is ~20 ms at 100 Mbit/s, about one WAN round trip.
 * Compressed frames are smaller than this estimate, so the rule leans to frame mode.
 */
export const AUTO_MAX_FRAME_BYTES = 256 * 1024;
/**
 * Largest instance (frames x decoded frame size) read in instance mode: a multipart body
 * cut off after its first byte cannot be resumed, and then the whole instance is lost
 * (frame mode would lose one frame and retry it). This bounds what one broken
 * connection costs.
 */
export const AUTO_MAX_INSTANCE_BYTES = 64 * 1024 * 1024;

type Json = Record<string, { vr?: string; Value?: unknown[] } | undefined>;
type Picked = Map<number, unknown[]>;
type InstanceAttributes = ReturnType<typeof metadataAttributes>;

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

/**
 * The "auto" mode of a series from its instances' metadata: instance mode when every
 * instance has at least AUTO_MIN_FRAMES frames of at most AUTO_MAX_FRAME_BYTES each and
 * at most AUTO_MAX_INSTANCE_BYTES in all; frame mode otherwise, and whenever an
 * instance's size cannot be told (no Rows, say), as before there was a choice.
 *
 * @example chooseMode([metadataAttributes(json)]) // 'instance' for a 4-frame 80x64 16-bit MR
 */
export function chooseMode(instances: Iterable<InstanceAttributes>): DicomwebMode {
  let any = false;
  for (const { top } of instances) {
    any = true;
    const frames = top.has(Tag.NumberOfFrames) ? top.number(Tag.NumberOfFrames) : 1;
    const rows = top.uint16(Tag.Rows);
    const columns = top.uint16(Tag.Columns);
    const bits = top.uint16(Tag.BitsAllocated);
    if (frames === null || rows === null || columns === null || bits === null) return 'frames';
    const frameBytes = Math.ceil((rows * columns * (top.uint16(Tag.SamplesPerPixel) ?? 1) * bits) / 8);
    if (frames < AUTO_MIN_FRAMES || frameBytes > AUTO_MAX_FRAME_BYTES || frames * frameBytes > AUTO_MAX_INSTANCE_BYTES) return 'frames';
  }
  return any ? 'instance' : 'frames';
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

/** A frame as fetchFrame gives it. */
interface FetchedFrame {
  bytes: Uint8Array;
  transferSyntax: string | null;
  /** Set when only the codestream's first bytes were fetched (see fetchFrame). */
  prefix?: FramePrefix;
}

/** The chunks of an answer's body, counted (ItemReaderOptions.onBytes) as they arrive. */
async function* countedBody(res: IncomingMessage, r: ItemReaderOptions): AsyncGenerator<Uint8Array> {
  for await (const c of res as AsyncIterable<Buffer>) {
    r.onBytes?.(c.length);
    yield c;
  }
}

/** The transfer syntax a frame answer names: its part's Content-Type, else the answer's type parameter. */
function partSyntax(partType: string | null, params: Record<string, string>): string | null {
  return contentTypeParams(partType ?? '')['transfer-syntax'] ?? contentTypeParams(params.type ?? '')['transfer-syntax'] ?? null;
}

/**
 * The body of the first part of a frame's multipart answer, with the part's
 * transfer syntax. With `atLeastFor` (decode.prefixReads), a J2K or HTJ2K
 * frame decoded below full resolution is fetched in part: its body is parsed
 * as it arrives; once its
 * start shows how many bytes the needed resolution levels take (planPrefix,
 * the plan local files use), the answer is dropped there, so the rest of
 * the codestream crosses the network only as far as it was already in
 * flight. This needs nothing of the server (Orthanc ignores Range, and a
 * range of a multipart body would not be a range of the frame); the price
 * is the connection, which cannot go back to the keep-alive pool. The
 * frame's end is not fetched, so damage past the prefix (which a local
 * read finds in the last bytes) is not seen; the levels decoded are whole.
 * A codestream that does not put those levels first is read whole.
 */
async function fetchFrame(
  url: string,
  o: HttpOptions,
  stats: HttpStats | undefined,
  r: ItemReaderOptions,
  atLeastFor: (transferSyntax: string | null) => { width: number; height: number } | null = () => null,
): Promise<FetchedFrame> {
  return withRetries(url, o, stats, async () => {
    const res = await respond(url, FRAME_ACCEPT, o, stats);
    const type = String(res.headers['content-type'] ?? '');
    const params = contentTypeParams(type);
    if (!params.boundary) {
      res.destroy();
      throw sourceError(url, `expected a multipart answer, got Content-Type ${type}`);
    }
    const events = multipartEvents(countedBody(res, r), params.boundary, { file: url })[Symbol.asyncIterator]();
    // The first part's headers say its transfer syntax (the series metadata may not: Orthanc's leaves it out).
    let first: IteratorResult<MultipartEvent>;
    do first = await events.next();
    while (!first.done && first.value.kind !== 'part');
    if (first.done || first.value.kind !== 'part') throw sourceError(url, 'the multipart answer holds no part');
    const headers = first.value.headers;
    const transferSyntax = partSyntax(headers['content-type'] ?? params.type ?? '', params);
    const declared = Number(headers['content-length']);
    const partLength = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    let size = 0;
    // The rest of the first part's body; read on to the closing boundary when the frame is read whole.
    const body = async function* (): AsyncGenerator<Uint8Array> {
      let inFirst = true;
      for (let e = await events.next(); !e.done; e = await events.next()) {
        if (e.value.kind === 'part') inFirst = false;
        else if (e.value.kind === 'data' && inFirst) {
          size += e.value.bytes.length;
          if (size > r.maxFrameBytes) throw sourceError(url, `the frame is larger than parse.maxFrameBytes ${r.maxFrameBytes}`);
          yield e.value.bytes;
        }
      }
    };
    const reader = new ByteReader(body());
    try {
      const atLeast = atLeastFor(transferSyntax);
      const plan = atLeast ? await planPrefix(reader, partLength ?? Infinity, atLeast) : null;
      if (plan) {
        const head = new Uint8Array(plan.plan.bytes);
        const got = await reader.readInto(head);
        // A frame that ends inside its prefix goes to the codec as it is, which reports it.
        if (got < head.length) return { bytes: head.subarray(0, got), transferSyntax };
        return { bytes: cutCodestream(head, plan.plan), transferSyntax, prefix: { level: plan.level, bytesRead: got, frameBytes: partLength ?? got } };
      }
      const chunks: Uint8Array[] = [];
      for await (const c of reader.remaining()) chunks.push(c);
      return { bytes: Buffer.concat(chunks), transferSyntax };
    } finally {
      // Stops the body where it stands; an answer read to its end keeps its connection.
      await reader.close();
      await events.return?.(undefined);
      if (!res.complete) res.destroy();
    }
  });
}

interface InstanceRef {
  url: string;
  sop: string;
  metadata(): Promise<Map<string, InstanceAttributes>>;
}

/** Header from the series metadata, frames from WADO-RS, up to FRAMES_IN_FLIGHT requests ahead. */
function instanceReader(ref: InstanceRef, o: HttpOptions, stats: HttpStats | undefined, r: ItemReaderOptions): ItemReader {
  const inFlight = new Map<number, Promise<FetchedFrame>>();
  // With prefix reads on, a J2K or HTJ2K frame decoded below full resolution is fetched in part
  // (fetchFrame); its answer's part says the syntax, which Orthanc's metadata leaves out.
  let attributes: InstanceAttributes | undefined;
  const atLeastFor = (uid: string | null) => {
    const syntax = uid === null ? undefined : syntaxInfo(uid);
    if (!r.prefix || !attributes || !syntax || !PREFIX_SYNTAXES.has(syntax.uid)) return null;
    try {
      return r.prefix(describeAttributes(attributes, syntax, { maxFrameBytes: r.maxFrameBytes }, { stage: 'source', file: ref.url }));
    } catch {
      return null; // describeIt reports a bad description
    }
  };
  const request = (n: number) => {
    let p = inFlight.get(n);
    if (!p) {
      const url = `${ref.url}/frames/${n}`;
      p = fetchFrame(url, o, stats, r, atLeastFor);
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
    attributes = attrs;
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
          const fetched = await request(n);
          let { bytes } = fetched;
          inFlight.delete(n);
          if (!syntax.encapsulated) {
            // Native frames: an odd-length frame may come with its pad byte; fewer bytes is a broken answer.
            if (bytes.length < d.frameBytes) throw new MalformedError(`frame holds ${bytes.length} bytes, ${d.frameBytes} expected`, { stage: 'source', file: ref.url, frame: index });
            bytes = bytes.subarray(0, d.frameBytes);
            if (!syntax.littleEndian && d.bitsAllocated > 8) swapBytes(bytes, d.bitsAllocated / 8);
          }
          yield { index, bytes, offset: 0, ...(fetched.prefix ? { prefix: fetched.prefix } : {}) };
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

/** A DICOMweb instance as a source item, with the mode it is read in. */
export interface DicomwebItem extends SourceItem {
  /** "frames": `reader()` fetches frame by frame; "instance": no `reader()`, `open()` streams the Part-10 file. */
  dicomwebMode: DicomwebMode;
}

/** The mode a DICOMweb item is read in; null for other items. */
export function dicomwebModeOf(item: SourceItem): DicomwebMode | null {
  const mode = (item as Partial<DicomwebItem>).dicomwebMode;
  return mode === 'frames' || mode === 'instance' ? mode : null;
}

/** The auto mode of a series. Metadata that cannot be had gives frame mode: each instance then reports the failure when read, as it always did. */
async function autoMode(ref: Pick<InstanceRef, 'metadata'>): Promise<DicomwebMode> {
  try {
    return chooseMode((await ref.metadata()).values());
  } catch (err) {
    if (!(err instanceof DicomflowError)) throw err;
    return 'frames';
  }
}

/**
 * Every instance of the given studies (all studies when the list is empty)
 * as items. `mode` (default "frames", as before the option existed; the
 * config's default is "auto") says how they are read: "auto" fetches each
 * series' metadata while listing and applies chooseMode. A study, series or
 * listing that fails is a problem in the listing; the rest are still listed.
 *
 * @example const { items, problems } = await listDicomweb('http://pacs:8042/dicom-web', ['1.2.840.1234'], DEFAULT_HTTP, undefined, { mode: 'auto' });
 */
export async function listDicomweb(
  base: string,
  studies: readonly string[],
  o: HttpOptions = DEFAULT_HTTP,
  stats?: HttpStats,
  options: { mode?: DicomwebModeOption } = {},
): Promise<Listing> {
  const want = options.mode ?? 'frames';
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
        const sops: string[] = [];
        for (const inst of await getJson(`${seriesUrl}/instances`, o, stats)) {
          const sop = uidOf(inst, Tag.SOPInstanceUID);
          if (sop === null || !UID.test(sop) || seen.has(sop)) continue;
          seen.add(sop);
          sops.push(sop);
        }
        if (sops.length === 0) continue;
        const mode = want === 'auto' ? await autoMode(ref) : want;
        for (const sop of sops) out.items.push(dicomwebItem({ ...ref, url: `${seriesUrl}/instances/${sop}`, sop }, mode, o, stats));
      }
    } catch (err) {
      out.problems.push(err instanceof DicomflowError ? err : sourceError(studyUrl, (err as Error).message, err));
    }
  }
  return out;
}

function dicomwebItem(ref: InstanceRef, mode: DicomwebMode, o: HttpOptions, stats: HttpStats | undefined): DicomwebItem {
  const url = ref.url;
  const item: DicomwebItem = {
    id: url,
    dicomwebMode: mode,
    open: () => instanceBytes(url, o, stats),
    // An instance's UIDs name its content: DICOM gives a changed image a new SOP Instance UID.
    cacheIdentity: async () => `dicomweb ${url}`,
  };
  // Without reader() the pipeline parses open()'s Part-10 bytes; an instance-mode item
  // also lets go of the series metadata, which it never needs.
  if (mode === 'frames') item.reader = (r) => instanceReader(ref, o, stats, r);
  return item;
}

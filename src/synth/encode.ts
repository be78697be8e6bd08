/**
 * Encodes one frame of stored pixel values with the project's WASM codecs
 * (OpenJPEG, OpenJPH, CharLS), and says which transfer syntax the result
 * belongs to. `planEncoding` decides every parameter, and `encodeFrame`
 * only carries the plan out, so the transfer syntax written into a file
 * can never disagree with how its frames were encoded.
 */
import { loadCodecModule } from '../codecs/wasm.js';
import { DicomflowError } from '../errors.js';
import { TransferSyntax, type TransferSyntaxUid } from '../dicom/transfer-syntax.js';
import { EncodeError, SynthOptionError } from '../errors.js';
import {
  CHARLS_SPEC,
  OPENJPEG_SPEC,
  OPENJPH_SPEC,
  type CharlsEncoders,
  type CodecFrameInfo,
  type EmbindEncoder,
  type OpenJpegEncoders,
  type OpenJphEncoders,
} from './codec-modules.js';

export type Codec = 'j2k' | 'htj2k' | 'jpegls';

export interface FrameLayout {
  width: number;
  height: number;
  /** 1..16; colour (samples 3) only up to 8. */
  bitsStored: number;
  /** Two's complement stored values (PixelRepresentation 1). */
  signed: boolean;
  /** 1 grayscale; 3 colour, pixel-interleaved (R G B R G B ...). */
  samples: 1 | 3;
}

export interface EncodeOptions {
  lossless: boolean;
  /** Wavelet decompositions (j2k, htj2k). Default 5, or more when HTJ2K RPCL needs them. */
  decompositions?: number;
  /** JPEG-LS NEAR (maximum absolute error) when not lossless. Default 2. */
  nearLossless?: number;
  /** Target compression ratio for lossy j2k and htj2k, against bitsStored-bit samples. Default 10. */
  ratio?: number;
  /** Lossy htj2k: OpenJPH's quantisation step (a fraction of 2^bitsStored). Overrides `ratio`. */
  quantizationStep?: number;
}

/** Everything decided about an encoding before any codec runs. */
export interface EncodingPlan {
  codec: Codec;
  transferSyntax: TransferSyntaxUid;
  /** The Photometric Interpretation the file must declare for these frames. */
  photometric: 'MONOCHROME2' | 'RGB' | 'YBR_RCT' | 'YBR_ICT';
  lossy: boolean;
  /** Lossy Image Compression Method (0028,2114) for lossy syntaxes. */
  method: 'ISO_15444_1' | 'ISO_15444_15' | 'ISO_14495_1';
  /** j2k/htj2k only. */
  decompositions: number | null;
  nearLossless: number | null;
  ratio: number | null;
  quantizationStep: number | null;
}

/** OpenJPEG and OpenJPH progression order numbers. */
const RPCL = 2;
/** HTJ2K Lossless RPCL wants the lowest resolution no larger than 64 x 64 (PS3.5 10.18). */
const RPCL_BASE = 64;

/**
 * Decides the transfer syntax and every codec parameter, and rejects
 * combinations the codecs or DICOM do not allow.
 *
 * HTJ2K lossless is labelled HTJ2KLosslessRPCL (1.2.840.10008.1.2.4.202)
 * rather than HTJ2KLossless (.201): the encoder is configured for what that
 * syntax requires (RPCL progression, a TLM marker segment, enough
 * decompositions for a base resolution of at most 64), so the more specific
 * UID is the honest one, and it tells readers they may fetch and decode
 * resolutions progressively. With fewer decompositions than that (an
 * explicit `decompositions`), the plan falls back to HTJ2KLossless.
 *
 * @example
 *   planEncoding({ width: 2048, height: 2048, bitsStored: 12, signed: false, samples: 1 }, 'htj2k', { lossless: true }).transferSyntax
 *   // '1.2.840.10008.1.2.4.202' (TransferSyntax.HTJ2KLosslessRPCL), decompositions 5
 */
export function planEncoding(layout: FrameLayout, codec: Codec, options: EncodeOptions): EncodingPlan {
  checkLayout(layout);
  const bad = (field: string, message: string) => new SynthOptionError(message, { stage: 'bench', field });
  const { lossless } = options;
  const colour = layout.samples === 3;
  if (codec === 'jpegls') {
    if (layout.bitsStored < 2) throw bad('bitsStored', `JPEG-LS needs bitsStored 2..16 (got ${layout.bitsStored})`);
    const near = lossless ? 0 : (options.nearLossless ?? 2);
    if (lossless && options.nearLossless) throw bad('nearLossless', `nearLossless ${options.nearLossless} contradicts lossless: true`);
    if (!Number.isInteger(near) || near < 0 || near > 255) throw bad('nearLossless', `nearLossless must be an integer 0..255 (got ${near})`);
    return {
      codec,
      transferSyntax: near === 0 ? TransferSyntax.JPEGLSLossless : TransferSyntax.JPEGLSNearLossless,
      photometric: colour ? 'RGB' : 'MONOCHROME2',
      lossy: near > 0,
      method: 'ISO_14495_1',
      decompositions: null,
      nearLossless: near,
      ratio: null,
      quantizationStep: null,
    };
  }
  if (codec !== 'j2k' && codec !== 'htj2k') throw bad('codec', `codec must be j2k, htj2k or jpegls (got ${String(codec)})`);

  // Each halving must leave at least one sample (OpenJPEG refuses more levels than that).
  const most = Math.floor(Math.log2(Math.min(layout.width, layout.height)));
  const rpclLevels = Math.max(0, Math.ceil(Math.log2(Math.max(layout.width, layout.height) / RPCL_BASE)));
  const wanted = codec === 'htj2k' ? Math.max(5, rpclLevels) : 5;
  const decompositions = options.decompositions ?? Math.min(wanted, most);
  if (!Number.isInteger(decompositions) || decompositions < 0 || decompositions > Math.min(most, 32)) {
    throw bad('decompositions', `decompositions must be an integer 0..${Math.min(most, 32)} for a ${layout.width}x${layout.height} image (got ${decompositions})`);
  }
  let ratio: number | null = null;
  let quantizationStep: number | null = null;
  if (!lossless) {
    if (options.quantizationStep !== undefined) {
      if (codec !== 'htj2k') throw bad('quantizationStep', 'quantizationStep applies to htj2k only (use ratio for j2k)');
      if (!(options.quantizationStep > 0 && options.quantizationStep < 1)) throw bad('quantizationStep', `quantizationStep must be in (0, 1) (got ${options.quantizationStep})`);
      quantizationStep = options.quantizationStep;
    } else {
      ratio = options.ratio ?? 10;
      if (!(ratio > 1 && ratio <= 1000)) throw bad('ratio', `ratio must be in (1, 1000] (got ${ratio})`);
    }
  }
  const syntax =
    codec === 'j2k'
      ? lossless
        ? TransferSyntax.JPEG2000Lossless
        : TransferSyntax.JPEG2000
      : !lossless
        ? TransferSyntax.HTJ2K
        : decompositions >= rpclLevels
          ? TransferSyntax.HTJ2KLosslessRPCL
          : TransferSyntax.HTJ2KLossless;
  return {
    codec,
    transferSyntax: syntax,
    // Both wrappers apply the multi-component transform to 3-sample images: RCT when reversible, ICT when not.
    photometric: colour ? (lossless ? 'YBR_RCT' : 'YBR_ICT') : 'MONOCHROME2',
    lossy: !lossless,
    method: codec === 'j2k' ? 'ISO_15444_1' : 'ISO_15444_15',
    decompositions,
    nearLossless: null,
    ratio,
    quantizationStep,
  };
}

export type StoredPixels = Uint8Array | Int8Array | Uint16Array | Int16Array;

/**
 * Encodes one frame to a bare codestream (J2K codestream without a JP2
 * wrapper, or a JPEG-LS interchange-format stream), as DICOM encapsulates
 * it. The pixels are stored values; they are checked against bitsStored
 * first, since a codec given out-of-range values writes a valid-looking
 * codestream of the wrong image.
 *
 * @example
 *   const hu = ctSlice({ seed: 1 });
 *   const layout = { width: 512, height: 512, bitsStored: 16, signed: true, samples: 1 } as const;
 *   const codestream = await encodeFrame(hu, layout, 'j2k', { lossless: true }); // ~210 kB
 */
export async function encodeFrame(pixels: StoredPixels, layout: FrameLayout, codec: Codec, options: EncodeOptions): Promise<Uint8Array> {
  const plan = planEncoding(layout, codec, options);
  checkPixels(pixels, layout, plan);
  const info: CodecFrameInfo = {
    width: layout.width,
    height: layout.height,
    bitsPerSample: layout.bitsStored,
    componentCount: layout.samples,
    isSigned: layout.signed,
    isUsingColorTransform: layout.samples === 3,
  };
  try {
    if (codec === 'jpegls') return await encodeJpegLs(pixels, info, plan);
    if (codec === 'j2k') return await encodeJ2k(pixels, info, plan);
    return await encodeHtj2k(pixels, info, plan);
  } catch (err) {
    if (err instanceof DicomflowError) throw err; // e.g. CodecMissingError: already says what is wrong
    // Embind reports C++ exceptions as a bare pointer number; say at least which codec failed.
    const detail = err instanceof Error ? err.message : `codec exception ${String(err)}`;
    throw new EncodeError(`${codec} encoding of a ${layout.width}x${layout.height} ${layout.bitsStored}-bit frame failed: ${detail}`, { stage: 'bench' }, { cause: err });
  }
}

/** Runs one encode on a fresh encoder object and copies the result out of WASM memory. */
function runEncoder<E extends EmbindEncoder>(encoder: E, pixels: StoredPixels, info: CodecFrameInfo, configure: (e: E) => void): Uint8Array {
  try {
    encoder.getDecodedBuffer(info).set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    configure(encoder);
    encoder.encode();
    // Copy: the view points into WASM memory, which delete() frees and the next call may move.
    // (CharLS hands back a Uint8ClampedArray; callers get a plain Uint8Array either way.)
    return new Uint8Array(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}

async function encodeJ2k(pixels: StoredPixels, info: CodecFrameInfo, plan: EncodingPlan): Promise<Uint8Array> {
  const m = await loadCodecModule<OpenJpegEncoders>(OPENJPEG_SPEC);
  return runEncoder(new m.J2KEncoder(), pixels, info, (e) => {
    e.setDecompositions(plan.decompositions!);
    e.setProgressionOrder(RPCL);
    // The wrapper's second argument is the number of quality layers, not a step size.
    e.setQuality(!plan.lossy, 1);
    // OpenJPEG reads a rate of 0 as "keep everything", i.e. lossless.
    e.setCompressionRatio(0, plan.lossy ? plan.ratio! : 0);
  });
}

async function encodeHtj2k(pixels: StoredPixels, info: CodecFrameInfo, plan: EncodingPlan): Promise<Uint8Array> {
  const m = await loadCodecModule<OpenJphEncoders>(OPENJPH_SPEC);
  const encode = (step: number) =>
    runEncoder(new m.HTJ2KEncoder(), pixels, info, (e) => {
      e.setDecompositions(plan.decompositions!);
      e.setProgressionOrder(RPCL);
      e.setTLMMarker(true);
      // One tile-part per resolution: with the TLM these let a reader fetch a thumbnail by byte range.
      e.setTilePartDivisionsAtResolutions(true);
      e.setQuality(!plan.lossy, step);
    });
  if (!plan.lossy) return encode(0);
  if (plan.quantizationStep !== null) return encode(plan.quantizationStep);
  return searchStep(encode, (info.width * info.height * info.componentCount * info.bitsPerSample) / 8 / plan.ratio!);
}

/**
 * OpenJPH has no rate control, only a quantisation step. To make lossy HTJ2K
 * comparable with lossy J2K at the same ratio, bisect the step (in log
 * space; size falls monotonically as the step grows) until the codestream is
 * within 5% of the target size. Each try is a full encode, but HTJ2K encodes
 * fast enough (~0.1 s for 2048 x 2048) for the dozen tries this takes.
 */
function searchStep(encode: (step: number) => Uint8Array, targetBytes: number): Uint8Array {
  let lo = Math.log(1e-7);
  let hi = Math.log(0.5);
  let best: Uint8Array | null = null;
  for (let i = 0; i < 24; i++) {
    const step = Math.exp((lo + hi) / 2);
    const out = encode(step);
    if (best === null || Math.abs(out.length - targetBytes) < Math.abs(best.length - targetBytes)) best = out;
    if (Math.abs(out.length - targetBytes) <= 0.05 * targetBytes) return out;
    if (out.length > targetBytes) lo = Math.log(step);
    else hi = Math.log(step);
  }
  return best!;
}

async function encodeJpegLs(pixels: StoredPixels, info: CodecFrameInfo, plan: EncodingPlan): Promise<Uint8Array> {
  const m = await loadCodecModule<CharlsEncoders>(CHARLS_SPEC);
  // JPEG-LS has no signed samples: DICOM stores the two's complement bit
  // pattern as an unsigned bitsStored-bit value (PS3.5 8.2.3), and readers
  // sign-extend. Mask away the sign extension the Int16Array carries.
  let input = pixels;
  if (info.isSigned && info.bitsPerSample < 8 * pixels.BYTES_PER_ELEMENT) {
    const mask = 2 ** info.bitsPerSample - 1;
    input = pixels.BYTES_PER_ELEMENT === 1 ? Uint8Array.from(pixels, (v) => v & mask) : Uint16Array.from(pixels, (v) => v & mask);
  }
  return runEncoder(new m.JpegLSEncoder(), input, info, (e) => {
    e.setNearLossless(plan.nearLossless!);
    // CharLS expects planar input for mode 0; our colour input is pixel-interleaved (mode 2).
    e.setInterleaveMode(info.componentCount === 3 ? 2 : 0);
  });
}

function checkLayout(l: FrameLayout): void {
  const bad = (field: string, message: string) => new SynthOptionError(message, { stage: 'bench', field });
  for (const f of ['width', 'height'] as const) {
    if (!Number.isInteger(l[f]) || l[f] < 1 || l[f] > 65535) throw bad(f, `${f} must be an integer 1..65535 (got ${l[f]})`);
  }
  if (!Number.isInteger(l.bitsStored) || l.bitsStored < 1 || l.bitsStored > 16) throw bad('bitsStored', `bitsStored must be an integer 1..16 (got ${l.bitsStored})`);
  if (l.samples !== 1 && l.samples !== 3) throw bad('samples', `samples must be 1 or 3 (got ${String(l.samples)})`);
  // The codec wrappers copy >8-bit colour into one component only (OpenJPEG) or
  // ignore the component stride (OpenJPH): refuse rather than write garbage.
  if (l.samples === 3 && (l.bitsStored > 8 || l.signed)) throw bad('bitsStored', `colour frames must be unsigned with bitsStored <= 8 (got ${l.signed ? 'signed ' : ''}${l.bitsStored})`);
}

function checkPixels(pixels: StoredPixels, l: FrameLayout, plan: EncodingPlan): void {
  const bad = (message: string) => new SynthOptionError(message, { stage: 'bench', field: 'pixels' });
  const wide = l.bitsStored > 8;
  const [Expected, name] = l.signed ? (wide ? [Int16Array, 'Int16Array'] : [Int8Array, 'Int8Array']) : wide ? [Uint16Array, 'Uint16Array'] : [Uint8Array, 'Uint8Array'];
  if (!(pixels instanceof Expected)) throw bad(`${l.signed ? 'signed' : 'unsigned'} ${l.bitsStored}-bit pixels must be an ${name} (got ${pixels.constructor.name})`);
  const count = l.width * l.height * l.samples;
  if (pixels.length !== count) throw bad(`${l.width}x${l.height}x${l.samples} needs ${count} samples (got ${pixels.length})`);
  let lo = l.signed ? -(2 ** (l.bitsStored - 1)) : 0;
  let hi = l.signed ? 2 ** (l.bitsStored - 1) - 1 : 2 ** l.bitsStored - 1;
  if (l.signed && plan.codec === 'jpegls' && plan.lossy) {
    // Near-lossless JPEG-LS works on the unsigned bit pattern: an error of NEAR
    // across the wrap between the most positive and most negative values
    // would flip the sign (an error of ~2^bitsStored). Keep values clear of it.
    lo += plan.nearLossless!;
    hi -= plan.nearLossless!;
  }
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v < lo || v > hi) throw bad(`sample ${i} is ${v}, outside ${lo}..${hi} for ${l.signed ? 'signed' : 'unsigned'} bitsStored ${l.bitsStored}`);
  }
}

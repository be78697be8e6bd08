/**
 * The decoders of CharLS and libjpeg-turbo share one calling convention:
 * copy the codestream into the WASM heap, decode, read frame info and the
 * decoded buffer. This runs it once, with the checks every codec needs.
 *
 * No stale output, by construction: each frame gets its own decoder object,
 * deleted after. The wrappers keep the decoded pixels in a member vector
 * that a failed decode leaves as it was, so a shared decoder hands back the
 * previous frame's pixels for a damaged frame of the same size. A new
 * object starts with an empty vector: a decode that writes nothing fails the
 * size check instead. (Constructing one costs microseconds; the codec state
 * itself is created inside each decode call anyway.)
 */
import type { PixelDescription } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import type { DecodedFrame, DecodeWarning } from '../preprocess/types.js';
import { mismatch, partialDecode } from './errors.js';
import { withFreshDecoder } from './fresh-decoder.js';
import { endsWithEoi, readJpegHeader, type JpegHeader } from './jpeg-header.js';
import { toStored } from './stored.js';
import type { Codec, DecodeOptions, FrameInfo } from './types.js';
import { freshCodecModule, loadCodecModule, type CodecModuleSpec, type ModuleLoader } from './wasm.js';

export interface SimpleDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  getInterleaveMode?(): number;
  delete(): void;
}

export interface SimpleCodecOptions {
  /** Refuses a codestream whose own header disagrees with the DICOM description (before any allocation). */
  guard(h: JpegHeader, d: PixelDescription): void;
  /** Planar configuration of the decoded samples for colour images. */
  planar(decoder: SimpleDecoder): 0 | 1;
  /** Photometric interpretation of the decoded samples, and any warning about it. */
  photometric(d: PixelDescription, h: JpegHeader): { photometric: string; warning?: DecodeWarning };
  /**
   * Log lines by which the codec says it decoded only part of the frame
   * (libjpeg's "Premature end of JPEG file" and "Corrupt JPEG data").
   */
  partialLine?: RegExp;
  /**
   * The codec returns what it could decode of a cut-short stream (libjpeg);
   * false when it only ever throws on one (CharLS, after seconds of work), so
   * such a frame fails at once, whatever decode.partial says.
   */
  decodesPartial: boolean;
}

type DecoderModule = Record<string, new () => SimpleDecoder>;

/**
 * `load` gets the module (shared per thread by default); `freshLoad` is the
 * loader of the codec's fresh() copy, which gets an instance of its own.
 */
export function simpleCodec(name: string, spec: CodecModuleSpec, decoderClass: string, opts: SimpleCodecOptions, load: ModuleLoader = loadCodecModule, freshLoad: ModuleLoader = freshCodecModule): Codec {
  let module: DecoderModule | undefined;
  const codec: Codec = {
    name,
    fresh: () => simpleCodec(name, spec, decoderClass, opts, freshLoad, freshLoad),
    async init() {
      module ??= await load<DecoderModule>(spec);
    },
    decode(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}): Promise<DecodedFrame> {
      return run(bytes, d, options, false, (frame) => frame);
    },
    decodeWith(bytes, d, options, use) {
      return run(bytes, d, options, true, use);
    },
  };
  /** With `inPlace` the frame's pixels are the decoder's own output in the heap, made stored values there. */
  async function run<T>(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions, inPlace: boolean, use: (frame: DecodedFrame) => T): Promise<T> {
    const h = readJpegHeader(bytes);
    opts.guard(h, d);
    const warnings: DecodeWarning[] = [];
    // Known before decoding, and cheap: CharLS takes seconds to give up on a cut-short stream.
    const cut = !endsWithEoi(bytes);
    if (cut && !opts.decodesPartial) {
      throw new DecodeError(`${name} codestream does not end with an EOI marker (cut short), and ${name} cannot decode part of a frame`, { stage: 'decode' }, { details: { codec: name, partial: true } });
    }
    if (cut) warnings.push(partialDecode(name, 'the codestream does not end with an EOI marker (cut short)', options.partial));
    await codec.init();
    return withFreshDecoder(name, spec, () => new module![decoderClass]!(), () => (module = undefined), ({ decoder: dec, logged }) => {
      dec.getEncodedBuffer(bytes.length).set(bytes);
      const log = logged(() => dec.decode());
      const info = dec.getFrameInfo();
      if (info.width !== d.columns || info.height !== d.rows) throw mismatch(name, 'decoded size', `${info.width}x${info.height}`, `${d.columns}x${d.rows}`);
      if (info.componentCount !== d.samplesPerPixel) throw mismatch(name, 'decoded component count', info.componentCount, d.samplesPerPixel);
      const sampleBytes = info.bitsPerSample > 8 ? 2 : 1;
      const out = dec.getDecodedBuffer();
      const expected = d.rows * d.columns * d.samplesPerPixel * sampleBytes;
      if (out.length !== expected) throw mismatch(name, 'decoded byte count', out.length, expected);
      const partialLines = opts.partialLine ? log.filter((l) => opts.partialLine!.test(l)) : [];
      if (partialLines.length > 0 && !cut) warnings.push(partialDecode(name, partialLines.join('; '), options.partial));
      for (const line of log) if (!partialLines.includes(line)) warnings.push({ code: 'DF_WARN_CODEC', message: `${name}: ${line}`, details: { codec: name } });
      const color = d.samplesPerPixel === 3 ? opts.photometric(d, h) : { photometric: d.photometricInterpretation };
      if (color.warning) warnings.push(color.warning);
      const frame: DecodedFrame = {
        // Copied out of the WASM heap before the decoder is deleted, unless `use` runs before that.
        pixels: toStored(out, sampleBytes, d, inPlace),
        width: info.width,
        height: info.height,
        samplesPerPixel: d.samplesPerPixel as 1 | 3,
        planarConfiguration: d.samplesPerPixel === 3 ? opts.planar(dec) : 0,
        photometricInterpretation: color.photometric,
      };
      if (warnings.length > 0) frame.warnings = warnings;
      return frame;
    }, use);
  }
  return codec;
}

/**
 * JPEG 2000 (OpenJPEG) and HTJ2K (OpenJPH): both codec packages expose the
 * same decoder API, including `decodeSubResolution(level, layer)`, which
 * stops the inverse wavelet transform early. Decoding a 2048x2048 frame at
 * level 3 gives 256x256 and skips most of the work.
 */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame, DecodeWarning } from '../preprocess/types.js';
import { DecodeError } from '../errors.js';
import { mismatch, partialDecode } from './errors.js';
import { withFreshDecoder } from './fresh-decoder.js';
import { chooseLevel, endsWithEoc, readJ2kHeader, sizeAtLevel, tilePartProblem, unwrapJp2, type J2kHeader } from './j2k-header.js';

export { chooseLevel };
import { toStored } from './stored.js';
import type { Codec, DecodeOptions, FrameInfo } from './types.js';
import { freshCodecModule, loadCodecModule, type CodecModuleSpec, type ModuleLoader } from './wasm.js';

interface WaveletDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  decodeSubResolution(level: number, layer: number): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
  /** Present on the own OpenJPEG build: false lets a codestream that stops early decode what it holds. */
  strict?: boolean;
}
type WaveletModule = Record<string, new () => WaveletDecoder>;

/** Photometric interpretation of the decoded samples: the decoder undoes J2K's colour transforms. */
function decodedPhotometric(p: string): string {
  return p === 'YBR_RCT' || p === 'YBR_ICT' ? 'RGB' : p;
}

/**
 * Log lines by which the codecs say the codestream was cut short or damaged
 * and the frame holds made-up data: OpenJPEG's "[WARNING]" and OpenJPH's
 * "ojph warning" reports (truncated tile parts, a stream that ends early,
 * packets that cannot be read). "[ERROR]" means nothing usable was decoded.
 */
const WARNING_LINE = /^\[WARNING\]|ojph warning/i;
const ERROR_LINE = /^\[ERROR\]|ojph error/i;

/**
 * The decoder wrappers copy every component as full-size planes of the first
 * component's precision, from an image at the origin. A codestream with a
 * subsampled component, mixed precisions or an image offset makes them read
 * past the component's buffer, into whatever an earlier frame left in the
 * heap (found by the differential fuzz pass). DICOM does not use any of
 * these (PS3.5 8.2.4), so they are refused.
 */
function guardLayout(name: string, h: J2kHeader): void {
  if (h.offsetX !== 0 || h.offsetY !== 0) throw mismatch(name, 'image offset', `${h.offsetX},${h.offsetY}`, '0,0 (dicomflow decodes images at the origin only)');
  for (const [i, c] of h.componentInfo.entries()) {
    if (c.dx !== 1 || c.dy !== 1) throw mismatch(name, `component ${i} subsampling`, `${c.dx}x${c.dy}`, '1x1 (subsampled components are not supported)');
    if (c.precision !== h.precision || c.signed !== h.signed) {
      throw mismatch(name, `component ${i} precision`, `${c.precision}${c.signed ? ' signed' : ''}`, `${h.precision}${h.signed ? ' signed' : ''} like component 0`);
    }
  }
}

export function waveletCodec(name: string, spec: CodecModuleSpec, decoderClass: string, load: ModuleLoader = loadCodecModule, fresh?: () => Codec): Codec {
  let module: WaveletModule | undefined;
  const codec: Codec = {
    name,
    fresh: fresh ?? (() => waveletCodec(name, spec, decoderClass, freshCodecModule)),
    async init() {
      module ??= await load<WaveletModule>(spec);
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
    // Check before decoding: a codestream that claims more than the header is a bomb or a mislabelled file.
    // (The codec's own readHeader() leaves its frame info empty in this build, so the header is read here.)
    const { codestream } = unwrapJp2(bytes);
    const h = readJ2kHeader(codestream);
    if (h.width !== d.columns) throw mismatch(name, 'width', h.width, d.columns);
    if (h.height !== d.rows) throw mismatch(name, 'height', h.height, d.rows);
    if (h.components !== d.samplesPerPixel) throw mismatch(name, 'component count', h.components, d.samplesPerPixel);
    if (h.precision > d.bitsAllocated) throw mismatch(name, 'precision', h.precision, `BitsAllocated ${d.bitsAllocated}`);
    guardLayout(name, h);
    const level = options.atLeast ? chooseLevel(h, options.atLeast, h.decompositions, (l) => sizeAtLevel(h, l)) : 0;
    if (options.prefixLevel !== undefined && options.prefixLevel !== level) {
      throw new DecodeError(`${name}: the frame was read only up to resolution level ${options.prefixLevel} (a prefix read), but this decode wants level ${level}`, { stage: 'decode' }, { details: { codec: name, prefixLevel: options.prefixLevel, level } });
    }
    const warnings: DecodeWarning[] = [];
    const cut = options.prefixDamage ?? (!endsWithEoc(codestream) ? 'the codestream does not end with an EOC marker (cut short)' : tilePartProblem(codestream));
    if (cut) warnings.push(partialDecode(name, cut, options.partial));
    await codec.init();
    // A decoder per frame (see fresh-decoder.ts): after a failed opj_decode the wrapper returns
    // without touching its output vector, so a shared decoder would hand back the last frame.
    return withFreshDecoder(name, spec, () => new module![decoderClass]!(), () => (module = undefined), ({ decoder: dec, logged }) => {
      // The bare codestream: OpenJPEG would take the JP2 file too, but OpenJPH would not.
      dec.getEncodedBuffer(codestream.length).set(codestream);
      // A cut-short codestream decodes in part only when the caller allows it (the codec still reports the damage).
      if ('strict' in dec) dec.strict = options.partial !== 'allow';
      const log = logged(() => (level > 0 ? dec.decodeSubResolution(level, 0) : dec.decode()));
      const errors = log.filter((l) => ERROR_LINE.test(l));
      if (errors.length > 0) throw new DecodeError(`${name} could not decode the frame: ${errors.join('; ')}`, { stage: 'decode' }, { details: { codec: name } });
      const info = dec.getFrameInfo();
      const size = sizeAtLevel(h, level);
      const srcBytes = info.bitsPerSample > 8 ? 2 : 1;
      const out = dec.getDecodedBuffer();
      if (out.length !== size.width * size.height * h.components * srcBytes) {
        throw mismatch(name, 'decoded size', out.length, size.width * size.height * h.components * srcBytes);
      }
      const damage = log.filter((l) => WARNING_LINE.test(l));
      if (damage.length > 0 && !cut) warnings.push(partialDecode(name, damage.join('; ').trim(), options.partial));
      const frame: DecodedFrame = {
        // Copied out of the WASM heap before the decoder is deleted, unless `use` runs before that.
        pixels: toStored(out, srcBytes, d, inPlace),
        width: size.width,
        height: size.height,
        samplesPerPixel: d.samplesPerPixel as 1 | 3,
        planarConfiguration: 0,
        photometricInterpretation: decodedPhotometric(d.photometricInterpretation),
      };
      if (warnings.length > 0) frame.warnings = warnings;
      return frame;
    }, use);
  }
  return codec;
}

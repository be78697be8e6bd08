/**
 * JPEG 2000 (OpenJPEG) and HTJ2K (OpenJPH): both codec packages expose the
 * same decoder API, including `decodeSubResolution(level, layer)`, which
 * stops the inverse wavelet transform early. Decoding a 2048x2048 frame at
 * level 3 gives 256x256 and skips most of the work.
 */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame } from '../preprocess/types.js';
import { decodeFailure, mismatch } from './errors.js';
import { readJ2kHeader, sizeAtLevel } from './j2k-header.js';
import { toStored } from './stored.js';
import type { Codec, DecodeOptions, FrameInfo } from './types.js';
import { loadCodecModule, type CodecModuleSpec } from './wasm.js';

interface WaveletDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  decodeSubResolution(level: number, layer: number): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type WaveletModule = Record<string, new () => WaveletDecoder>;

/**
 * The deepest level whose size is still at least `atLeast` in both axes;
 * 0 (full decode) unless the target is at most half the frame in both axes.
 */
export function chooseLevel(
  full: { width: number; height: number },
  atLeast: { width: number; height: number },
  decompositions: number,
  sizeAt: (level: number) => { width: number; height: number },
): number {
  if (atLeast.width * 2 > full.width || atLeast.height * 2 > full.height) return 0;
  let level = 0;
  for (let l = 1; l <= decompositions; l++) {
    const s = sizeAt(l);
    if (s.width < atLeast.width || s.height < atLeast.height) break;
    level = l;
  }
  return level;
}

/** Photometric interpretation of the decoded samples: the decoder undoes J2K's colour transforms. */
function decodedPhotometric(p: string): string {
  return p === 'YBR_RCT' || p === 'YBR_ICT' ? 'RGB' : p;
}

export function waveletCodec(name: string, spec: CodecModuleSpec, decoderClass: string): Codec {
  let decoder: WaveletDecoder | undefined;
  const codec: Codec = {
    name,
    async init() {
      if (decoder) return;
      const m = await loadCodecModule<WaveletModule>(spec);
      decoder ??= new m[decoderClass]!();
    },
    async decode(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}): Promise<DecodedFrame> {
      await codec.init();
      const dec = decoder!;
      try {
        // Check before decoding: a codestream that claims more than the header is a bomb or a mislabelled file.
        // (The codec's own readHeader() leaves its frame info empty in this build, so the header is read here.)
        const h = readJ2kHeader(bytes);
        if (h.width !== d.columns) throw mismatch(name, 'width', h.width, d.columns);
        if (h.height !== d.rows) throw mismatch(name, 'height', h.height, d.rows);
        if (h.components !== d.samplesPerPixel) throw mismatch(name, 'component count', h.components, d.samplesPerPixel);
        if (h.precision > d.bitsAllocated) throw mismatch(name, 'precision', h.precision, `BitsAllocated ${d.bitsAllocated}`);
        const level = options.atLeast ? chooseLevel(h, options.atLeast, h.decompositions, (l) => sizeAtLevel(h, l)) : 0;
        dec.getEncodedBuffer(bytes.length).set(bytes);
        if (level > 0) dec.decodeSubResolution(level, 0);
        else dec.decode();
        const info = dec.getFrameInfo();
        const size = sizeAtLevel(h, level);
        const srcBytes = info.bitsPerSample > 8 ? 2 : 1;
        const out = dec.getDecodedBuffer();
        if (out.length !== size.width * size.height * h.components * srcBytes) {
          throw mismatch(name, 'decoded size', out.length, size.width * size.height * h.components * srcBytes);
        }
        return {
          pixels: toStored(out, srcBytes, d),
          width: size.width,
          height: size.height,
          samplesPerPixel: d.samplesPerPixel as 1 | 3,
          planarConfiguration: 0,
          photometricInterpretation: decodedPhotometric(d.photometricInterpretation),
        };
      } catch (err) {
        throw decodeFailure(name, spec, err, () => (decoder = undefined));
      }
    },
  };
  return codec;
}

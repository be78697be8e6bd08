/**
 * The decoders of CharLS and libjpeg-turbo share one calling convention:
 * copy the codestream into the WASM heap, decode, read frame info and the
 * decoded buffer. This runs it once, with the checks every codec needs.
 */
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame } from '../preprocess/types.js';
import { decodeFailure, mismatch } from './errors.js';
import { toStored } from './stored.js';
import type { Codec, FrameInfo } from './types.js';
import { loadCodecModule, type CodecModuleSpec } from './wasm.js';

export interface SimpleDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  readHeader?(): void;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  getInterleaveMode?(): number;
  delete(): void;
}

export interface SimpleCodecOptions {
  /** Planar configuration of the decoded samples for colour images. */
  planar(decoder: SimpleDecoder): 0 | 1;
  /** Photometric interpretation of the decoded samples. */
  photometric(d: PixelDescription): string;
}

export function simpleCodec(name: string, spec: CodecModuleSpec, decoderClass: string, opts: SimpleCodecOptions): Codec {
  let decoder: SimpleDecoder | undefined;
  const codec: Codec = {
    name,
    async init() {
      if (decoder) return;
      const m = await loadCodecModule<Record<string, new () => SimpleDecoder>>(spec);
      decoder ??= new m[decoderClass]!();
    },
    async decode(bytes: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
      await codec.init();
      const dec = decoder!;
      try {
        dec.getEncodedBuffer(bytes.length).set(bytes);
        if (dec.readHeader) {
          dec.readHeader();
          const h = dec.getFrameInfo();
          if (h.width !== d.columns || h.height !== d.rows) throw mismatch(name, 'size', `${h.width}x${h.height}`, `${d.columns}x${d.rows}`);
        }
        dec.decode();
        const info = dec.getFrameInfo();
        if (info.width !== d.columns || info.height !== d.rows) throw mismatch(name, 'size', `${info.width}x${info.height}`, `${d.columns}x${d.rows}`);
        if (info.componentCount !== d.samplesPerPixel) throw mismatch(name, 'component count', info.componentCount, d.samplesPerPixel);
        return {
          pixels: toStored(dec.getDecodedBuffer(), info.bitsPerSample > 8 ? 2 : 1, d),
          width: info.width,
          height: info.height,
          samplesPerPixel: d.samplesPerPixel as 1 | 3,
          planarConfiguration: d.samplesPerPixel === 3 ? opts.planar(dec) : 0,
          photometricInterpretation: opts.photometric(d),
        };
      } catch (err) {
        throw decodeFailure(name, spec, err, () => (decoder = undefined));
      }
    },
  };
  return codec;
}

/**
 * dicomflow's own WebAssembly build of CharLS (wasm/own/charls-own.*, built
 * by wasm/own/build.sh from the CharLS 2.0.0 copy in Debian's gdcm source
 * package, -O3 with WebAssembly exception handling), behind the decoder
 * interface of the cornerstone build's embind class, so simpleCodec drives
 * either one.
 *
 * The C entry point (wasm/own/charls_df.cpp) reads the header and decodes
 * the frame into a buffer it allocates for that call; this class frees it in
 * delete(). CharLS's own error (its ApiResult and message) comes back as the
 * thrown message, where the cornerstone build throws a bare number.
 */
import { fileURLToPath } from 'node:url';
import type { SimpleDecoder } from './emscripten.js';
import type { FrameInfo } from './types.js';
import type { CodecModuleSpec } from './wasm.js';

/** The build in wasm/own/, found by path (it ships in the package, not in a dependency). */
export const CHARLS_OWN: CodecModuleSpec = {
  glue: fileURLToPath(new URL('../../wasm/own/charls-own.cjs', import.meta.url)),
  binary: fileURLToPath(new URL('../../wasm/own/charls-own.wasm', import.meta.url)),
  wasmFile: 'charls-own.wasm',
  fixedPath: true,
};

/** The raw Emscripten module: C functions and the heap. */
export interface OwnCharlsRaw {
  _df_jls_decode(data: number, length: number, frame: number): number;
  _df_malloc(n: number): number;
  _df_free(p: number): void;
  UTF8ToString(p: number): string;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
}

/** sizeof(df_jls_frame): six int32 fields, two uint32 fields and a 256-byte message. */
const FRAME_BYTES = 6 * 4 + 2 * 4 + 256;
const MESSAGE_OFFSET = 32;

/** df_jls_decode's own status codes (CharLS's ApiResult comes as 100 + code from the header, 200 + code from the decode). */
const STATUS: Record<number, string> = { 1: 'the header gives an image CharLS cannot decode', 2: 'the decoded frame would exceed 2 GiB', 3: 'out of memory for the decoded frame' };

/** CharLS 2.0's ApiResult names, for messages. */
const API_RESULT = [
  'OK',
  'InvalidJlsParameters',
  'ParameterValueNotSupported',
  'UncompressedBufferTooSmall',
  'CompressedBufferTooSmall',
  'InvalidCompressedData',
  'TooMuchCompressedData',
  'ImageTypeNotSupported',
  'UnsupportedBitDepthForTransform',
  'UnsupportedColorTransform',
  'UnsupportedEncoding',
  'UnknownJpegMarker',
  'MissingJpegMarkerStart',
  'UnspecifiedFailure',
  'UnexpectedFailure',
];

/** One frame's decoder: the embind-like interface simpleCodec uses. */
export class OwnJlsDecoder implements SimpleDecoder {
  private input = 0;
  private inputLength = 0;
  private frame = 0;
  private pixels = 0;
  private pixelBytes = 0;
  private interleave = 0;
  private info: FrameInfo = { width: 0, height: 0, bitsPerSample: 0, componentCount: 0, isSigned: false };

  constructor(private readonly m: OwnCharlsRaw) {}

  getEncodedBuffer(length: number): Uint8Array {
    this.release();
    this.input = this.m._df_malloc(length);
    if (this.input === 0) throw new Error(`out of memory for a ${length}-byte codestream`);
    this.inputLength = length;
    return this.m.HEAPU8.subarray(this.input, this.input + length);
  }

  decode(): void {
    if (this.input === 0) throw new Error('no codestream: call getEncodedBuffer first');
    this.freeOutput();
    this.frame = this.m._df_malloc(FRAME_BYTES);
    if (this.frame === 0) throw new Error('out of memory');
    const rc = this.m._df_jls_decode(this.input, this.inputLength, this.frame);
    const f = this.m.HEAP32.subarray(this.frame >> 2, (this.frame >> 2) + 8);
    if (rc !== 0) {
      const message = this.m.UTF8ToString(this.frame + MESSAGE_OFFSET);
      const api = rc >= 100 ? `${rc >= 200 ? 'decoding' : 'reading the header'}: ${API_RESULT[rc % 100] ?? `ApiResult ${rc % 100}`}` : (STATUS[rc] ?? `status ${rc}`);
      throw new Error(`CharLS failed ${api}${message ? ` (${message})` : ''}`);
    }
    // JPEG-LS samples are unsigned (T.87 has no signed samples); DICOM's Pixel Representation says how to read them.
    this.info = { width: f[0]!, height: f[1]!, componentCount: f[2]!, bitsPerSample: f[3]!, isSigned: false };
    this.interleave = f[4]!;
    this.pixels = f[6]! >>> 0;
    this.pixelBytes = f[7]! >>> 0;
  }

  getFrameInfo(): FrameInfo {
    return this.info;
  }

  getDecodedBuffer(): Uint8Array {
    return this.pixels === 0 ? new Uint8Array(0) : this.m.HEAPU8.subarray(this.pixels, this.pixels + this.pixelBytes);
  }

  /** CharLS's interleave mode: 0 none (one plane per component), 1 line, 2 sample; lines and samples come out pixel-interleaved. */
  getInterleaveMode(): number {
    return this.interleave;
  }

  delete(): void {
    this.release();
  }

  private freeOutput(): void {
    if (this.pixels !== 0) this.m._df_free(this.pixels);
    if (this.frame !== 0) this.m._df_free(this.frame);
    this.pixels = this.frame = this.pixelBytes = 0;
  }

  private release(): void {
    this.freeOutput();
    if (this.input !== 0) this.m._df_free(this.input);
    this.input = this.inputLength = 0;
  }
}

/** The module as simpleCodec sees it: a decoder class under the cornerstone name. */
export function adaptOwnCharls(m: OwnCharlsRaw): { JpegLSDecoder: new () => OwnJlsDecoder } {
  return {
    JpegLSDecoder: class extends OwnJlsDecoder {
      constructor() {
        super(m);
      }
    },
  };
}

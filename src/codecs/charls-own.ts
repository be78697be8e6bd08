/**
 * dicomflow's own WebAssembly build of CharLS (wasm/own/charls-own.*, built
 * by wasm/own/build.sh from the CharLS 2.0.0 copy in Debian's gdcm source
 * package with wasm/own/charls-decoder.patch, -O3 with WebAssembly exception
 * handling), behind the decoder
 * interface of the cornerstone build's embind class, so simpleCodec drives
 * either one.
 *
 * The C entry point (wasm/own/charls_df.cpp) reads the header and decodes
 * the frame into a buffer it allocates for that call; this class frees it in
 * delete(). CharLS's own error (its ApiResult and message) comes back as the
 * thrown message, where the cornerstone build throws a bare number.
 */
import type { SimpleDecoder } from './emscripten.js';
import { OwnHeapDecoder, ownBuildSpec, type OwnHeapModule } from './own-heap.js';
import type { CodecModuleSpec } from './wasm.js';

/** The build in wasm/own/, found by path (it ships in the package, not in a dependency). */
export const CHARLS_OWN: CodecModuleSpec = ownBuildSpec('charls-own');

/** The raw Emscripten module: C functions and the heap. */
export interface OwnCharlsRaw extends OwnHeapModule {
  _df_jls_decode(data: number, length: number, frame: number): number;
  UTF8ToString(p: number): string;
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
export class OwnJlsDecoder extends OwnHeapDecoder implements SimpleDecoder {
  private interleave = 0;

  constructor(private readonly raw: OwnCharlsRaw) {
    super(raw, FRAME_BYTES);
  }

  decode(): void {
    this.startDecode();
    const rc = this.raw._df_jls_decode(this.input, this.inputLength, this.frame);
    const f = this.frameFields(8);
    if (rc !== 0) {
      const message = this.raw.UTF8ToString(this.frame + MESSAGE_OFFSET);
      const api = rc >= 100 ? `${rc >= 200 ? 'decoding' : 'reading the header'}: ${API_RESULT[rc % 100] ?? `ApiResult ${rc % 100}`}` : (STATUS[rc] ?? `status ${rc}`);
      throw new Error(`CharLS failed ${api}${message ? ` (${message})` : ''}`);
    }
    this.interleave = f[4]!;
    // JPEG-LS samples are unsigned (T.87 has no signed samples); DICOM's Pixel Representation says how to read them.
    this.finishDecode({ width: f[0]!, height: f[1]!, componentCount: f[2]!, bitsPerSample: f[3]!, isSigned: false }, f[6]! >>> 0, f[7]! >>> 0);
  }

  /** CharLS's interleave mode: 0 none (one plane per component), 1 line, 2 sample; lines and samples come out pixel-interleaved. */
  getInterleaveMode(): number {
    return this.interleave;
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

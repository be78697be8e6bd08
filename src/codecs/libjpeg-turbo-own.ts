/**
 * dicomflow's own WebAssembly build of libjpeg-turbo (wasm/own/libjpeg-turbo-own.*,
 * built by wasm/own/build.sh from Debian's libjpeg-turbo 1:2.1.5-2 source,
 * 8-bit, scalar, -O3), behind the decoder interface of the cornerstone
 * build's embind class, so simpleCodec drives either one.
 *
 * The C entry point (wasm/own/libjpeg_turbo_df.c) decodes the frame into a
 * buffer it allocates for that call; this class frees it in delete().
 *
 * A libjpeg warning fails the frame, as it does in the cornerstone build:
 * there TurboJPEG's tjDecompress2 returns -1 after any warning ("Premature
 * end of JPEG file", "Corrupt JPEG data: ...") and the wrapper throws, so a
 * damaged stream is a DF_ERR_DECODE whatever decode.partial says (measured:
 * the cornerstone build prints nothing, and throws a bare pointer). The own
 * build says which warning it was. Keeping libjpeg's made-up rows under
 * decode.partial "allow" would be possible here (the C side returns them),
 * but then the two builds would give different datasets for one file.
 */
import type { SimpleDecoder } from './emscripten.js';
import { OwnHeapDecoder, ownBuildSpec, type OwnHeapModule } from './own-heap.js';
import type { CodecModuleSpec } from './wasm.js';

/** The build in wasm/own/, found by path (it ships in the package, not in a dependency). */
export const LIBJPEG_TURBO_OWN: CodecModuleSpec = ownBuildSpec('libjpeg-turbo-own');

/** The raw Emscripten module: C functions and the heap. */
export interface OwnLibjpegTurboRaw extends OwnHeapModule {
  _df_jpeg_decode(data: number, length: number, frame: number): number;
  UTF8ToString(p: number): string;
}

/** sizeof(df_jpeg_frame): ten 32-bit fields and libjpeg's JMSG_LENGTH_MAX (200) bytes of message. */
const FRAME_FIELDS = 10;
const FRAME_BYTES = FRAME_FIELDS * 4 + 200;
const MESSAGE_OFFSET = FRAME_FIELDS * 4;

/** df_jpeg_decode's own status codes (1 is libjpeg's error, with its text). */
const STATUS: Record<number, string> = { 2: 'the decoded frame would exceed 2 GiB', 3: 'out of memory for the decoded frame' };

/** One frame's decoder: the embind-like interface simpleCodec uses. */
export class OwnJpegDecoder extends OwnHeapDecoder implements SimpleDecoder {
  constructor(private readonly raw: OwnLibjpegTurboRaw) {
    super(raw, FRAME_BYTES);
  }

  decode(): void {
    this.startDecode();
    const rc = this.raw._df_jpeg_decode(this.input, this.inputLength, this.frame);
    const f = this.frameFields(FRAME_FIELDS);
    const message = (): string => this.raw.UTF8ToString(this.frame + MESSAGE_OFFSET);
    if (rc === 1) throw new Error(`libjpeg error: ${message()}`);
    if (rc !== 0) throw new Error(STATUS[rc] ?? `status ${rc}`);
    // Recorded before any warning is thrown, so delete() frees the pixels either way.
    this.finishDecode({ width: f[0]!, height: f[1]!, componentCount: f[2]!, bitsPerSample: 8, isSigned: false }, f[8]! >>> 0, f[9]! >>> 0);
    const warnings = f[5]!;
    if (warnings > 0) throw new Error(`libjpeg warning${warnings > 1 ? ` (the first of ${warnings})` : ''}: ${message()}; the frame is not whole`);
  }
}

/** The module as simpleCodec sees it: a decoder class under the cornerstone name. */
export function adaptOwnLibjpegTurbo(m: OwnLibjpegTurboRaw): { JPEGDecoder: new () => OwnJpegDecoder } {
  return {
    JPEGDecoder: class extends OwnJpegDecoder {
      constructor() {
        super(m);
      }
    },
  };
}

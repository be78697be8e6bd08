// The real decode worker with a stand-in codec for Explicit VR Little Endian that
// never returns (a codec stuck in a loop on a hostile codestream) when a frame's
// first byte is 0xEE, and decodes like the native codec otherwise.
import { codecFor, setCodec } from '../../dist/codecs/index.js';
import { TransferSyntax } from '../../dist/dicom/transfer-syntax.js';
import decode from '../../dist/decode/worker.js';

const native = codecFor(TransferSyntax.ExplicitVRLittleEndian);
setCodec(TransferSyntax.ExplicitVRLittleEndian, {
  name: 'spin',
  init: () => native.init(),
  async decode(bytes, d, options) {
    if (bytes[0] === 0xee) for (;;); // never yields: only terminating the thread stops it
    return native.decode(bytes, d, options);
  },
});

export default decode;

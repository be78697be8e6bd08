// dicomflow's C entry point to CharLS 2.0.0 (the copy in Debian's gdcm source
// package, Utilities/gdcmcharls), built by wasm/own/build.sh.
//
// One call reads the header and decodes one frame into a buffer it allocates;
// the caller frees that buffer. Nothing else outlives the call: CharLS makes
// its decoder state inside JpegLsDecode. CharLS reports failures by throwing
// inside and returning an ApiResult at its API (interface.cpp), which is why
// the build enables WebAssembly exception handling (-fwasm-exceptions).
#include "charls.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern "C" {

// Read by src/codecs/charls-own.ts: keep the layout (32 bytes of fields, then the message).
struct df_jls_frame {
  int32_t width, height, components, bits, interleave, nearLossless;
  uint32_t pixels, bytes;
  char message[256];
};

// 0 on success; 1-3 our own refusals; 100 + ApiResult from the header, 200 + ApiResult from the decode.
int df_jls_decode(const uint8_t* data, uint32_t length, df_jls_frame* f) {
  memset(f, 0, sizeof *f);
  JlsParameters p;
  memset(&p, 0, sizeof p);
  CharlsApiResultType rc = JpegLsReadHeader(data, length, &p, f->message);
  if (rc != CharlsApiResultType::OK) return 100 + static_cast<int>(rc);
  f->width = p.width;
  f->height = p.height;
  f->components = p.components;
  f->bits = p.bitsPerSample;
  f->interleave = static_cast<int>(p.interleaveMode);
  f->nearLossless = p.allowedLossyError;
  if (p.width <= 0 || p.height <= 0 || p.components <= 0 || p.bitsPerSample < 2 || p.bitsPerSample > 16) return 1;
  uint64_t bytes = (uint64_t)p.width * (uint64_t)p.height * (uint64_t)p.components * (p.bitsPerSample > 8 ? 2u : 1u);
  if (bytes > 0x7fffffffu) return 2;
  uint8_t* out = static_cast<uint8_t*>(malloc((size_t)bytes));
  if (!out) return 3;
  rc = JpegLsDecode(out, (size_t)bytes, data, length, nullptr, f->message);
  if (rc != CharlsApiResultType::OK) {
    free(out);
    return 200 + static_cast<int>(rc);
  }
  f->pixels = (uint32_t)(uintptr_t)out;
  f->bytes = (uint32_t)bytes;
  return 0;
}

void* df_malloc(uint32_t n) { return malloc(n); }
void df_free(void* p) { free(p); }
}

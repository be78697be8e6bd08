/*
 * dicomflow's OpenJPEG entry point: one call decodes one JPEG 2000 codestream
 * (or JP2 file) held in WebAssembly memory, at a chosen resolution level,
 * into pixel-interleaved samples (8-bit when precision <= 8, else 16-bit,
 * little endian, signed when the codestream says so).
 *
 * Unlike the cornerstone wrapper it exposes OpenJPEG 2.5's non-strict mode
 * (opj_decoder_set_strict_mode): with strict = 0 a codestream cut short after
 * the packets of the requested resolution levels decodes to the same pixels
 * as the whole codestream at that level, which is what prefix reads need.
 *
 * Every call owns its codec, stream and image, and frees them before it
 * returns; nothing survives from one frame to the next but the output
 * buffer, which the caller frees with df_free. Messages go to stderr as
 * "[ERROR] ..." and "[WARNING] ...", info to stdout as "[INFO] ...".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten.h>
#include "openjpeg.h"

typedef struct {
  const uint8_t *data;
  OPJ_SIZE_T length;
  OPJ_SIZE_T offset;
} df_source;

static OPJ_SIZE_T df_read(void *buffer, OPJ_SIZE_T n, void *user) {
  df_source *s = (df_source *)user;
  if (s->offset >= s->length) return (OPJ_SIZE_T)-1;
  OPJ_SIZE_T left = s->length - s->offset;
  if (n > left) n = left;
  memcpy(buffer, s->data + s->offset, n);
  s->offset += n;
  return n;
}

static OPJ_OFF_T df_skip(OPJ_OFF_T n, void *user) {
  df_source *s = (df_source *)user;
  if (n < 0) {
    if ((OPJ_SIZE_T)(-n) > s->offset) n = -(OPJ_OFF_T)s->offset;
  } else if ((OPJ_SIZE_T)n > s->length - s->offset) {
    n = (OPJ_OFF_T)(s->length - s->offset);
  }
  s->offset += n;
  return n;
}

static OPJ_BOOL df_seek(OPJ_OFF_T to, void *user) {
  df_source *s = (df_source *)user;
  if (to < 0 || (OPJ_SIZE_T)to > s->length) return OPJ_FALSE;
  s->offset = (OPJ_SIZE_T)to;
  return OPJ_TRUE;
}

static void df_error(const char *msg, void *user) { (void)user; fprintf(stderr, "[ERROR] %s", msg); }
static void df_warning(const char *msg, void *user) { (void)user; fprintf(stderr, "[WARNING] %s", msg); }
/* Info lines go to stdout as OpenJPEG's own tools print them: dicomflow keeps them in its codec log (DICOMFLOW_DEBUG=1 shows them). */
static void df_info(const char *msg, void *user) { (void)user; printf("[INFO] %s", msg); }

/* What df_decode fills in; read from JavaScript by field offset (all 32-bit). */
typedef struct {
  int32_t width;
  int32_t height;
  int32_t components;
  int32_t precision;
  int32_t isSigned;
  int32_t bytesPerSample;
  uint8_t *pixels;
  int32_t pixelBytes;
} df_frame;

EMSCRIPTEN_KEEPALIVE void *df_malloc(size_t n) { return malloc(n); }
EMSCRIPTEN_KEEPALIVE void df_free(void *p) { free(p); }
EMSCRIPTEN_KEEPALIVE const char *df_version(void) { return opj_version(); }

/*
 * Returns 0 and fills `out` on success; a negative step number on failure:
 * -1 no codec, -2 header, -3 resolution factor, -5 decode,
 * -6 layout (components of different sizes or precisions), -7 memory.
 */
EMSCRIPTEN_KEEPALIVE int df_decode(const uint8_t *data, size_t length, int reduce, int layers, int strict, df_frame *out) {
  memset(out, 0, sizeof *out);
  int isJp2 = length >= 12 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 12 && data[4] == 'j' && data[5] == 'P';
  opj_codec_t *codec = opj_create_decompress(isJp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  if (!codec) return -1;
  opj_set_error_handler(codec, df_error, NULL);
  opj_set_warning_handler(codec, df_warning, NULL);
  opj_set_info_handler(codec, df_info, NULL);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (layers > 0) params.cp_layer = (OPJ_UINT32)layers; /* 2.5.0 has no opj_set_decoded_quality_layers */
  int status = 0;
  opj_image_t *image = NULL;
  df_source src = {data, (OPJ_SIZE_T)length, 0};
  opj_stream_t *stream = opj_stream_create(64 * 1024, OPJ_TRUE);
  if (!stream) { opj_destroy_codec(codec); return -7; }
  opj_stream_set_user_data(stream, &src, NULL);
  opj_stream_set_user_data_length(stream, (OPJ_UINT64)length);
  opj_stream_set_read_function(stream, df_read);
  opj_stream_set_skip_function(stream, df_skip);
  opj_stream_set_seek_function(stream, df_seek);
  if (!opj_setup_decoder(codec, &params)) { status = -1; goto done; }
  if (!strict) opj_decoder_set_strict_mode(codec, OPJ_FALSE);
  if (!opj_read_header(stream, codec, &image)) { status = -2; goto done; }
  if (reduce > 0 && !opj_set_decoded_resolution_factor(codec, (OPJ_UINT32)reduce)) { status = -3; goto done; }
  if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) { status = -5; goto done; }
  {
    OPJ_UINT32 nc = image->numcomps;
    opj_image_comp_t *c0 = &image->comps[0];
    for (OPJ_UINT32 c = 1; c < nc; c++) {
      if (image->comps[c].w != c0->w || image->comps[c].h != c0->h || image->comps[c].prec != c0->prec || image->comps[c].sgnd != c0->sgnd) { status = -6; goto done; }
    }
    for (OPJ_UINT32 c = 0; c < nc; c++) if (!image->comps[c].data) { status = -5; goto done; }
    size_t count = (size_t)c0->w * c0->h;
    int bytes = c0->prec > 8 ? 2 : 1;
    uint8_t *pixels = (uint8_t *)malloc(count * nc * bytes);
    if (!pixels) { status = -7; goto done; }
    if (bytes == 1) {
      for (OPJ_UINT32 c = 0; c < nc; c++) {
        const OPJ_INT32 *d = image->comps[c].data;
        for (size_t i = 0; i < count; i++) pixels[i * nc + c] = (uint8_t)d[i];
      }
    } else {
      uint16_t *p16 = (uint16_t *)pixels;
      for (OPJ_UINT32 c = 0; c < nc; c++) {
        const OPJ_INT32 *d = image->comps[c].data;
        for (size_t i = 0; i < count; i++) p16[i * nc + c] = (uint16_t)d[i];
      }
    }
    out->width = (int32_t)c0->w;
    out->height = (int32_t)c0->h;
    out->components = (int32_t)nc;
    out->precision = (int32_t)c0->prec;
    out->isSigned = (int32_t)c0->sgnd;
    out->bytesPerSample = bytes;
    out->pixels = pixels;
    out->pixelBytes = (int32_t)(count * nc * bytes);
  }
done:
  if (image) opj_image_destroy(image);
  opj_stream_destroy(stream);
  opj_destroy_codec(codec);
  return status;
}

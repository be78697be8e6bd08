/*
 * dicomflow's C entry point to libjpeg-turbo 2.1.5 (Debian's libjpeg-turbo
 * 1:2.1.5-2 source, 8-bit samples), built by wasm/own/build.sh.
 *
 * One call decodes one JPEG frame (baseline, extended 8-bit or progressive)
 * held in WebAssembly memory into a buffer it allocates: grey as one byte a
 * pixel, colour as interleaved RGB (libjpeg converts YCbCr to RGB and leaves
 * an RGB stream as it is). The caller frees that buffer with df_free. Every
 * call owns its decompressor and destroys it before returning.
 *
 * It decodes what the cornerstone build's TurboJPEG call (tjDecompress2,
 * flags 0) decodes, with libjpeg's defaults: the accurate integer IDCT and
 * fancy (smooth) upsampling, so both builds give the same samples.
 *
 * libjpeg reports a damaged stream in two ways, and both are kept:
 * - an error (error_exit: a bad Huffman table, an unsupported precision)
 *   ends the decode; its text comes back in `message` with status 1;
 * - a warning (emit_message with level -1: "Premature end of JPEG file",
 *   "Corrupt JPEG data: ...") lets the decode finish, with the missing or
 *   damaged part of the frame made up. The call then returns 0 with the
 *   pixels AND `warnings` > 0, the first warning's code and text in
 *   `warningCode` and `message`. Nothing goes to stdout or stderr: the
 *   caller decides what a warning means (src/codecs/libjpeg-turbo-own.ts).
 *
 * Two parts of libjpeg are replaced here to keep the binary small (the npm
 * package has a size limit): jerror.c, whose message formatting pulls in
 * printf with its floating-point and long-double code for messages that only
 * ever hold integers and short strings; and colour quantization (jquant1.c,
 * jquant2.c), which only runs when the caller asks for quantize_colors,
 * which this file never does. Together they made the gzipped binary 62 kB
 * instead of 50.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten.h>
#include "jpeglib.h"
#include "jerror.h"
#include "jversion.h" /* JVERSION and JCOPYRIGHT, two of the messages */

/* libjpeg's message texts, indexed by J_MESSAGE_CODE: jerror.h lists them for exactly this use. */
#define JMESSAGE(code, string) string,
static const char *const df_messages[] = {
#include "jerror.h"
  NULL
};

/* Read by src/codecs/libjpeg-turbo-own.ts: keep the layout (ten 32-bit fields, then the message). */
typedef struct {
  int32_t width;
  int32_t height;
  int32_t components;     /* of the output: 1 (grey) or 3 (RGB) */
  int32_t jpegColorSpace; /* libjpeg's J_COLOR_SPACE of the stream, as it read the markers */
  int32_t progressive;
  int32_t warnings;       /* how many warnings libjpeg emitted */
  int32_t warningCode;    /* the first warning's J_MESSAGE_CODE (JWRN_*), 0 without one */
  int32_t errorCode;      /* the error's J_MESSAGE_CODE (JERR_*), 0 without one */
  uint8_t *pixels;
  uint32_t bytes;
  char message[JMSG_LENGTH_MAX];
} df_jpeg_frame;

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  df_jpeg_frame *frame;
} df_error_mgr;

/* Appends `v` in base 10 or 16, at least `width` digits wide, padded with `pad`. */
static size_t df_put_number(char *out, size_t at, size_t cap, unsigned long v, int negative, int base, int width, char pad) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v % (unsigned)base];
    v /= (unsigned)base;
  } while (v > 0 && n < (int)sizeof digits);
  if (negative) digits[n++] = '-';
  for (int w = n; w < width && at + 1 < cap; w++) out[at++] = pad;
  while (n > 0 && at + 1 < cap) out[at++] = digits[--n];
  return at;
}

/*
 * What jerror.c's format_message gives, for the conversions libjpeg's
 * messages use (%d %u %x %c %s, with a width and a 0 flag): the message for
 * msg_code with its integer parameters in order, or its one string.
 */
static void df_format_message(j_common_ptr cinfo, char *buffer) {
  struct jpeg_error_mgr *err = cinfo->err;
  int code = err->msg_code;
  const char *text = code > 0 && code <= err->last_jpeg_message ? err->jpeg_message_table[code] : NULL;
  int ints[8];
  memcpy(ints, err->msg_parm.i, sizeof ints);
  if (text == NULL) {
    ints[0] = code;
    text = err->jpeg_message_table[0]; /* "Bogus message code %d" */
  }
  size_t at = 0;
  int next = 0;
  for (const char *p = text; *p != '\0' && at + 1 < JMSG_LENGTH_MAX; p++) {
    if (*p != '%') {
      buffer[at++] = *p;
      continue;
    }
    p++;
    char pad = ' ';
    int width = 0;
    if (*p == '0') {
      pad = '0';
      p++;
    }
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == 'l') p++;
    if (*p == '\0') break;
    if (*p == 's') {
      const char *s = err->msg_parm.s;
      for (size_t k = 0; k < JMSG_STR_PARM_MAX && s[k] != '\0' && at + 1 < JMSG_LENGTH_MAX; k++) buffer[at++] = s[k];
    } else if (*p == '%') {
      buffer[at++] = '%';
    } else {
      int v = next < 8 ? ints[next++] : 0;
      if (*p == 'c') buffer[at++] = (char)v;
      else if (*p == 'd') at = df_put_number(buffer, at, JMSG_LENGTH_MAX, v < 0 ? 0ul - (unsigned long)v : (unsigned long)v, v < 0, 10, width, pad);
      else if (*p == 'u') at = df_put_number(buffer, at, JMSG_LENGTH_MAX, (unsigned)v, 0, 10, width, pad);
      else if (*p == 'x') at = df_put_number(buffer, at, JMSG_LENGTH_MAX, (unsigned)v, 0, 16, width, pad);
    }
  }
  buffer[at] = '\0';
}

static void df_error_exit(j_common_ptr cinfo) {
  df_error_mgr *e = (df_error_mgr *)cinfo->err;
  e->frame->errorCode = e->pub.msg_code;
  df_format_message(cinfo, e->frame->message);
  longjmp(e->jump, 1);
}

/* Level -1 is a warning; levels 0 and up are trace messages, which are dropped. */
static void df_emit_message(j_common_ptr cinfo, int msg_level) {
  df_error_mgr *e = (df_error_mgr *)cinfo->err;
  if (msg_level >= 0) return;
  if (e->pub.num_warnings++ == 0) {
    e->frame->warningCode = e->pub.msg_code;
    df_format_message(cinfo, e->frame->message);
  }
  e->frame->warnings = (int32_t)e->pub.num_warnings;
}

/* Never printed: the text is in the frame struct. */
static void df_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void df_reset_error_mgr(j_common_ptr cinfo) {
  cinfo->err->num_warnings = 0;
  cinfo->err->msg_code = 0;
}

/* What jpeg_std_error sets up, with the handlers above. */
static struct jpeg_error_mgr *df_error_init(df_error_mgr *e, df_jpeg_frame *f) {
  memset(e, 0, sizeof *e);
  e->pub.error_exit = df_error_exit;
  e->pub.emit_message = df_emit_message;
  e->pub.output_message = df_output_message;
  e->pub.format_message = df_format_message;
  e->pub.reset_error_mgr = df_reset_error_mgr;
  e->pub.jpeg_message_table = df_messages;
  e->pub.last_jpeg_message = (int)JMSG_LASTMSGCODE - 1;
  e->frame = f;
  return &e->pub;
}

/* Colour quantization is left out of the build (see the top of this file): asking for it is libjpeg's own "omitted" error. */
void jinit_1pass_quantizer(j_decompress_ptr cinfo) { ERREXIT(cinfo, JERR_NOT_COMPILED); }
void jinit_2pass_quantizer(j_decompress_ptr cinfo) { ERREXIT(cinfo, JERR_NOT_COMPILED); }

EMSCRIPTEN_KEEPALIVE void *df_malloc(size_t n) { return malloc(n); }
EMSCRIPTEN_KEEPALIVE void df_free(void *p) { free(p); }

/*
 * The decode proper, after the setjmp in df_jpeg_decode. It is a function of
 * its own because Debian's emscripten lowers setjmp the JavaScript way: every
 * call made by the function that calls setjmp goes through a JavaScript
 * trampoline (invoke_*), which here would be every jpeg_read_scanlines call
 * (one per row of MCUs); so df_jpeg_decode makes one call, to this (not
 * inlined, or its calls would be df_jpeg_decode's again). The
 * output buffer goes into f->pixels as soon as it exists, so that the error
 * path, which does not trust this function's locals, can free it.
 */
__attribute__((noinline)) static int df_decode_frame(j_decompress_ptr cinfo, const uint8_t *data, uint32_t length, df_jpeg_frame *f) {
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, length);
  jpeg_read_header(cinfo, TRUE);
  /* As TurboJPEG: grey stays grey, anything else is asked for as RGB (CMYK then fails in libjpeg). */
  cinfo->out_color_space = cinfo->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  f->jpegColorSpace = (int32_t)cinfo->jpeg_color_space;
  f->progressive = cinfo->progressive_mode ? 1 : 0;
  jpeg_start_decompress(cinfo);
  f->width = (int32_t)cinfo->output_width;
  f->height = (int32_t)cinfo->output_height;
  f->components = cinfo->output_components;
  size_t stride = (size_t)cinfo->output_width * (size_t)cinfo->output_components;
  uint64_t bytes = (uint64_t)stride * cinfo->output_height;
  if (bytes > 0x7fffffffu) return 2;
  f->pixels = (uint8_t *)malloc((size_t)bytes);
  if (!f->pixels) return 3;
  /* From libjpeg's image pool: jpeg_destroy_decompress frees it, on the error path too. */
  JSAMPARRAY rows = (JSAMPARRAY)(*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(JSAMPROW) * cinfo->output_height);
  for (JDIMENSION y = 0; y < cinfo->output_height; y++) rows[y] = f->pixels + y * stride;
  while (cinfo->output_scanline < cinfo->output_height)
    jpeg_read_scanlines(cinfo, rows + cinfo->output_scanline, cinfo->output_height - cinfo->output_scanline);
  /* Reads on to EOI: damage after the last scan is a warning here too. */
  jpeg_finish_decompress(cinfo);
  f->bytes = (uint32_t)bytes;
  return 0;
}

/*
 * 0 on success (check `warnings`); 1 libjpeg's error (in `message`);
 * 2 the decoded frame would exceed 2 GiB; 3 out of memory for it. On any
 * status but 0, `pixels` is NULL.
 */
EMSCRIPTEN_KEEPALIVE int df_jpeg_decode(const uint8_t *data, uint32_t length, df_jpeg_frame *f) {
  struct jpeg_decompress_struct cinfo;
  df_error_mgr err;
  memset(f, 0, sizeof *f);
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = df_error_init(&err, f);
  int status;
  if (setjmp(err.jump))
    status = 1;
  else
    status = df_decode_frame(&cinfo, data, length, f);
  jpeg_destroy_decompress(&cinfo);
  if (status != 0) {
    free(f->pixels);
    f->pixels = NULL;
    f->bytes = 0;
  }
  return status;
}

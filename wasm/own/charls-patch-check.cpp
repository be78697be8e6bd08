// Checks wasm/own/charls-decoder.patch's two rewritten counts against CharLS 2.0.0's loops,
// exhaustively over the inputs they see; run by wasm/own/build.sh (with em++ and node).
// - GetGolomb: every N in 1..256 and every A in -256..2^24 (UpdateVariables keeps A below 2^24
//   with N at most the RESET value, 64 by default);
// - Peek0Bits: every value of the 16 bits it looks at, each under three patterns of the 16 below.
// Exit status 0 when every result is the same, 1 otherwise.
#include <cstdint>
#include <cstdio>

static int golombLoop(int32_t n, int32_t a) {
  if (n >= a) return 0;
  if (n << 1 >= a) return 1;
  if (n << 2 >= a) return 2;
  if (n << 3 >= a) return 3;
  if (n << 4 >= a) return 4;
  int32_t k = 5;
  for (; (n << k) < a; k++) {
  }
  return k;
}
static int golombClz(int32_t n, int32_t a) {
  if (n >= a) return 0;
  int32_t k = __builtin_clz(static_cast<uint32_t>(n)) - __builtin_clz(static_cast<uint32_t>(a));
  return k + ((n << k) < a);
}
static int zerosLoop(uint32_t cache) {
  for (int count = 0; count < 16; count++) {
    if ((cache & (uint32_t(1) << 31)) != 0) return count;
    cache <<= 1;
  }
  return -1;
}
static int zerosClz(uint32_t cache) {
  const uint32_t top16 = cache >> 16;
  return top16 == 0 ? -1 : __builtin_clz(top16) - 16;
}

static const uint32_t kLow[] = {0x0000u, 0xffffu, 0x5a3cu};

int main() {
  long long checked = 0, differ = 0;
  for (int32_t n = 1; n <= 256; n++)
    for (int32_t a = -256; a < (1 << 24); a++, checked++)
      if (golombLoop(n, a) != golombClz(n, a)) {
        if (differ++ < 5) printf("GetGolomb differs: N %d A %d: %d, %d\n", n, a, golombLoop(n, a), golombClz(n, a));
      }
  for (uint32_t top = 0; top <= 0xffff; top++)
    for (const uint32_t low : kLow) {
      const uint32_t cache = (top << 16) | low;
      checked++;
      if (zerosLoop(cache) != zerosClz(cache) && differ++ < 10) printf("Peek0Bits differs: cache 0x%08x\n", cache);
    }
  printf("charls-patch-check: %lld inputs, %lld differ\n", checked, differ);
  return differ == 0 ? 0 : 1;
}

// A native driver for bench/wasm/tcp.c (bench/README.md, "The TCP step in WebAssembly"): the
// events bench/wasm-tcp.mjs recorded (its cache file under the system's temporary directory,
// pantap-wasm-tcp-*.bin) through tcp_run ROUNDS times, for the instruction count of the same C
// as x86-64 code. Build and count (two run lengths subtracted):
//   echo 'extern char *arena_base;' > /tmp/arena.h
//   clang -O3 -include /tmp/arena.h -DARENA=arena_base -o /tmp/tcp-native bench/wasm/tcp-native.c bench/wasm/tcp.c
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null /tmp/tcp-native EVENTS 1   (and 3)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *arena_base;
int32_t tcp_run(const int32_t *ev, const double *now, const int32_t *opt, const uint8_t *optBytes, int32_t n);

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) return 1;
  int rounds = atoi(argv[2]);
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = aligned_alloc(64, (sz + 63) & ~63L);
  if (fread(buf, 1, sz, f) != (size_t)sz) return 1;
  fclose(f);
  int32_t *h = (int32_t *)buf;
  int32_t n = h[0], words = h[2];
  double *now = (double *)(buf + 16);
  int32_t *ev = (int32_t *)(buf + 16 + 8L * n);
  int32_t *opt = (int32_t *)(buf + 16 + 40L * n);
  uint8_t *ob = (uint8_t *)(buf + 16 + 48L * n);
  size_t bytes = ((size_t)words * 4 + 4095) & ~4095UL;
  arena_base = aligned_alloc(4096, bytes);
  memset(arena_base, 0, bytes);
  int32_t x = 0;
  for (int r = 0; r < rounds; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    x ^= tcp_run(ev, now, opt, ob, n);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    printf("round %d: %.1f ms cpu, %.1f ns an event\n", r, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
           ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
  }
  printf("x %d\n", x);
  return 0;
}

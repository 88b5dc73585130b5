/* Shared by the fuzz harnesses: the readers take paths, so each input is
 * written to files in a private temporary directory first. Each harness
 * defines LLVMFuzzerTestOneInput; built with clang's libFuzzer (-DSPILL_FUZZ=ON)
 * it fuzzes, built with replay.c it replays the corpus under ctest. */
#ifndef SPILL_FUZZ_H
#define SPILL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's directory (created once per process). */
static inline const char *fuzz_dir(void)
{
  static char dir[64];
  if (!dir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/spill-fuzz-XXXXXX", base && strlen(base) < 32 ? base : "/tmp");
    if (!mkdtemp(dir)) abort();
  }
  return dir;
}

/* Write size bytes to <dir>/<name>; returns the path (static buffer per slot). */
static inline const char *fuzz_file(int slot, const char *name, const uint8_t *data, size_t size)
{
  static char paths[8][128];
  snprintf(paths[slot], sizeof paths[slot], "%s/%s", fuzz_dir(), name);
  FILE *f = fopen(paths[slot], "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return paths[slot];
}

/* Split the input into parts: each but the last is preceded by a 2-byte
 * little-endian length (clamped to what is left); the last takes the rest.
 * Returns the number of parts filled (at most max). */
static inline int fuzz_split(const uint8_t *data, size_t size, int max, const uint8_t **part, size_t *len)
{
  int k = 0;
  for (; k < max - 1; k++) {
    size_t n = size >= 2 ? (size_t)data[0] | (size_t)data[1] << 8 : 0;
    size_t skip = size >= 2 ? 2 : size;
    data += skip, size -= skip;
    if (n > size) n = size;
    part[k] = data, len[k] = n;
    data += n, size -= n;
  }
  part[k] = data, len[k] = size;
  return max;
}

/* The process's one context (creating GEOS and PROJ contexts per input
 * would dominate a run), its error cleared; notices go nowhere. */
static inline spill_ctx *fuzz_ctx(void)
{
  static spill_ctx *ctx;
  if (!ctx && !(ctx = spill_ctx_new())) abort();
  spill_ctx_clear_error(ctx);
  return ctx;
}

#endif

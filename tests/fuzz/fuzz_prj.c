/* Fuzz the .prj reader (spill__layer_read_prj: PROJ reads the WKT, then the
 * horizontal CRS, its kind and its linear unit are taken from it). The input
 * is the whole .prj; an empty input means no .prj. */
#include "fuzz.h"
#include "shapes/read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_file(0, "m.prj", data, size);
  if (size == 0) remove(path);
  spill_ctx *ctx = fuzz_ctx();
  spill_layer *L = calloc(1, sizeof *L);
  if (!L) abort();
  spill__layer_read_prj(ctx, L, path);
  /* What the rest of the reader uses: the name is a C string, the unit sane. */
  if (strnlen(L->crs_name, sizeof L->crs_name) >= sizeof L->crs_name) abort();
  if (L->unit_m < 0 || L->unit_m != L->unit_m) abort();
  spill_layer_free(L);
  return 0;
}

/* Fuzz the Stata .dta panel reader (spill_panel_read on a .dta, through
 * ReadStat) with the variable names of its seed corpus (id, year, y, d, x1,
 * x2; adopt instead of d when the first byte is odd). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const char *path = fuzz_file(0, "panel.dta", data + 1, size - 1);
  const char *xs[] = {"x1", "x2"};
  spill_panel_spec spec = {"id", "year", "y", NULL, NULL, xs, (size_t)(data[0] >> 1 & 3) % 3,
                           data[0] >> 3 & 1};
  if (data[0] & 1) spec.adopt_col = "adopt";
  else spec.treat_col = "d";
  spill_ctx *ctx = fuzz_ctx();
  spill_panel *p = spill_panel_read(ctx, path, &spec, NULL);
  spill_panel_free(p);
  return 0;
}

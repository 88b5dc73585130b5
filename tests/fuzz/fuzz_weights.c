/* Fuzz the weight-file readers: GAL, GWT, Matrix Market, CSV triplets and
 * dense CSV. The first byte picks the format (as its extension would). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *names[] = {"w.gal", "w.gwt", "w.mtx", "w.csv", "w.txt"};
  static const spill_wformat fmts[] = {SPILL_WFMT_GAL, SPILL_WFMT_GWT, SPILL_WFMT_MTX,
                                       SPILL_WFMT_CSV, SPILL_WFMT_DENSE};
  if (size < 1) return 0;
  int k = data[0] % 5;
  const char *path = fuzz_file(0, names[k], data + 1, size - 1);
  spill_ctx *ctx = fuzz_ctx();
  spill_weights *w = spill_weights_read(ctx, path, data[0] & 0x80 ? SPILL_WFMT_AUTO : fmts[k]);
  if (w) {
    spill_weights_summary s;
    if (spill_weights_summarize(ctx, w, &s) == 0) spill_weights_summary_clear(&s);
    spill_weights_transform(ctx, w, 'W');
  }
  spill_weights_free(w);
  return 0;
}

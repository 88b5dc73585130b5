/* Fuzz the Stata spmatrix text reader (spill_weights_read, SPILL_WFMT_STATA)
 * and the header-less matrix reader (spill_weights_read_matrix with n = 1..8
 * ids "1".."n"; the first byte picks the reader and n). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *ids[] = {"1", "2", "3", "4", "5", "6", "7", "8"};
  if (size < 1) return 0;
  spill_ctx *ctx = fuzz_ctx();
  spill_weights *w;
  if (data[0] & 1) {
    const char *path = fuzz_file(0, "w.txt", data + 1, size - 1);
    w = spill_weights_read(ctx, path, SPILL_WFMT_STATA);
  } else {
    const char *path = fuzz_file(0, data[0] & 2 ? "w.csv" : "w.txt", data + 1, size - 1);
    w = spill_weights_read_matrix(ctx, path, ids, 1 + (data[0] >> 2 & 7));
  }
  if (w) {
    spill_weights_summary s;
    if (spill_weights_summarize(ctx, w, &s) == 0) spill_weights_summary_clear(&s);
    spill_weights_transform(ctx, w, 'W');
  }
  spill_weights_free(w);
  return 0;
}

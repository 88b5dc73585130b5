/* Fuzz the interaction terms of --x (estimation/interact.c) with the panel
 * readers: the input is a regressor list (split at commas) and a panel CSV,
 * as fuzz_split parts; the first byte picks the reader and the treatment. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *part[2];
  size_t len[2], nx = 0;
  char list[256], *xs[16], *s;
  if (size < 1) return 0;
  uint8_t mode = data[0];
  fuzz_split(data + 1, size - 1, 2, part, len);
  if (len[0] >= sizeof list) len[0] = sizeof list - 1;
  memcpy(list, part[0], len[0]);
  list[len[0]] = '\0';
  for (s = list; nx < 16;) { /* "a*b,c" -> {"a*b", "c"}; NULs end the list */
    xs[nx++] = s;
    s = strchr(s, ',');
    if (!s) break;
    *s++ = '\0';
  }
  const char *path = fuzz_file(0, "panel.csv", part[1], len[1]);
  spill_panel_spec spec = {"id", "year", "y", NULL, NULL, (const char *const *)xs, nx, mode >> 2 & 1};
  if (mode & 1) spec.adopt_col = "adopt";
  else spec.treat_col = "d";
  spill_ctx *ctx = fuzz_ctx();
  spill_ctx_set_x_terms(ctx, "--x");
  spill_panel *p = mode & 2 ? spill_panel_read_csv_unbalanced(ctx, path, &spec)
                            : spill_panel_read_csv(ctx, path, &spec);
  spill_ctx_set_x_terms(ctx, NULL);
  spill_panel_free(p);
  return 0;
}

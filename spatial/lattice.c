/* Regular lattices: the neighbours of cells on a rows x cols grid (as
 * spdep's cell2nb and PySAL's lat2W), for simulations and tests. */
#include <stdlib.h>
#include "core/internal.h"

spill_weights *spill_weights_lattice(spill_ctx *ctx, int64_t rows, int64_t cols, int queen)
{
  int64_t n = rows * cols, nt = 0, *ti = NULL, *tj = NULL;
  spill_weights *w = NULL;
  if (rows < 1 || cols < 1 || n < 2) {
    spill__fail(ctx, SPILL_EINVAL, "lattice: need at least 2 cells (got %lld x %lld)", (long long)rows,
                (long long)cols);
    return NULL;
  }
  ti = spill__malloc(ctx, (size_t)n * 8 * sizeof *ti);
  tj = spill__malloc(ctx, (size_t)n * 8 * sizeof *tj);
  if (!ti || !tj) goto done;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++)
      for (int64_t dr = -1; dr <= 1; dr++)
        for (int64_t dc = -1; dc <= 1; dc++) {
          int64_t r2 = r + dr, c2 = c + dc;
          if ((!dr && !dc) || (!queen && dr && dc)) continue;
          if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) continue;
          ti[nt] = r * cols + c;
          tj[nt++] = r2 * cols + c2;
        }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, NULL);
  if (w) w->style = SPILL_STYLE_B;
done:
  free(ti);
  free(tj);
  return w;
}

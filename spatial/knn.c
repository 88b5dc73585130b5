/* k-nearest-neighbour weights and the minimum band threshold. Ties at equal
 * distance go to the smaller unit index, so results do not depend on the
 * tree's layout. */
#include <stdlib.h>
#include <string.h>
#include "spatial/points.h"

spill_weights *spill_weights_knn(spill_ctx *ctx, const spill_points *pts, int k)
{
  spill__geo s;
  spill_weights *w = NULL;
  spill__nb *out = NULL, *buf = NULL;
  int64_t cap = 0, n = pts->n;
  if (k < 1 || (int64_t)k >= n) {
    spill__fail(ctx, SPILL_EINVAL, "k-nearest neighbours: k = %d, but k must be at least 1 and below the %lld units",
                k, (long long)n);
    return NULL;
  }
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  out = spill__malloc(ctx, (size_t)k * sizeof *out);
  w = spill_weights_new(ctx, n, pts->ids, n * (int64_t)k);
  if (!out || !w) goto fail;
  w->p[0] = 0;
  for (int64_t pos = 0; pos < n; pos++) {
    /* in tree order: consecutive queries touch the same part of the tree */
    int64_t i = s.tree->idx[pos];
    int64_t got = spill__geo_knn(ctx, &s, i, k, out, &buf, &cap);
    int64_t *row = w->j + i * (int64_t)k;
    if (got < 0) goto fail;
    /* the row in column order */
    for (int64_t c = 0; c < got; c++) {
      int64_t r = c - 1, v = out[c].i;
      while (r >= 0 && row[r] > v) {
        row[r + 1] = row[r];
        r--;
      }
      row[r + 1] = v;
    }
    if (got != k) {
      spill__fail(ctx, SPILL_EINVAL, "k-nearest neighbours: found %lld neighbours of '%s', expected %d",
                  (long long)got, pts->ids[i], k);
      goto fail;
    }
    if ((pos & 4095) == 0) spill__progress(ctx, "k-nearest neighbours", (double)pos / (double)n);
  }
  for (int64_t i = 0; i < n; i++) w->p[i + 1] = w->p[i] + k;
  for (int64_t q = 0; q < n * (int64_t)k; q++) w->x[q] = 1.0;
  spill__progress(ctx, "k-nearest neighbours", 1.0);
  w->style = SPILL_STYLE_B;
  free(out);
  free(buf);
  spill__geo_clear(&s);
  return w;
fail:
  free(out);
  free(buf);
  spill__geo_clear(&s);
  spill_weights_free(w);
  return NULL;
}

int spill_min_threshold(spill_ctx *ctx, const spill_points *pts, double *km)
{
  spill__geo s;
  spill__nb one, *buf = NULL;
  int64_t cap = 0;
  int rc = SPILL_OK;
  *km = 0.0;
  if (pts->n < 2) return spill__fail(ctx, SPILL_EINVAL, "a distance threshold needs at least two units");
  if ((rc = spill__geo_init(ctx, &s, pts))) return rc;
  for (int64_t pos = 0; pos < pts->n; pos++) {
    int64_t i = s.tree->idx[pos];
    if (spill__geo_knn(ctx, &s, i, 1, &one, &buf, &cap) < 0) {
      rc = spill_ctx_status(ctx);
      break;
    }
    if (one.d2 > *km) *km = one.d2;
  }
  free(buf);
  spill__geo_clear(&s);
  return rc;
}

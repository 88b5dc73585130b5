/* Restrict weights to a subset of units, then re-apply a style: the sample
 * decides, W follows (row-standardise the cut matrix, not the full one). */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

spill_weights *spill_weights_subset(spill_ctx *ctx, const spill_weights *w,
                                    const unsigned char *keep, char style)
{
  if (!w || !keep) {
    spill__fail(ctx, SPILL_EINVAL, "weights subset: no weights or no mask");
    return NULL;
  }
  int64_t *newidx = spill__malloc(ctx, (size_t)(w->n > 0 ? w->n : 1) * sizeof *newidx);
  if (!newidx) return NULL;
  int64_t m = 0, nnz = 0;
  for (int64_t i = 0; i < w->n; i++) newidx[i] = keep[i] ? m++ : -1;
  for (int64_t i = 0; i < w->n; i++)
    if (keep[i])
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) nnz += newidx[w->j[q]] >= 0;

  spill_weights *out = NULL;
  const char **ids = spill__malloc(ctx, (size_t)(m > 0 ? m : 1) * sizeof *ids);
  if (!ids) goto done;
  for (int64_t i = 0; i < w->n; i++)
    if (keep[i]) ids[newidx[i]] = w->ids[i];
  if (!(out = spill_weights_new(ctx, m, ids, nnz))) goto done;
  int64_t at = 0;
  for (int64_t i = 0; i < w->n; i++) {
    if (!keep[i]) continue;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      int64_t c = newidx[w->j[q]];
      if (c < 0) continue;
      out->j[at] = c; /* old columns increase, so new ones do too */
      out->x[at++] = w->x[q];
    }
    out->p[newidx[i] + 1] = at;
  }
  out->style = w->style;
  if (style && style != SPILL_STYLE_G && spill_weights_transform(ctx, out, style) != 0) {
    spill_weights_free(out);
    out = NULL;
  }
done:
  free(ids);
  free(newidx);
  return out;
}

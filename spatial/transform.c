/* Weight transforms (spdep nb2listw styles; Tiefelsdorf et al. 1999 for S). */
#include <math.h>
#include <stdlib.h>
#include "core/internal.h"

/* Make every stored weight 1 (binary), keeping the pattern. */
static void to_binary(spill_weights *w)
{
  for (int64_t k = 0; k < w->p[w->n]; k++) w->x[k] = w->x[k] != 0.0 ? 1.0 : 0.0;
}

static void scale_all(spill_weights *w, double f)
{
  for (int64_t k = 0; k < w->p[w->n]; k++) w->x[k] *= f;
}

static double total(const spill_weights *w)
{
  double s = 0.0;
  for (int64_t k = 0; k < w->p[w->n]; k++) s += w->x[k];
  return s;
}

/* Largest |eigenvalue| by power iteration on |W| (Perron root of a
 * non-negative matrix); a shift by I avoids oscillation on bipartite graphs. */
static double spectral_radius(spill_ctx *ctx, const spill_weights *w, double *out)
{
  int64_t n = w->n;
  double *v = spill__malloc(ctx, (size_t)n * sizeof *v);
  double *u = spill__malloc(ctx, (size_t)n * sizeof *u);
  double lambda = 0.0, prev = -1.0;
  int rc = SPILL_OK;
  if (!v || !u) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  for (int64_t i = 0; i < n; i++) v[i] = 1.0 / sqrt((double)n);
  for (int it = 0; it < 10000; it++) {
    double norm = 0.0;
    for (int64_t i = 0; i < n; i++) {
      double s = v[i];
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += fabs(w->x[k]) * v[w->j[k]];
      u[i] = s;
      norm += s * s;
    }
    norm = sqrt(norm);
    if (norm == 0.0) break;
    for (int64_t i = 0; i < n; i++) v[i] = u[i] / norm;
    lambda = norm - 1.0;
    if (fabs(lambda - prev) <= 1e-13 * fabs(lambda)) break;
    prev = lambda;
  }
  *out = lambda;
done:
  free(v);
  free(u);
  return rc;
}

int spill_weights_transform(spill_ctx *ctx, spill_weights *w, char style)
{
  int64_t n = w->n;
  switch (style) {
  case SPILL_STYLE_B:
    to_binary(w);
    break;
  case SPILL_STYLE_W:
    for (int64_t i = 0; i < n; i++) {
      double s = 0.0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += w->x[k];
      if (s != 0.0)
        for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) w->x[k] /= s;
    }
    break;
  case SPILL_STYLE_C:
  case SPILL_STYLE_U: {
    double s = total(w);
    if (s == 0.0) return spill__fail(ctx, SPILL_EDATA, "weights: all weights are zero");
    scale_all(w, (style == SPILL_STYLE_C ? (double)n : 1.0) / s);
    break;
  }
  case SPILL_STYLE_S: {
    double s;
    for (int64_t i = 0; i < n; i++) {
      double q = 0.0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) q += w->x[k] * w->x[k];
      q = sqrt(q);
      if (q > 0.0)
        for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) w->x[k] /= q;
    }
    s = total(w);
    if (s == 0.0) return spill__fail(ctx, SPILL_EDATA, "weights: all weights are zero");
    scale_all(w, (double)n / s);
    break;
  }
  case SPILL_STYLE_M: {
    double r;
    int rc = spectral_radius(ctx, w, &r);
    if (rc) return rc;
    if (r <= 0.0) return spill__fail(ctx, SPILL_EDATA, "weights: spectral radius is zero");
    scale_all(w, 1.0 / r);
    break;
  }
  default:
    return spill__fail(ctx, SPILL_EINVAL,
                       "unknown weights style '%c' (use B, W, C, U, S or M)", style);
  }
  w->style = style;
  return SPILL_OK;
}

/* Drop diagonal entries in place, compacting the rows. */
int spill_weights_zero_diagonal(spill_ctx *ctx, spill_weights *w)
{
  int64_t at = 0, start = 0;
  (void)ctx;
  for (int64_t i = 0; i < w->n; i++) {
    int64_t end = w->p[i + 1];
    for (int64_t k = start; k < end; k++) {
      if (w->j[k] == i) continue;
      w->j[at] = w->j[k];
      w->x[at++] = w->x[k];
    }
    start = end;
    w->p[i + 1] = at;
  }
  return SPILL_OK;
}

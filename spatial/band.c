/* Distance-band, inverse-distance and kernel weights: every unit's
 * neighbours within a distance, from the k-d tree (spatial/distance.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "spatial/points.h"

/* Rows appended one by one into a growing CSR; each row's neighbour list
 * must be ordered by index first (by_index). */
typedef struct rows {
  spill_weights *w;
  int64_t cap;
} rows;

static int cmp_index(const void *pa, const void *pb)
{
  const spill__nb *a = pa, *b = pb;
  return (a->i > b->i) - (a->i < b->i);
}

/* Order a neighbour list by unit index (the CSR column order). */
static void by_index(spill__nb *nb, int64_t m)
{
  if (m > 16) {
    qsort(nb, (size_t)m, sizeof *nb, cmp_index);
    return;
  }
  for (int64_t c = 1; c < m; c++) {
    spill__nb v = nb[c];
    int64_t q = c - 1;
    while (q >= 0 && nb[q].i > v.i) {
      nb[q + 1] = nb[q];
      q--;
    }
    nb[q + 1] = v;
  }
}

static int rows_add(spill_ctx *ctx, rows *r, int64_t i, spill__nb *nb, int64_t m, const double *val)
{
  spill_weights *w = r->w;
  int64_t at = w->p[i];
  if (at + m > r->cap) {
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < at + m) cap *= 2;
    int64_t *j = realloc(w->j, (size_t)cap * sizeof *j);
    if (j) w->j = j;
    double *x = j ? realloc(w->x, (size_t)cap * sizeof *x) : NULL;
    if (x) w->x = x;
    if (!j || !x) return spill__fail(ctx, SPILL_ENOMEM, "out of memory building weights (%lld links)", (long long)cap);
    r->cap = cap;
  }
  /* nb is sorted by index (by_index) */
  for (int64_t c = 0; c < m; c++) {
    w->j[at + c] = nb[c].i;
    w->x[at + c] = val ? val[c] : 1.0;
  }
  w->p[i + 1] = at + m;
  return SPILL_OK;
}

double spill_dense_bytes(int64_t n) { return spill__dense_bytes(n); }

spill_weights *spill_weights_band(spill_ctx *ctx, const spill_points *pts, double threshold_km)
{
  spill__geo s;
  rows r = {0};
  spill__nb *buf = NULL;
  int64_t cap = 0;
  if (!(threshold_km > 0) || !isfinite(threshold_km)) {
    spill__fail(ctx, SPILL_EINVAL, "distance band: the threshold must be a positive distance, not %g", threshold_km);
    return NULL;
  }
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  r.w = spill_weights_new(ctx, pts->n, pts->ids, 0);
  if (!r.w) goto fail;
  for (int64_t i = 0; i < pts->n; i++) {
    int64_t m = spill__geo_within(ctx, &s, i, threshold_km, 0, &buf, &cap);
    if (m > 0) by_index(buf, m);
    if (m < 0 || rows_add(ctx, &r, i, buf, m, NULL)) goto fail;
    if ((i & 4095) == 0) spill__progress(ctx, "distance band", (double)i / (double)pts->n);
  }
  spill__progress(ctx, "distance band", 1.0);
  r.w->style = SPILL_STYLE_B;
  free(buf);
  spill__geo_clear(&s);
  return r.w;
fail:
  free(buf);
  spill__geo_clear(&s);
  spill_weights_free(r.w);
  return NULL;
}

/* Every pair: rows of n-1 entries (no diagonal), each distance computed once
 * (row i copies d_ij for j < i from row j), in blocks of rows for progress. */
static spill_weights *idw_dense(spill_ctx *ctx, spill__geo *s, double power)
{
  const spill_points *pts = s->pts;
  int64_t n = pts->n;
  spill_weights *w;
  if (spill__check_memory(ctx, spill__dense_bytes(n), "a dense inverse-distance matrix")) return NULL;
  w = spill_weights_new(ctx, n, pts->ids, n * (n - 1));
  if (!w) return NULL;
  for (int64_t i = 0; i <= n; i++) w->p[i] = i * (n - 1);
  for (int64_t i = 0; i < n; i++) {
    int64_t *jj = w->j + w->p[i];
    double *xx = w->x + w->p[i];
    for (int64_t j = 0; j < i; j++) {
      jj[j] = j;
      xx[j] = w->x[w->p[j] + i - 1];
    }
    for (int64_t j = i + 1; j < n; j++) {
      double d = spill__geo_dist(s, i, j);
      if (d == 0.0) {
        spill__fail(ctx, SPILL_EDATA, "units '%s' and '%s' are at the same location; merge or drop one",
                    pts->ids[i], pts->ids[j]);
        spill_weights_free(w);
        return NULL;
      }
      jj[j - 1] = j;
      xx[j - 1] = power == 1.0 ? 1.0 / d : pow(d, -power);
    }
    if ((i & 255) == 0) spill__progress(ctx, "inverse distance", (double)i / (double)n);
  }
  spill__progress(ctx, "inverse distance", 1.0);
  return w;
}

spill_weights *spill_weights_idw(spill_ctx *ctx, const spill_points *pts, double power, double cutoff_km)
{
  spill__geo s;
  rows r = {0};
  spill__nb *buf = NULL;
  double *val = NULL;
  int64_t cap = 0;
  if (!(power > 0) || !isfinite(power)) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance: the power must be positive, not %g", power);
    return NULL;
  }
  if (!isfinite(cutoff_km)) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance: the cutoff must be a distance, not %g", cutoff_km);
    return NULL;
  }
  if (pts->n < 2) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance needs at least two units");
    return NULL;
  }
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  if (cutoff_km <= 0) {
    r.w = idw_dense(ctx, &s, power);
    spill__geo_clear(&s);
    return r.w;
  }
  r.w = spill_weights_new(ctx, pts->n, pts->ids, 0);
  if (!r.w) goto fail;
  for (int64_t i = 0; i < pts->n; i++) {
    int64_t m = spill__geo_within(ctx, &s, i, cutoff_km, 1, &buf, &cap);
    double *v;
    if (m < 0) goto fail;
    by_index(buf, m);
    v = realloc(val, (size_t)(m ? m : 1) * sizeof *val);
    if (!v) {
      spill__fail(ctx, SPILL_ENOMEM, "out of memory building inverse-distance weights");
      goto fail;
    }
    val = v;
    for (int64_t c = 0; c < m; c++) val[c] = power == 1.0 ? 1.0 / buf[c].d2 : pow(buf[c].d2, -power);
    if (rows_add(ctx, &r, i, buf, m, val)) goto fail;
    if ((i & 4095) == 0) spill__progress(ctx, "inverse distance", (double)i / (double)pts->n);
  }
  spill__progress(ctx, "inverse distance", 1.0);
  free(buf);
  free(val);
  spill__geo_clear(&s);
  return r.w;
fail:
  free(buf);
  free(val);
  spill__geo_clear(&s);
  spill_weights_free(r.w);
  return NULL;
}

/* Silverman (1986), table 3.1, on z = d/h in [0, 1]. */
static double kernel_value(spill_kernel kind, double z)
{
  switch (kind) {
  case SPILL_KERNEL_TRIANGULAR: return 1.0 - z;
  case SPILL_KERNEL_EPANECHNIKOV: return 0.75 * (1.0 - z * z);
  case SPILL_KERNEL_GAUSSIAN: return exp(-0.5 * z * z) / sqrt(2.0 * 3.14159265358979323846);
  }
  return 0.0;
}

spill_weights *spill_weights_kernel(spill_ctx *ctx, const spill_points *pts, spill_kernel kind,
                                    double bandwidth_km, int k)
{
  spill__geo s;
  rows r = {0};
  spill__nb *buf = NULL, *kn = NULL;
  double *val = NULL;
  int64_t cap = 0;
  if (kind != SPILL_KERNEL_TRIANGULAR && kind != SPILL_KERNEL_EPANECHNIKOV && kind != SPILL_KERNEL_GAUSSIAN) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: unknown kernel %d", (int)kind);
    return NULL;
  }
  if (k < 0 || (k > 0 && (int64_t)k >= pts->n)) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: k = %d, but k must be at least 1 and below the %lld units", k,
                (long long)pts->n);
    return NULL;
  }
  if (k == 0 && (!(bandwidth_km > 0) || !isfinite(bandwidth_km))) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: the bandwidth must be a positive distance, not %g", bandwidth_km);
    return NULL;
  }
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  r.w = spill_weights_new(ctx, pts->n, pts->ids, 0);
  if (k > 0) kn = spill__malloc(ctx, (size_t)k * sizeof *kn);
  if (!r.w || (k > 0 && !kn)) goto fail;
  for (int64_t i = 0; i < pts->n; i++) {
    double h = bandwidth_km;
    int64_t m, kept = 0;
    double *v;
    if (k > 0) {
      if (spill__geo_knn(ctx, &s, i, k, kn, &buf, &cap) < 0) goto fail;
      h = kn[k - 1].d2;
    }
    m = spill__geo_within(ctx, &s, i, h, 1, &buf, &cap);
    if (m < 0) goto fail;
    by_index(buf, m);
    v = realloc(val, (size_t)(m ? m : 1) * sizeof *val);
    if (!v) {
      spill__fail(ctx, SPILL_ENOMEM, "out of memory building kernel weights");
      goto fail;
    }
    val = v;
    for (int64_t c = 0; c < m; c++) {
      double kv = kernel_value(kind, buf[c].d2 / h);
      if (kv <= 0.0) continue;
      buf[kept] = buf[c];
      val[kept++] = kv;
    }
    if (rows_add(ctx, &r, i, buf, kept, val)) goto fail;
    if ((i & 4095) == 0) spill__progress(ctx, "kernel weights", (double)i / (double)pts->n);
  }
  spill__progress(ctx, "kernel weights", 1.0);
  free(buf);
  free(kn);
  free(val);
  spill__geo_clear(&s);
  return r.w;
fail:
  free(buf);
  free(kn);
  free(val);
  spill__geo_clear(&s);
  spill_weights_free(r.w);
  return NULL;
}

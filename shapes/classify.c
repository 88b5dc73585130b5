/* Class breaks for choropleths: quantiles, equal intervals, Fisher-Jenks
 * natural breaks (exact), user breaks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int spill_class_of(double v, const double *bounds, int k)
{
  if (v != v || k < 1) return -1;
  for (int c = 0; c < k - 1; c++)
    if (v <= bounds[c + 1]) return c;
  return k - 1;
}

/* Type-7 quantile (Hyndman and Fan 1996) of sorted s[0..n-1]. */
static double quantile7(const double *s, size_t n, double p)
{
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return s[n - 1];
  return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

/* Fisher-Jenks by dynamic programming over distinct sorted values v with
 * multiplicities w. cost[c][j]: least within-class sum of squares of the
 * first j+1 values in c+1 classes (Fisher 1958, J. Am. Stat. Assoc. 53;
 * Jenks 1977). The best split point is monotone in j (SSD satisfies the
 * quadrangle inequality), so each layer is filled by divide and conquer,
 * O(k m log m) and still exact (as in Wang and Song 2011, R Journal 3(2)). */
typedef struct jenks {
  size_t m;
  const double *v;
  double *cw, *cs, *cs2; /* prefix sums of w, w*v, w*v^2 over centred v */
  double *prev, *cur;
  size_t *arg;           /* (k) x m split points: first index of the last class */
} jenks;

static double ssd(const jenks *J, size_t i, size_t j) /* values i..j inclusive */
{
  double w = J->cw[j + 1] - J->cw[i];
  double s = J->cs[j + 1] - J->cs[i];
  double s2 = J->cs2[j + 1] - J->cs2[i];
  double d = s2 - s * s / w;
  return d > 0 ? d : 0;
}

static void jenks_layer(jenks *J, size_t *arg, size_t c, size_t lo, size_t hi, size_t optlo,
                        size_t opthi)
{
  /* fill cur[j] for j in [lo, hi], with the split i in [optlo, min(opthi, j)] */
  while (lo <= hi) {
    size_t mid = lo + (hi - lo) / 2, best = optlo;
    double bestv = INFINITY;
    size_t top = opthi < mid ? opthi : mid;
    for (size_t i = optlo < c ? c : optlo; i <= top; i++) {
      double val = J->prev[i - 1] + ssd(J, i, mid);
      if (val < bestv) {
        bestv = val;
        best = i;
      }
    }
    J->cur[mid] = bestv;
    arg[mid] = best;
    if (mid > lo) jenks_layer(J, arg, c, lo, mid - 1, optlo, best);
    optlo = best; /* tail-iterate on the right half */
    lo = mid + 1;
  }
}

static int jenks_bounds(spill_ctx *ctx, const double *s, size_t n, int k, double *bounds, int *k_out)
{
  jenks J = {0};
  double *vals = NULL, *w = NULL, mean = 0;
  size_t m = 0;
  int rc = SPILL_ENOMEM;
  vals = spill__malloc(ctx, n * sizeof *vals);
  w = spill__malloc(ctx, n * sizeof *w);
  if (!vals || !w) goto done;
  for (size_t i = 0; i < n; i++) {
    if (m && s[i] == vals[m - 1]) {
      w[m - 1] += 1;
    } else {
      vals[m] = s[i];
      w[m++] = 1;
    }
    mean += s[i];
  }
  mean /= (double)n;
  if ((size_t)k > m) k = (int)m;
  J.m = m;
  J.v = vals;
  J.cw = spill__calloc(ctx, m + 1, sizeof *J.cw);
  J.cs = spill__calloc(ctx, m + 1, sizeof *J.cs);
  J.cs2 = spill__calloc(ctx, m + 1, sizeof *J.cs2);
  J.prev = spill__malloc(ctx, m * sizeof *J.prev);
  J.cur = spill__malloc(ctx, m * sizeof *J.cur);
  J.arg = spill__calloc(ctx, (size_t)k * m, sizeof *J.arg);
  if (!J.cw || !J.cs || !J.cs2 || !J.prev || !J.cur || !J.arg) goto done;
  for (size_t i = 0; i < m; i++) {
    double d = vals[i] - mean; /* centred: fewer digits lost in s2 - s^2/w */
    J.cw[i + 1] = J.cw[i] + w[i];
    J.cs[i + 1] = J.cs[i] + w[i] * d;
    J.cs2[i + 1] = J.cs2[i] + w[i] * d * d;
  }
  for (size_t j = 0; j < m; j++) J.prev[j] = ssd(&J, 0, j);
  for (int c = 1; c < k; c++) {
    size_t *arg = J.arg + (size_t)c * m;
    for (size_t j = 0; j < (size_t)c; j++) J.cur[j] = INFINITY;
    jenks_layer(&J, arg, (size_t)c, (size_t)c, m - 1, (size_t)c, m - 1);
    double *t = J.prev;
    J.prev = J.cur;
    J.cur = t;
  }
  /* walk the split points back from the last value */
  bounds[0] = vals[0];
  bounds[k] = vals[m - 1];
  {
    size_t j = m - 1;
    for (int c = k - 1; c >= 1; c--) {
      size_t i = J.arg[(size_t)c * m + j];
      bounds[c] = vals[i - 1];
      j = i - 1;
    }
  }
  *k_out = k;
  rc = SPILL_OK;
done:
  free(vals);
  free(w);
  free(J.cw);
  free(J.cs);
  free(J.cs2);
  free(J.prev);
  free(J.cur);
  free(J.arg);
  return rc;
}

int spill_classify(spill_ctx *ctx, const double *x, size_t n, spill_class_method method, int k,
                   const double *breaks, size_t nbreaks, double *bounds, int *k_out)
{
  double *s = NULL;
  size_t m = 0;
  int rc = SPILL_OK;
  *k_out = 0;
  if (method == SPILL_CLASS_BREAKS) {
    if (nbreaks < 1 || nbreaks + 1 > SPILL_MAP_MAX_CLASSES)
      return spill__fail(ctx, SPILL_EINVAL, "user breaks: give 1 to %d break points, got %zu",
                         SPILL_MAP_MAX_CLASSES - 1, nbreaks);
    for (size_t i = 0; i < nbreaks; i++) {
      if (!isfinite(breaks[i]) || (i && breaks[i] <= breaks[i - 1]))
        return spill__fail(ctx, SPILL_EINVAL,
                           "user breaks must be finite and strictly increasing (break %zu is %g)",
                           i + 1, breaks[i]);
    }
    k = (int)nbreaks + 1;
  } else if (k < 1 || k > SPILL_MAP_MAX_CLASSES) {
    return spill__fail(ctx, SPILL_EINVAL, "classes: give 1 to %d, got %d", SPILL_MAP_MAX_CLASSES, k);
  }
  s = spill__malloc(ctx, (n ? n : 1) * sizeof *s);
  if (!s) return SPILL_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i])) s[m++] = x[i];
  if (!m) {
    rc = spill__fail(ctx, SPILL_EDATA, "no values to classify: all %zu are missing", n);
    goto done;
  }
  qsort(s, m, sizeof *s, cmp_double);
  switch (method) {
  case SPILL_CLASS_BREAKS:
    bounds[0] = s[0] < breaks[0] ? s[0] : breaks[0];
    for (size_t i = 0; i < nbreaks; i++) bounds[i + 1] = breaks[i];
    bounds[k] = s[m - 1] > breaks[nbreaks - 1] ? s[m - 1] : breaks[nbreaks - 1];
    if (bounds[k] == breaks[nbreaks - 1]) { /* the last break is the maximum: one class fewer */
      k--;
    }
    *k_out = k;
    goto done;
  case SPILL_CLASS_JENKS:
    rc = jenks_bounds(ctx, s, m, k, bounds, k_out);
    goto done;
  case SPILL_CLASS_QUANTILE:
    for (int c = 0; c <= k; c++) bounds[c] = quantile7(s, m, (double)c / k);
    break;
  case SPILL_CLASS_EQUAL:
    for (int c = 0; c <= k; c++) bounds[c] = s[0] + (s[m - 1] - s[0]) * c / k;
    bounds[k] = s[m - 1];
    break;
  default:
    rc = spill__fail(ctx, SPILL_EINVAL, "unknown classification method %d", (int)method);
    goto done;
  }
  { /* ties (or a constant variable) give equal bounds: merge those classes */
    int kk = 0;
    for (int c = 1; c <= k; c++)
      if (bounds[c] > bounds[kk]) bounds[++kk] = bounds[c];
    if (kk == 0) { /* every value equal: one class [v, v] */
      bounds[1] = bounds[0];
      kk = 1;
    }
    *k_out = kk;
  }
done:
  free(s);
  return rc;
}

/* Multiplier bootstrap of influence functions (Callaway and Sant'Anna 2021,
 * sec. 4.1; R did's mboot): Rademacher weights per unit, IQR-based standard
 * errors, and the sup-t critical value for uniform bands. Each draw b has
 * its own generator seeded from (seed, b), so the draws are the same on any
 * number of threads. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"
#include "spatial/parallel.h"

typedef struct boot_job {
  const double *psi;
  int64_t n;
  size_t k;
  int boot;
  uint64_t seed;
  double *bres;
} boot_job;

static int boot_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  boot_job *j = user;
  signed char *v = malloc((size_t)j->n);
  double scale = 1.0 / sqrt((double)j->n); /* sqrt(n) * mean */
  (void)ctx;
  if (!v) return SPILL_ENOMEM;
  for (int b = thread; b < j->boot; b += nthreads) {
    spill_rng rng;
    uint64_t bits = 0;
    spill_rng_seed(&rng, j->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(b + 1)));
    for (int64_t i = 0; i < j->n; i++) {
      if ((i & 63) == 0) bits = spill_rng_u64(&rng);
      v[i] = (bits >> (i & 63)) & 1 ? 1 : -1;
    }
    for (size_t c = 0; c < j->k; c++) {
      const double *col = j->psi + c * (size_t)j->n;
      double s = 0.0;
      for (int64_t i = 0; i < j->n; i++) s += v[i] * col[i];
      j->bres[(size_t)b * j->k + c] = s * scale;
    }
  }
  free(v);
  return 0;
}

int spill__mboot_draws(spill_ctx *ctx, const double *psi, int64_t n, size_t k, int boot, uint64_t seed,
                       double *bres)
{
  boot_job j = {psi, n, k, boot, seed, bres};
  int nt = spill__thread_count(ctx, (int64_t)boot * n * (int64_t)(k ? k : 1) / 64);
  if (nt > boot) nt = boot > 0 ? boot : 1;
  return spill__run_parallel(ctx, nt, boot_task, &j);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double spill__quantile1(double *x, size_t n, double p)
{
  double np;
  size_t j;
  if (!n) return NAN;
  qsort(x, n, sizeof *x, cmp_double);
  np = (double)n * p;
  j = (size_t)floor(np);
  /* R type 1: x_(j) when n p is a whole number j >= 1, else x_(j+1) */
  if (np - (double)j > 4 * DBL_EPSILON * np || j == 0) j++;
  if (j > n) j = n;
  return x[j - 1];
}

void spill__mboot_summary(const double *bres, int boot, size_t k, const size_t *cols, size_t m,
                          double scale, double level, double *se, double *crit)
{
  double *col = malloc((size_t)(boot > 0 ? boot : 1) * sizeof *col);
  double *sig = malloc((m ? m : 1) * sizeof *sig);
  double *bt = malloc((size_t)(boot > 0 ? boot : 1) * sizeof *bt);
  const double iqr_z = 2 * spill__qnorm(0.75); /* qnorm(.75) - qnorm(.25) */
  size_t nb = 0, live = 0;
  *crit = NAN;
  if (!col || !sig || !bt || boot <= 0) {
    for (size_t c = 0; c < m; c++) se[c] = NAN;
    goto done;
  }
  for (size_t c = 0; c < m; c++) {
    double ss = 0.0;
    for (int b = 0; b < boot; b++) {
      col[b] = bres[(size_t)b * k + cols[c]];
      ss += col[b] * col[b];
    }
    /* did drops degenerate columns (a base period fixed at 0) */
    if (!(ss > sqrt(DBL_EPSILON) * 10) || !isfinite(ss)) {
      sig[c] = NAN;
      se[c] = NAN;
      continue;
    }
    sig[c] = (spill__quantile1(col, (size_t)boot, 0.75) - spill__quantile1(col, (size_t)boot, 0.25)) / iqr_z;
    se[c] = sig[c] * scale;
    live++;
  }
  if (!live) goto done;
  for (int b = 0; b < boot; b++) {
    double mx = -INFINITY;
    for (size_t c = 0; c < m; c++)
      if (isfinite(sig[c]) && sig[c] > 0) {
        double z = fabs(bres[(size_t)b * k + cols[c]] / sig[c]);
        if (z > mx) mx = z;
      }
    if (isfinite(mx)) bt[nb++] = mx;
  }
  if (nb) *crit = spill__quantile1(bt, nb, level);
done:
  free(col);
  free(sig);
  free(bt);
}

static int cmp_code(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int spill__did_clusters(spill_ctx *ctx, const spill_did_opts *o, int64_t m, const int64_t *units, int64_t **cl,
                        int64_t *g)
{
  int64_t *codes, k = 0;
  if (!(*cl = spill__malloc(ctx, (size_t)(m ? m : 1) * sizeof **cl))) return SPILL_ENOMEM;
  if (!o->cluster) {
    for (int64_t i = 0; i < m; i++) (*cl)[i] = i;
    *g = m;
    return 0;
  }
  if (!(codes = spill__malloc(ctx, (size_t)(m ? m : 1) * sizeof *codes))) {
    free(*cl);
    *cl = NULL;
    return SPILL_ENOMEM;
  }
  for (int64_t i = 0; i < m; i++) codes[i] = o->cluster[units ? units[i] : i];
  qsort(codes, (size_t)m, sizeof *codes, cmp_code);
  for (int64_t i = 0; i < m; i++)
    if (!k || codes[k - 1] != codes[i]) codes[k++] = codes[i];
  for (int64_t i = 0; i < m; i++) {
    int64_t v = o->cluster[units ? units[i] : i];
    const int64_t *hit = bsearch(&v, codes, (size_t)k, sizeof *codes, cmp_code);
    (*cl)[i] = hit - codes;
  }
  free(codes);
  *g = k;
  if (k < 2) {
    free(*cl);
    *cl = NULL;
    return spill__fail(ctx, SPILL_EDATA, "clustered SEs need at least 2 clusters, got %lld", (long long)k);
  }
  return 0;
}

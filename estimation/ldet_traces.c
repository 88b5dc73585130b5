/* Traces of G = W (I - rho W)^-1 for the information matrix of the spatial
 * ML estimators. Small n: exact (spill__ldet_traces). Large n: Hutchinson's
 * (1989) estimator with Rademacher probes z (Avron and Toledo 2011: variance
 * 2 sum_{i != j} A_ij^2 for symmetric A), with G z and G' z from the one
 * factorisation of I - rho W, and the leading terms of the Neumann series as
 * control variates (G = W + rho W^2 + ..., whose traces are exact and cheap):
 *   tr G    = tr W + rho tr W^2 + z'(G - W - rho W^2) z,
 *   tr G^2  = tr W^2 + z'(G^2 - W^2) z,   tr G'G = tr W'W + z'(G'G - W'W) z.
 * Probes are added until the delta-method Monte Carlo error of every SE of
 * info^-1 is below 0.1% of the SE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/logdet.h"
#include "estimation/effects.h"

#define EXACT_MAX_N 5000   /* auto: exact traces up to this n (n solves) */
#define FIRST_PROBES 32
#define BLOCK_PROBES 16
#define MAX_PROBES 20000
#define TARGET 1e-3        /* relative MC error of the SEs */

void spill__probe_signs(uint64_t seed, int64_t probe, int64_t n, double *z, size_t stride);

void spill__ldet_set_traces(spill__ldet *ld, int traces, uint64_t seed)
{
  ld->traces = traces;
  ld->seed = seed ? seed : 1;
}

void spill__ldet_trace_info(const spill__ldet *ld, int *probes, double *se_mcerr)
{
  *probes = ld->probes;
  *se_mcerr = ld->se_mcerr;
}

static double wji(const spill_weights *w, int64_t i, int64_t j)
{
  int64_t lo = w->p[i], hi = w->p[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (w->j[mid] < j) lo = mid + 1;
    else hi = mid;
  }
  return lo < w->p[i + 1] && w->j[lo] == j ? w->x[lo] : 0.0;
}

/* tr W, tr W^2, tr W'W */
static void w_traces(const spill_weights *w, double c[3])
{
  c[0] = c[1] = c[2] = 0.0;
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      if (w->j[q] == i) c[0] += w->x[q];
      c[1] += w->x[q] * wji(w, w->j[q], i);
      c[2] += w->x[q] * w->x[q];
    }
}

/* bs probes starting at probe r0; samples (bs x 3) of the three traces */
static int probe_block(spill_ctx *ctx, spill__ldet *ld, double rho, const double c[3], int64_t r0,
                       int bs, double *smp)
{
  int64_t n = ld->n;
  size_t nb = (size_t)n * (size_t)bs;
  const spill_weights *w = ld->w;
  double *z = spill__malloc(ctx, nb * sizeof *z), *wz = spill__malloc(ctx, nb * sizeof *wz);
  double *u = spill__malloc(ctx, nb * sizeof *u), *v = spill__malloc(ctx, nb * sizeof *v);
  double *h = spill__malloc(ctx, (size_t)n * sizeof *h), *wtz = spill__malloc(ctx, (size_t)n * sizeof *wtz);
  int rc = SPILL_ENOMEM;
  if (!z || !wz || !u || !v || !h || !wtz) goto done;
  for (int s = 0; s < bs; s++) {
    spill__probe_signs(ld->seed ^ 0xA5A5A5A5ULL, r0 + s, n, z + (size_t)s * n, 1);
    spill__wmul(w, z + (size_t)s * n, wz + (size_t)s * n);
  }
  if ((rc = spill__ldet_solve_t(ctx, ld, rho, 0, wz, bs, u))) goto done; /* u = G z */
  if ((rc = spill__ldet_solve_t(ctx, ld, rho, 1, z, bs, v))) goto done;  /* v = A^-T z */
  for (int s = 0; s < bs; s++) {
    const double *zs = z + (size_t)s * n, *ws = wz + (size_t)s * n, *us = u + (size_t)s * n;
    double zgz = 0, zwz = 0, zw2z = 0, hu = 0, uu = 0, ww = 0;
    spill__wtmul(w, v + (size_t)s * n, h); /* h = G' z */
    spill__wtmul(w, zs, wtz);
    for (int64_t i = 0; i < n; i++) {
      zgz += zs[i] * us[i];
      zwz += zs[i] * ws[i];
      zw2z += wtz[i] * ws[i];
      hu += h[i] * us[i];
      uu += us[i] * us[i];
      ww += ws[i] * ws[i];
    }
    smp[s * 3 + 0] = c[0] + rho * c[1] + zgz - zwz - rho * zw2z;
    smp[s * 3 + 1] = c[1] + hu - zw2z;
    smp[s * 3 + 2] = c[2] + uu - ww;
  }
  rc = SPILL_OK;
done:
  free(z);
  free(wz);
  free(u);
  free(v);
  free(h);
  free(wtz);
  return rc;
}

/* SEs (sqrt of the diagonal of info^-1) for traces t; vcov gets info^-1 */
static int ses(spill__info_fn fn, void *user, size_t nv, const double t[3], double *vcov, double *se)
{
  fn(user, t, vcov);
  if (spill__inverse(vcov, nv)) return -1;
  for (size_t i = 0; i < nv; i++) se[i] = vcov[i * nv + i] > 0 ? sqrt(vcov[i * nv + i]) : 0.0;
  return 0;
}

int spill__vcov_traces(spill_ctx *ctx, spill__ldet *ld, double rho, size_t nv, spill__info_fn fn,
                       void *user, double *vcov)
{
  int exact = ld->traces == 1 || ld->method == SPILL_LOGDET_EIGEN ||
              (ld->traces == 0 && ld->n <= EXACT_MAX_N);
  double c[3], sum[3] = {0, 0, 0}, cross[9] = {0}, t[3], *se = NULL, *se2 = NULL, *work = NULL, *smp = NULL;
  int64_t R = 0, want = FIRST_PROBES;
  int rc = SPILL_ENOMEM;
  ld->probes = 0;
  ld->se_mcerr = 0.0;
  if (exact) {
    if ((rc = spill__ldet_traces(ctx, ld, rho, NULL, 0, NULL, t))) return rc;
    fn(user, t, vcov);
    if (spill__inverse(vcov, nv))
      return spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
    return SPILL_OK;
  }
  se = spill__malloc(ctx, nv * sizeof *se);
  se2 = spill__malloc(ctx, nv * sizeof *se2);
  work = spill__malloc(ctx, nv * nv * sizeof *work);
  smp = spill__malloc(ctx, BLOCK_PROBES * 3 * sizeof *smp);
  if (!se || !se2 || !work || !smp) goto done;
  w_traces(ld->w, c);
  for (;;) {
    double cov[9], err = 0.0;
    while (R < want) {
      int bs = want - R < BLOCK_PROBES ? (int)(want - R) : BLOCK_PROBES;
      if ((rc = probe_block(ctx, ld, rho, c, R, bs, smp))) goto done;
      for (int s = 0; s < bs; s++)
        for (int a = 0; a < 3; a++) {
          sum[a] += smp[s * 3 + a];
          for (int b = 0; b < 3; b++) cross[a * 3 + b] += smp[s * 3 + a] * smp[s * 3 + b];
        }
      R += bs;
      spill__progress(ctx, "variance: Monte Carlo traces", (double)R / (double)want);
    }
    for (int a = 0; a < 3; a++) t[a] = sum[a] / (double)R;
    for (int a = 0; a < 3; a++) /* covariance of the mean */
      for (int b = 0; b < 3; b++)
        cov[a * 3 + b] = (cross[a * 3 + b] - (double)R * t[a] * t[b]) / ((double)R - 1.0) / (double)R;
    if (ses(fn, user, nv, t, vcov, se)) {
      rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
      goto done;
    }
    { /* delta method: g_ij = d se_i / d t_j by a difference of one MC SD */
      double g[3 * 64];
      size_t m = nv < 64 ? nv : 64;
      for (int j = 0; j < 3; j++) {
        double tt[3] = {t[0], t[1], t[2]}, dj = sqrt(fmax(cov[j * 3 + j], 0.0));
        if (!(dj > 0)) dj = 1e-8 * (fabs(t[j]) + 1.0);
        tt[j] += dj;
        if (ses(fn, user, nv, tt, work, se2)) {
          rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
          goto done;
        }
        for (size_t i = 0; i < m; i++) g[j * 64 + i] = (se2[i] - se[i]) / dj;
      }
      for (size_t i = 0; i < m; i++) {
        double v = 0.0;
        if (!(se[i] > 0)) continue;
        for (int a = 0; a < 3; a++)
          for (int b = 0; b < 3; b++) v += g[a * 64 + i] * g[b * 64 + i] * cov[a * 3 + b];
        err = fmax(err, sqrt(fmax(v, 0.0)) / se[i]);
      }
    }
    ld->se_mcerr = err;
    if (err <= TARGET || R >= MAX_PROBES) break;
    want = (int64_t)ceil((double)R * (err / TARGET) * (err / TARGET) * 1.2);
    want = (want + BLOCK_PROBES - 1) / BLOCK_PROBES * BLOCK_PROBES;
    if (want <= R) want = R + BLOCK_PROBES;
    if (want > MAX_PROBES) want = MAX_PROBES;
  }
  ld->probes = (int)R;
  if (ses(fn, user, nv, t, vcov, se)) { /* vcov at the final traces */
    rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
    goto done;
  }
  rc = SPILL_OK;
done:
  free(se);
  free(se2);
  free(work);
  free(smp);
  return rc;
}

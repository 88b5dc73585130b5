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
#include "spatial/parallel.h"

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

#define EXACT_BLOCK 64     /* unit vectors per block of the exact traces */
#define MAX_TR 8

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
void spill__w_traces(const spill_weights *w, double c[3])
{
  c[0] = c[1] = c[2] = 0.0;
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      if (w->j[q] == i) c[0] += w->x[q];
      c[1] += w->x[q] * wji(w, w->j[q], i);
      c[2] += w->x[q] * w->x[q];
    }
}

/* ---- the probes of G = W A^-1, A = I - rho W (see the top) ---- */

typedef struct g_probe {
  spill__ldet *ld;
  double rho, c[3];
} g_probe;

/* q[s*3 + .] for the bs columns z: z'Gz, z'GGz, z'G'Gz, or with mc the
 * control-variate estimates of tr G, tr GG, tr G'G */
static int g_forms(spill_ctx *ctx, void *user, const double *z, int bs, int mc, double *q)
{
  g_probe *gp = user;
  spill__ldet *ld = gp->ld;
  int64_t n = ld->n;
  size_t nb = (size_t)n * (size_t)bs;
  const spill_weights *w = ld->w;
  double rho = gp->rho, *wz = spill__malloc(ctx, nb * sizeof *wz);
  double *u = spill__malloc(ctx, nb * sizeof *u), *v = spill__malloc(ctx, nb * sizeof *v);
  double *h = spill__malloc(ctx, (size_t)n * sizeof *h), *wtz = spill__malloc(ctx, (size_t)n * sizeof *wtz);
  int rc = SPILL_ENOMEM;
  if (!wz || !u || !v || !h || !wtz) goto done;
  for (int s = 0; s < bs; s++) spill__wmul(w, z + (size_t)s * n, wz + (size_t)s * n);
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
    if (mc) {
      q[s * 3 + 0] = gp->c[0] + rho * gp->c[1] + zgz - zwz - rho * zw2z;
      q[s * 3 + 1] = gp->c[1] + hu - zw2z;
      q[s * 3 + 2] = gp->c[2] + uu - ww;
    } else {
      q[s * 3 + 0] = zgz;
      q[s * 3 + 1] = hu;
      q[s * 3 + 2] = uu;
    }
  }
  rc = SPILL_OK;
done:
  free(wz);
  free(u);
  free(v);
  free(h);
  free(wtz);
  return rc;
}

/* ---- blocks of probes (or of unit vectors) on the context's threads ----
 * Block b always holds the same vectors whatever the thread count, each
 * block's result is stored in its own slot and the slots are summed in
 * order by the caller, so the results do not depend on the threads. */

typedef struct probe_job {
  spill__ldet *ld;
  int ntr, mc, nblk, bs;
  int64_t first;        /* mc: first probe; else first unit vector */
  spill__forms_fn forms;
  void *user;
  double *out;          /* mc: (nblk*bs) x ntr samples; else nblk x ntr block sums */
} probe_job;

static int probe_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  probe_job *jb = user;
  int64_t n = jb->ld->n;
  double *z = spill__malloc(ctx, (size_t)n * (size_t)jb->bs * sizeof *z);
  double *q = spill__malloc(ctx, (size_t)jb->bs * (size_t)jb->ntr * sizeof *q);
  int rc = z && q ? SPILL_OK : SPILL_ENOMEM;
  for (int b = thread; b < jb->nblk && !rc; b += nthreads) {
    int64_t v0 = jb->first + (int64_t)b * jb->bs;
    int bs = jb->bs;
    if (jb->mc) {
      for (int s = 0; s < bs; s++)
        spill__probe_signs(jb->ld->seed ^ 0xA5A5A5A5ULL, v0 + s, n, z + (size_t)s * n, 1);
    } else {
      if (v0 + bs > n) bs = (int)(n - v0);
      memset(z, 0, (size_t)n * (size_t)bs * sizeof *z);
      for (int s = 0; s < bs; s++) z[(size_t)s * n + v0 + s] = 1.0;
    }
    if ((rc = jb->forms(ctx, jb->user, z, bs, jb->mc, q))) break;
    if (jb->mc) {
      memcpy(jb->out + (size_t)b * jb->bs * jb->ntr, q, (size_t)bs * jb->ntr * sizeof *q);
    } else {
      double *o = jb->out + (size_t)b * jb->ntr;
      for (int a = 0; a < jb->ntr; a++) o[a] = 0.0;
      for (int s = 0; s < bs; s++)
        for (int a = 0; a < jb->ntr; a++) o[a] += q[s * jb->ntr + a];
    }
    if (thread == 0 && !jb->mc) spill__progress(ctx, "variance: exact traces", (double)(b + 1) / jb->nblk);
  }
  free(z);
  free(q);
  return rc;
}

static int run_blocks(spill_ctx *ctx, probe_job *jb)
{
  int64_t work = jb->ld->n * (int64_t)jb->nblk * jb->bs;
  int th = spill__thread_count(ctx, work);
  if (th > jb->nblk) th = jb->nblk;
  return spill__run_parallel(ctx, th, probe_task, jb);
}

int spill__traces_exact_units(spill_ctx *ctx, spill__ldet *ld, int ntr, spill__forms_fn forms, void *user,
                              double *t)
{
  probe_job jb = {ld, ntr, 0, 0, EXACT_BLOCK, 0, forms, user, NULL};
  int rc;
  jb.nblk = (int)((ld->n + EXACT_BLOCK - 1) / EXACT_BLOCK);
  if (!(jb.out = spill__malloc(ctx, (size_t)jb.nblk * (size_t)ntr * sizeof *jb.out))) return SPILL_ENOMEM;
  rc = run_blocks(ctx, &jb);
  for (int a = 0; a < ntr && !rc; a++) {
    t[a] = 0.0;
    for (int b = 0; b < jb.nblk; b++) t[a] += jb.out[(size_t)b * ntr + a];
  }
  free(jb.out);
  return rc;
}

int spill__traces_use_exact(const spill__ldet *ld)
{
  return ld->traces == 1 || ld->method == SPILL_LOGDET_EIGEN || (ld->traces == 0 && ld->n <= EXACT_MAX_N);
}

/* SEs (sqrt of the diagonal of info^-1) for traces t; vcov gets info^-1 */
static int ses(spill__info_fn fn, void *user, size_t nv, const double t[3], double *vcov, double *se)
{
  fn(user, t, vcov);
  if (spill__inverse(vcov, nv)) return -1;
  for (size_t i = 0; i < nv; i++) se[i] = vcov[i * nv + i] > 0 ? sqrt(vcov[i * nv + i]) : 0.0;
  return 0;
}

int spill__vcov_probes(spill_ctx *ctx, spill__ldet *ld, int ntr, spill__forms_fn forms, void *fuser,
                       size_t nv, spill__info_fn fn, void *user, double *vcov)
{
  double sum[MAX_TR] = {0}, cross[MAX_TR * MAX_TR] = {0}, shift[MAX_TR] = {0}, t[MAX_TR], *se = NULL, *work = NULL, *work2 = NULL;
  int64_t R = 0, want = FIRST_PROBES;
  probe_job jb = {ld, ntr, 1, 0, BLOCK_PROBES, 0, forms, fuser, NULL};
  int rc = SPILL_ENOMEM;
  ld->probes = 0;
  ld->se_mcerr = 0.0;
  if (ntr > MAX_TR) return spill__fail(ctx, SPILL_EINVAL, "internal: %d traces (at most %d)", ntr, MAX_TR);
  se = spill__malloc(ctx, nv * sizeof *se);
  work = spill__malloc(ctx, nv * nv * sizeof *work);
  work2 = spill__malloc(ctx, nv * nv * sizeof *work2);
  if (!se || !work || !work2) goto done;
  for (;;) {
    double cov[MAX_TR * MAX_TR], err = 0.0;
    /* want - R probes in blocks of BLOCK_PROBES (want stays a multiple of it) */
    jb.first = R;
    jb.nblk = (int)((want - R) / BLOCK_PROBES);
    free(jb.out);
    if (!(jb.out = spill__malloc(ctx, (size_t)jb.nblk * BLOCK_PROBES * (size_t)ntr * sizeof *jb.out))) goto done;
    if ((rc = run_blocks(ctx, &jb))) goto done;
    /* sums of the samples less the first one: the control variates leave a
     * spread far below the traces' size, which the raw sums of squares
     * would lose to cancellation */
    if (R == 0) memcpy(shift, jb.out, (size_t)ntr * sizeof *shift);
    for (int64_t s = 0; s < want - R; s++) {
      const double *smp = jb.out + (size_t)s * ntr;
      double dv[MAX_TR];
      for (int a = 0; a < ntr; a++) dv[a] = smp[a] - shift[a];
      for (int a = 0; a < ntr; a++) {
        sum[a] += dv[a];
        for (int b = 0; b < ntr; b++) cross[a * ntr + b] += dv[a] * dv[b];
      }
    }
    R = want;
    spill__progress(ctx, "variance: Monte Carlo traces", 1.0);
    for (int a = 0; a < ntr; a++) t[a] = shift[a] + sum[a] / (double)R;
    for (int a = 0; a < ntr; a++) /* covariance of the mean */
      for (int b = 0; b < ntr; b++)
        cov[a * ntr + b] = (cross[a * ntr + b] - sum[a] * sum[b] / (double)R) / ((double)R - 1.0) / (double)R;
    if (ses(fn, user, nv, t, vcov, se)) {
      rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
      goto done;
    }
    { /* delta method, analytically: the information I is affine in the
       * traces, so D_j = dI/dt_j is a difference of two information matrices
       * (exact whatever the step), and with V = I^-1, dV = -V D_j V:
       * g_ij = d se_i / d t_j = -(V D_j V)_ii / (2 se_i). (A difference of
       * SEs of perturbed, nearly singular information matrices would be
       * dominated by rounding.) vcov holds V here. */
      double g[MAX_TR * 64];
      size_t m = nv < 64 ? nv : 64;
      fn(user, t, work);
      for (int j = 0; j < ntr; j++) {
        double tt[MAX_TR], h = 1.0 + fabs(t[j]);
        memcpy(tt, t, sizeof tt);
        tt[j] += h;
        fn(user, tt, work2);
        for (size_t q = 0; q < nv * nv; q++) work2[q] = (work2[q] - work[q]) / h; /* D_j */
        for (size_t i = 0; i < m; i++) {
          double acc = 0.0;
          for (size_t a = 0; a < nv; a++) {
            double va = vcov[i * nv + a];
            if (va == 0.0) continue;
            for (size_t b = 0; b < nv; b++) acc += va * work2[a * nv + b] * vcov[b * nv + i];
          }
          g[j * 64 + i] = se[i] > 0 ? -acc / (2.0 * se[i]) : 0.0;
        }
      }
      for (size_t i = 0; i < m; i++) {
        double v = 0.0;
        if (!(se[i] > 0)) continue;
        for (int a = 0; a < ntr; a++)
          for (int b = 0; b < ntr; b++) v += g[a * 64 + i] * g[b * 64 + i] * cov[a * ntr + b];
        err = fmax(err, sqrt(fmax(v, 0.0)) / se[i]);
      }
    }
    ld->se_mcerr = err;
    if (err <= TARGET || R >= MAX_PROBES) break;
    want = (int64_t)ceil((double)R * (err / TARGET) * (err / TARGET) * 1.2);
    /* at most 4 times as many: the error estimated from few probes is itself
     * noisy (8 traces from 32 probes), so it is estimated again on the way */
    if (want > 4 * R) want = 4 * R;
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
  free(work);
  free(work2);
  free(jb.out);
  return rc;
}

int spill__vcov_traces(spill_ctx *ctx, spill__ldet *ld, double rho, size_t nv, spill__info_fn fn,
                       void *user, double *vcov)
{
  g_probe gp;
  int rc;
  ld->probes = 0;
  ld->se_mcerr = 0.0;
  if (spill__traces_use_exact(ld)) {
    double t[3];
    if ((rc = spill__ldet_traces(ctx, ld, rho, NULL, 0, NULL, t))) return rc;
    fn(user, t, vcov);
    if (spill__inverse(vcov, nv))
      return spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
    return SPILL_OK;
  }
  if ((rc = spill__ldet_prepare(ctx, ld, rho))) return rc; /* the workers only read the factor */
  gp.ld = ld;
  gp.rho = rho;
  spill__w_traces(ld->w, gp.c);
  return spill__vcov_probes(ctx, ld, 3, g_forms, &gp, nv, fn, user, vcov);
}

/* Simulation inference for the effects: draw (beta, theta, rho) from the
 * estimated asymptotic normal N(estimate, vcov) and recompute (LeSage and
 * Pace 2009, sec. 2.7), rejecting draws with rho outside its bounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/effects.h"
#include "spatial/parallel.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

int spill__vcov_chol(spill_ctx *ctx, const spill_fit *fit, const long *sel, size_t m, double *L)
{
  int n = (int)m, info = 0;
  if (!fit->vcov)
    return spill__fail(ctx, SPILL_EINVAL, "effects: the fit has no covariance matrix; "
                       "simulation needs one (use draws = 0 for point estimates only)");
  for (size_t a = 0; a < m; a++)
    for (size_t b = 0; b < m; b++) {
      double v = fit->vcov[(size_t)sel[a] * fit->nv + (size_t)sel[b]];
      if (!isfinite(v))
        return spill__fail(ctx, SPILL_EDATA, "effects: the covariance of %s and %s is not finite",
                           (size_t)sel[a] < fit->k ? fit->names[sel[a]] : "rho",
                           (size_t)sel[b] < fit->k ? fit->names[sel[b]] : "rho");
      L[a * m + b] = v;
    }
  /* row-major lower = column-major upper: ask LAPACK for "U" */
  dpotrf_("U", &n, L, &n, &info);
  if (info != 0)
    return spill__fail(ctx, SPILL_ENUM, "effects: the covariance block of the effect terms and rho "
                       "is not positive definite (dpotrf info %d); simulated SEs are unavailable", info);
  for (size_t a = 0; a < m; a++)
    for (size_t b = a + 1; b < m; b++) L[a * m + b] = 0.0;
  return SPILL_OK;
}

void spill__draws_free(spill__draws *d)
{
  if (!d) return;
  free(d->sel);
  free(d->v);
  memset(d, 0, sizeof *d);
}

int spill__draws_make(spill_ctx *ctx, const spill_fit *fit, double series_wnorm,
                      const spill_effects_opts *opts, spill__draws *d)
{
  long *idx = NULL, *widx = NULL;
  double *L = NULL, *z = NULL;
  size_t ne, m = 0, attempts = 0, max_attempts;
  int bounded = spill__fit_lag(fit) && fit->rho_lo < fit->rho_hi;
  int rc = SPILL_OK;
  spill_rng rng;
  memset(d, 0, sizeof *d);
  d->rho_col = -1;
  if (opts->draws <= 0) return SPILL_OK;
  /* the draws (draws x parameters) and their effects (3 per term) */
  if (spill__mem_request(ctx, (double)opts->draws * (double)(fit->nv + 3 * (fit->k + 1)) * sizeof(double),
                         "the simulation draws of the effects", "use fewer draws (--draws)"))
    return SPILL_ENOMEM;
  idx = spill__malloc(ctx, (fit->k + 1) * sizeof *idx);
  widx = spill__malloc(ctx, (fit->k + 1) * sizeof *widx);
  d->sel = spill__malloc(ctx, (2 * fit->k + 2) * sizeof *d->sel);
  if (!idx || !widx || !d->sel) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  ne = spill__effect_terms(fit, idx, widx);
  for (size_t e = 0; e < ne; e++) {
    d->sel[m++] = idx[e];
    if (widx[e] >= 0) d->sel[m++] = widx[e];
  }
  if (spill__fit_lag(fit)) {
    d->rho_col = (long)m;
    d->sel[m++] = (long)fit->k;
  }
  d->m = m;
  L = spill__malloc(ctx, (m ? m * m : 1) * sizeof *L);
  z = spill__malloc(ctx, (m ? m : 1) * sizeof *z);
  d->v = spill__malloc(ctx, (size_t)opts->draws * (m ? m : 1) * sizeof *d->v);
  if (!L || !z || !d->v) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  if ((rc = spill__vcov_chol(ctx, fit, d->sel, m, L)) != SPILL_OK) goto done;
  spill_rng_seed(&rng, opts->seed);
  max_attempts = 10 * (size_t)opts->draws + 100;
  while (d->n < (size_t)opts->draws && attempts < max_attempts) {
    double *v = d->v + d->n * m;
    attempts++;
    for (size_t a = 0; a < m; a++) z[a] = spill_rng_normal(&rng);
    for (size_t a = 0; a < m; a++) {
      double acc = 0.0;
      for (size_t b = 0; b <= a; b++) acc += L[a * m + b] * z[b];
      v[a] = (d->sel[a] < (long)fit->k ? fit->coef[d->sel[a]] : fit->rho) + acc;
    }
    if (d->rho_col >= 0) {
      double r = v[d->rho_col];
      if ((bounded && !(r > fit->rho_lo && r < fit->rho_hi)) ||
          (series_wnorm > 0.0 && !(fabs(r) * series_wnorm < 1.0))) {
        d->rejected++;
        continue;
      }
    }
    d->n++;
  }
  if (d->n < (size_t)opts->draws)
    rc = spill__fail(ctx, SPILL_ENUM, "effects: only %zu of %zu draws had rho inside (%g, %g); "
                     "the covariance of rho is too wide for simulation", d->n, attempts,
                     fit->rho_lo, fit->rho_hi);
done:
  free(idx);
  free(widx);
  free(L);
  free(z);
  if (rc) spill__draws_free(d);
  return rc;
}

long spill__draws_col(const spill__draws *d, long coef)
{
  for (size_t a = 0; a < d->m; a++)
    if (d->sel[a] == coef) return (long)a;
  return -1;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void spill__sort(double *x, size_t n) { qsort(x, n, sizeof *x, cmp_double); }

double spill__quantile_sorted(const double *x, size_t n, double q)
{
  double h;
  size_t lo;
  if (n == 0) return NAN;
  h = (double)(n - 1) * q;
  lo = (size_t)floor(h);
  if (lo + 1 >= n) return x[n - 1];
  return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

double spill__pnorm2(double z) { return isfinite(z) ? erfc(fabs(z) / sqrt(2.0)) : (isnan(z) ? NAN : 0.0); }

void spill__stat_summarize(spill_effect_stat *s, double *x, size_t n, double level)
{
  double m = 0.0, v = 0.0;
  if (n == 0) {
    s->mean = s->sd = s->z = s->p = s->lo = s->hi = NAN;
    return;
  }
  for (size_t i = 0; i < n; i++) m += x[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
  s->mean = m;
  s->sd = n > 1 ? sqrt(v / (double)(n - 1)) : NAN;
  s->z = s->sd > 0.0 ? m / s->sd : NAN;
  s->p = spill__pnorm2(s->z);
  spill__sort(x, n);
  s->lo = spill__quantile_sorted(x, n, (1.0 - level) / 2.0);
  s->hi = spill__quantile_sorted(x, n, (1.0 + level) / 2.0);
}

/* The draws on the context's threads: draw r fills column r of val, the
 * summaries read all of them, so the results do not depend on threads. */
typedef struct sim_job {
  const spill_traces *tr;
  const spill__draws *d;
  const spill_effects *out;
  double *val, *trunc; /* trunc: per thread, the largest truncation bound */
  int *bad;            /* per thread: the traces failed at rho bad_at */
  double *bad_at;
} sim_job;

static int sim_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  sim_job *jb = user;
  const spill__draws *d = jb->d;
  const spill_traces *tr = jb->tr;
  size_t E = jb->out->count, r0 = d->n * (size_t)thread / (size_t)nthreads;
  size_t r1 = d->n * (size_t)(thread + 1) / (size_t)nthreads;
  (void)ctx;
  jb->trunc[thread] = 0.0;
  jb->bad[thread] = 0;
  for (size_t r = r0; r < r1; r++) {
    const double *v = d->v + r * d->m;
    double rho = d->rho_col >= 0 ? v[d->rho_col] : 0.0;
    spill__tfun f;
    if (spill__traces_eval(tr, rho, &f) != 0) {
      jb->bad[thread] = 1;
      jb->bad_at[thread] = rho;
      return SPILL_OK;
    }
    for (size_t e = 0; e < E; e++) {
      const spill_effect *ef = &jb->out->e[e];
      double b = v[spill__draws_col(d, ef->coef)];
      double t = ef->wcoef >= 0 ? v[spill__draws_col(d, ef->wcoef)] : 0.0;
      double dir = b * f.a0 + t * f.a1, tot = b * f.b0 + t * f.b1;
      double bound = (fabs(b) + fabs(t) * tr->wnorm) * (f.trunc_direct + f.trunc_total);
      jb->val[(3 * e + 0) * d->n + r] = dir;
      jb->val[(3 * e + 1) * d->n + r] = tot - dir;
      jb->val[(3 * e + 2) * d->n + r] = tot;
      if (bound > jb->trunc[thread]) jb->trunc[thread] = bound;
    }
  }
  return SPILL_OK;
}

int spill__effects_simulate(spill_ctx *ctx, const spill_fit *fit, const spill_traces *tr,
                            const spill_effects_opts *opts, spill_effects *out)
{
  spill__draws d;
  double *val = NULL, trunc[64], bad_at[64];
  int bad[64], th;
  size_t E = out->count;
  int rc;
  sim_job jb;
  rc = spill__draws_make(ctx, fit, tr->method == SPILL_TRACE_MC || !tr->row_stochastic ? tr->wnorm : 0.0,
                         opts, &d);
  if (rc || d.n == 0) return rc;
  val = spill__malloc(ctx, 3 * E * d.n * sizeof *val);
  if (!val) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  jb = (sim_job){tr, &d, out, val, trunc, bad, bad_at};
  /* work per draw: the series (order) or the eigenvalues (n) */
  th = spill__thread_count(ctx, (int64_t)d.n * (tr->method == SPILL_TRACE_MC ? tr->order + 2 : tr->n) * (int64_t)(E + 1));
  if (th > 64) th = 64;
  if (th > (int)d.n) th = (int)d.n;
  if ((rc = spill__run_parallel(ctx, th, sim_task, &jb))) goto done;
  for (int t = 0; t < th; t++) {
    if (bad[t]) {
      rc = spill__fail(ctx, SPILL_ENUM, "effects: traces cannot be evaluated at rho = %g", bad_at[t]);
      goto done;
    }
    if (trunc[t] > out->max_trunc) out->max_trunc = trunc[t];
  }
  for (size_t e = 0; e < E; e++) {
    spill__stat_summarize(&out->e[e].direct, val + (3 * e + 0) * d.n, d.n, opts->level);
    spill__stat_summarize(&out->e[e].indirect, val + (3 * e + 1) * d.n, d.n, opts->level);
    spill__stat_summarize(&out->e[e].total, val + (3 * e + 2) * d.n, d.n, opts->level);
  }
  out->accepted = (int)d.n;
  out->rejected = (int)d.rejected;
done:
  free(val);
  spill__draws_free(&d);
  return rc;
}

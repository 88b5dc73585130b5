/* Threads and the large-n variances of the SAC and Lee-Yu models (issue 10):
 *  - the variance (SDM, SAC; exact and Monte Carlo traces), the effects' simulation draws and
 *    Monte Carlo traces, and the per-city simulation intervals are bit for
 *    bit the same on 1, 2 and 3 threads (memcmp);
 *  - the SAC's exact traces by sparse solves on unit vectors (no n x n
 *    matrix) agree with the dense G and H of the eigen method;
 *  - the SAC's and the Lee-Yu model's Hutchinson SEs agree with the exact
 *    ones within their reported Monte Carlo error (several seeds: the
 *    standardised errors), with that error below 0.1%; likewise the SDM's
 *    with a W that is not symmetrisable (LU solves).
 * Maps: generated lattices (no shared data needed). */
#include <time.h>
#include "spill.h"
#include "tests/check.h"

/* y = (I - r W)^-1 b by a Neumann iteration (|r| <= 0.5: 80 steps suffice) */
static void neumann(const spill_weights *w, double r, const double *b, double *y, double *tmp)
{
  int64_t n = w->n;
  memcpy(y, b, (size_t)n * sizeof *y);
  for (int it = 0; it < 80; it++) {
    for (int64_t i = 0; i < n; i++) {
      double a = 0.0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * y[w->j[q]];
      tmp[i] = b[i] + r * a;
    }
    memcpy(y, tmp, (size_t)n * sizeof *y);
  }
}

/* SAC data: y = (I - rho W)^-1 (d + 0.5 x + (I - lam W)^-1 e); with wd the
 * SDM's W d term is added (0.5 W d) */
static spill_panel *make_panel(spill_ctx *ctx, const spill_weights *w, int64_t t, double rho, double lam,
                               int wd, uint64_t seed)
{
  int64_t n = w->n;
  spill_panel *p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, NULL, 1, 1);
  double *b = malloc((size_t)n * sizeof *b), *e = malloc((size_t)n * sizeof *e);
  double *u = malloc((size_t)n * sizeof *u), *tmp = malloc((size_t)n * sizeof *tmp);
  spill_rng rng;
  spill_rng_seed(&rng, seed);
  for (int64_t s = 0; s < t; s++) {
    double *d = p->d + s * n;
    for (int64_t i = 0; i < n; i++) d[i] = (i % 7 == 0 && s >= t / 2) || (i % 11 == 0 && s >= 1);
    for (int64_t i = 0; i < n; i++) e[i] = spill_rng_normal(&rng);
    neumann(w, lam, e, u, tmp);
    for (int64_t i = 0; i < n; i++) {
      double a = 0.0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * d[w->j[q]];
      p->x[s * n + i] = spill_rng_normal(&rng);
      b[i] = d[i] + (wd ? 0.5 * a : 0.0) + 0.5 * p->x[s * n + i] + u[i];
    }
    neumann(w, rho, b, p->y + s * n, tmp);
  }
  free(b);
  free(e);
  free(u);
  free(tmp);
  return p;
}

static spill_weights *lattice(spill_ctx *ctx, int a, int b)
{
  spill_weights *w = spill_weights_lattice(ctx, a, b, 1);
  if (w) spill_weights_transform(ctx, w, 'W');
  return w;
}

static spill_fit *fit_on(const spill_panel *p, const spill_weights *w, const spill_fit_opts *o, int threads)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_fit *f;
  spill_ctx_set_threads(ctx, threads);
  f = spill_fit_model(ctx, p, w, o);
  CHECK_MSG(f != NULL, "%d threads: %s", threads, spill_ctx_error(ctx));
  spill_ctx_free(ctx);
  return f;
}

/* the same fit on 1, 2 and 3 threads: identical bits */
static void same_on_threads(const spill_panel *p, const spill_weights *w, const spill_fit_opts *o,
                            const char *what)
{
  spill_fit *f[3];
  for (int t = 0; t < 3; t++) f[t] = fit_on(p, w, o, t + 1);
  for (int t = 1; t < 3; t++) {
    if (!f[0] || !f[t]) continue;
    CHECK_MSG(f[0]->trace_probes == f[t]->trace_probes, "%s: %d probes on 1 thread, %d on %d", what,
              f[0]->trace_probes, f[t]->trace_probes, t + 1);
    CHECK_MSG(memcmp(f[0]->vcov, f[t]->vcov, f[0]->nv * f[0]->nv * sizeof *f[0]->vcov) == 0,
              "%s: the covariance differs between 1 and %d threads", what, t + 1);
    CHECK_MSG(memcmp(f[0]->se, f[t]->se, f[0]->k * sizeof *f[0]->se) == 0 &&
              memcmp(&f[0]->rho_se, &f[t]->rho_se, sizeof f[0]->rho_se) == 0 &&
              memcmp(&f[0]->se_mcerr, &f[t]->se_mcerr, sizeof f[0]->se_mcerr) == 0,
              "%s: the SEs differ between 1 and %d threads", what, t + 1);
  }
  if (f[0]) printf("%s: %d probes, MC error of the SEs %.3g%%, identical on 1, 2, 3 threads\n", what,
                   f[0]->trace_probes, 100.0 * f[0]->se_mcerr);
  for (int t = 0; t < 3; t++) spill_fit_free(f[t]);
}

static void test_sdm_threads(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 50, 50);
  spill_panel *p = make_panel(ctx, w, 4, 0.4, 0.0, 1, 11);
  spill_fit_opts o;
  spill_fit_opts_init(&o);
  o.logdet = SPILL_LOGDET_CHOL;
  o.traces = 2;
  same_on_threads(p, w, &o, "SDM, Monte Carlo traces");
  spill_panel_free(p);
  spill_weights_free(w);
  w = lattice(ctx, 24, 30); /* n = 720 */
  p = make_panel(ctx, w, 4, 0.4, 0.0, 1, 12);
  o.traces = 1; /* exact traces by blocks of columns, also threaded */
  same_on_threads(p, w, &o, "SDM, exact traces (Cholesky)");
  o.logdet = SPILL_LOGDET_LU;
  same_on_threads(p, w, &o, "SDM, exact traces (LU)");
  spill_panel_free(p);
  spill_weights_free(w);
}

/* standardised errors of the MC SEs against the exact ones over seeds */
static void mc_vs_exact(const spill_panel *p, const spill_weights *w, spill_fit_opts o, const char *what)
{
  spill_fit *ex, *f;
  double ss = 0.0, worst = 0.0, maxrel = 0.0;
  int seeds = 4, cnt = 0;
  o.traces = 1;
  ex = fit_on(p, w, &o, 0);
  if (!ex) return;
  CHECK(ex->trace_probes == 0 && ex->se_mcerr == 0.0);
  for (int s = 1; s <= seeds; s++) {
    o.traces = 2;
    o.trace_seed = (uint64_t)s;
    f = fit_on(p, w, &o, 0);
    if (!f) break;
    CHECK_MSG(f->trace_probes >= 32 && f->se_mcerr > 0.0 && f->se_mcerr <= 1e-3, "%s: %d probes, error %g",
              what, f->trace_probes, f->se_mcerr);
    CHECK(f->rho == ex->rho); /* the point estimates do not use the traces */
    for (size_t j = 0; j <= f->k + (f->model == SPILL_MODEL_SAC); j++) {
      /* the coefficients, rho and (SAC) lambda */
      double a = j < f->k ? f->se[j] : j == f->k ? f->rho_se : f->lambda_se;
      double b = j < ex->k ? ex->se[j] : j == ex->k ? ex->rho_se : ex->lambda_se;
      double z = (a / b - 1.0) / f->se_mcerr;
      CHECK_MSG(fabs(z) <= 5.0, "%s seed %d, parameter %zu: se %.10g exact %.10g (MC error %.2g)", what, s, j, a,
                b, f->se_mcerr);
      if (j < f->k) continue; /* the spatial parameters' SEs carry the largest MC error */
      ss += z * z;
      cnt++;
      worst = fmax(worst, fabs(z));
      maxrel = fmax(maxrel, fabs(a / b - 1.0));
    }
    spill_fit_free(f);
  }
  printf("%s, n = %lld: %d seeds, SEs max rel diff %.2e; standardised errors RMS %.2f, max %.2f\n", what,
         (long long)w->n, seeds, maxrel, sqrt(ss / cnt), worst);
  CHECK(cnt > 0 && sqrt(ss / cnt) < 2.0);
  spill_fit_free(ex);
}

static void test_sac(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 25, 32); /* n = 800 */
  spill_panel *p = make_panel(ctx, w, 5, 0.35, 0.3, 0, 5);
  spill_fit_opts o;
  spill_fit *de, *ex;
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_SAC;
  /* exact traces: dense G and H (eigen method) against unit-vector solves */
  o.logdet = SPILL_LOGDET_EIGEN;
  de = fit_on(p, w, &o, 0);
  o.logdet = SPILL_LOGDET_CHOL;
  o.traces = 1;
  ex = fit_on(p, w, &o, 0);
  if (de && ex) {
    CHECK_MSG(fabs(de->rho - ex->rho) < 1e-6 && fabs(de->lambda - ex->lambda) < 1e-6, "rho %.9f/%.9f lam %.9f/%.9f",
              de->rho, ex->rho, de->lambda, ex->lambda);
    printf("SAC n = %lld: rho %.6f lambda %.6f (eigen vs chol)\n", (long long)w->n, ex->rho, ex->lambda);
  }
  /* the traces at the same point: refit the chol variance at the eigen estimates is not exposed, so
   * compare SEs with a tolerance covering the tiny difference of the estimates */
  if (de && ex) {
    for (size_t j = 0; j < de->k; j++) CHECK_REL(ex->se[j], de->se[j], 1e-5);
    CHECK_REL(ex->rho_se, de->rho_se, 1e-5);
    CHECK_REL(ex->lambda_se, de->lambda_se, 1e-5);
  }
  if (ex) { /* the exact traces with LU solves (the unit-vector route) against the Cholesky route */
    spill_fit *lu;
    o.logdet = SPILL_LOGDET_LU;
    lu = fit_on(p, w, &o, 0);
    if (lu) {
      for (size_t j = 0; j < lu->k; j++) CHECK_REL(lu->se[j], ex->se[j], 1e-5);
      CHECK_REL(lu->rho_se, ex->rho_se, 1e-5);
      CHECK_REL(lu->lambda_se, ex->lambda_se, 1e-5);
    }
    spill_fit_free(lu);
    o.logdet = SPILL_LOGDET_CHOL;
  }
  spill_fit_free(de);
  spill_fit_free(ex);
  mc_vs_exact(p, w, o, "SAC Hutchinson vs exact");
  same_on_threads(p, w, &o, "SAC, exact traces");
  o.traces = 2;
  same_on_threads(p, w, &o, "SAC, Monte Carlo traces");
  o.logdet = SPILL_LOGDET_LU; /* the LU path (solves with UMFPACK on threads) */
  same_on_threads(p, w, &o, "SAC, LU, Monte Carlo traces");
  spill_panel_free(p);
  spill_weights_free(w);
}

static void test_lee_yu(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 30, 40);
  spill_panel *p = make_panel(ctx, w, 4, 0.4, 0.0, 1, 9);
  spill_fit_opts o;
  spill_fit_opts_init(&o);
  o.lee_yu = 1;
  o.fe = SPILL_FE_TWOWAYS;
  o.logdet = SPILL_LOGDET_CHOL;
  mc_vs_exact(p, w, o, "Lee-Yu two-way Hutchinson vs exact");
  o.fe = SPILL_FE_UNIT;
  mc_vs_exact(p, w, o, "Lee-Yu unit Hutchinson vs exact");
  spill_panel_free(p);
  spill_weights_free(w);
}

/* a W not similar to a symmetric matrix (directed links): LU log-dets and
 * the Hutchinson traces with LU solves against the exact LU traces */
static void test_nonsymmetric(spill_ctx *ctx)
{
  int64_t n = 1500, ti[4500], tj[4500], nt = 0;
  spill_weights *w;
  spill_panel *p;
  spill_fit_opts o;
  for (int64_t i = 0; i < n; i++) {
    ti[nt] = i, tj[nt++] = (i + 1) % n;
    ti[nt] = i, tj[nt++] = (i + 7) % n;
    if (i % 3 == 0) ti[nt] = i, tj[nt++] = (i + 50) % n;
  }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, NULL);
  CHECK(w != NULL);
  if (!w) return;
  spill_weights_transform(ctx, w, 'W');
  p = make_panel(ctx, w, 4, 0.3, 0.0, 1, 21);
  spill_fit_opts_init(&o);
  o.logdet = SPILL_LOGDET_LU;
  mc_vs_exact(p, w, o, "SDM, W not symmetrisable (LU), Hutchinson vs exact");
  spill_panel_free(p);
  spill_weights_free(w);
}

/* effects with simulation draws and Monte Carlo traces, and the per-city
 * intervals, on 1, 2, 3 threads */
static void test_effects_threads(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 65, 65); /* n = 4225: two row chunks for the MC traces */
  spill_panel *p = make_panel(ctx, w, 3, 0.4, 0.0, 1, 3);
  spill_fit_opts o;
  spill_fit *f;
  spill_effects *e[3] = {NULL, NULL, NULL};
  spill_city_effects *c[3] = {NULL, NULL, NULL};
  double *dv = calloc((size_t)w->n, sizeof *dv);
  spill_fit_opts_init(&o);
  o.logdet = SPILL_LOGDET_CHOL;
  o.traces = 2;
  f = fit_on(p, w, &o, 0);
  for (int64_t i = 0; i < w->n; i += 97) dv[i] = 1.0;
  for (int t = 0; f && t < 3; t++) {
    spill_ctx *c2 = spill_ctx_new();
    spill_effects_opts eo;
    spill_ctx_set_threads(c2, t + 1);
    spill_effects_opts_init(&eo);
    eo.method = SPILL_TRACE_MC;
    eo.draws = 500;
    eo.seed = 4;
    e[t] = spill_effects_compute(c2, f, w, NULL, &eo);
    CHECK_MSG(e[t] != NULL, "%s", spill_ctx_error(c2));
    eo.draws = 200;
    c[t] = spill_city_effects_compute(c2, f, w, dv, &eo);
    CHECK_MSG(c[t] != NULL, "%s", spill_ctx_error(c2));
    spill_ctx_free(c2);
  }
  for (int t = 1; t < 3; t++) {
    int same = e[0] && e[t] && e[0]->count == e[t]->count && e[0]->max_trunc == e[t]->max_trunc;
    for (size_t k = 0; same && k < e[0]->count; k++)
      same = memcmp(&e[0]->e[k].direct, &e[t]->e[k].direct, sizeof e[0]->e[k].direct) == 0 &&
             memcmp(&e[0]->e[k].indirect, &e[t]->e[k].indirect, sizeof e[0]->e[k].indirect) == 0 &&
             memcmp(&e[0]->e[k].total, &e[t]->e[k].total, sizeof e[0]->e[k].total) == 0;
    CHECK_MSG(same, "the effects table differs between 1 and %d threads", t + 1);
    same = c[0] && c[t];
    if (same) {
      size_t nb = (size_t)w->n * sizeof(double);
      same = memcmp(c[0]->total_lo, c[t]->total_lo, nb) == 0 && memcmp(c[0]->total_hi, c[t]->total_hi, nb) == 0 &&
             memcmp(c[0]->received_lo, c[t]->received_lo, nb) == 0 &&
             memcmp(c[0]->own_lo, c[t]->own_lo, nb) == 0 && memcmp(c[0]->sent_hi, c[t]->sent_hi, nb) == 0;
    }
    CHECK_MSG(same, "the city effects' intervals differ between 1 and %d threads", t + 1);
  }
  if (e[0]) printf("effects (%s, %d draws) and city intervals identical on 1, 2, 3 threads\n", e[0]->method_name,
                   e[0]->accepted);
  for (int t = 0; t < 3; t++) {
    spill_effects_free(e[t]);
    spill_city_effects_free(c[t]);
  }
  spill_fit_free(f);
  spill_panel_free(p);
  spill_weights_free(w);
  free(dv);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  double t0 = now();
  test_sdm_threads(ctx);
  printf("  (%.1f s)\n", now() - t0);
  t0 = now();
  test_sac(ctx);
  printf("  (%.1f s)\n", now() - t0);
  t0 = now();
  test_lee_yu(ctx);
  test_nonsymmetric(ctx);
  printf("  (%.1f s)\n", now() - t0);
  t0 = now();
  test_effects_threads(ctx);
  printf("  (%.1f s)\n", now() - t0);
  spill_ctx_free(ctx);
  return check_done("test_threads");
}

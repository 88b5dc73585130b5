/* Large-n paths against the exact ones (issue 10): the Monte Carlo variance
 * traces against exact traces (20 seeds; standardised errors), the Chebyshev
 * log-determinant against Cholesky (within its reported bound), the fit with
 * both (rho to 1e-6), exact traces without dense G (LU) against dense G
 * computed here, the refusal of dense methods on large n, and the
 * thread-count independence of the Chebyshev traces. Uses china_counties
 * (n = 2841) from ../shared when present, else a 60 x 60 lattice. */
#include "spill.h"
#include "estimation/logdet.h"
#include "tests/check.h"

extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b,
                   const int *ldb, int *info);

static spill_weights *china_or_lattice(spill_ctx *ctx)
{
  char buf[1024];
  spill_weights *w = NULL;
  if (check_shared("refs/china_counties_queen.gal", buf, sizeof buf))
    w = spill_weights_read(ctx, buf, SPILL_WFMT_GAL);
  if (!w) w = spill_weights_lattice(ctx, 60, 60, 1);
  spill_weights_transform(ctx, w, 'W');
  return w;
}

/* SDM data: y = (I - 0.4 W)^-1 (d + 0.5 W d + 0.5 x + e), by a Neumann series */
static spill_panel *sdm_panel(spill_ctx *ctx, const spill_weights *w, int64_t t)
{
  int64_t n = w->n;
  spill_panel *p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, NULL, 1, 1);
  double *b = malloc((size_t)n * sizeof *b), *y = malloc((size_t)n * sizeof *y);
  double *u = malloc((size_t)n * sizeof *u);
  spill_rng rng;
  spill_rng_seed(&rng, 11);
  for (int64_t s = 0; s < t; s++) {
    double *d = p->d + s * n;
    for (int64_t i = 0; i < n; i++) d[i] = (i % 7 == 0 && s >= t / 2) || (i % 11 == 0 && s >= 1);
    for (int64_t i = 0; i < n; i++) {
      double wd = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) wd += w->x[q] * d[w->j[q]];
      p->x[s * n + i] = spill_rng_normal(&rng);
      b[i] = d[i] + 0.5 * wd + 0.5 * p->x[s * n + i] + spill_rng_normal(&rng);
      y[i] = b[i];
    }
    for (int it = 0; it < 60; it++) {
      for (int64_t i = 0; i < n; i++) {
        double a = 0;
        for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * y[w->j[q]];
        u[i] = b[i] + 0.4 * a;
      }
      memcpy(y, u, (size_t)n * sizeof *y);
    }
    memcpy(p->y + s * n, y, (size_t)n * sizeof *y);
  }
  free(b);
  free(y);
  free(u);
  return p;
}

static void test_fit_fast_vs_exact(spill_ctx *ctx, const spill_weights *w)
{
  spill_panel *p = sdm_panel(ctx, w, 5);
  spill_fit_opts o;
  spill_fit *ex, *f;
  double ss = 0.0, worst = 0.0, maxerr = 0.0;
  int seeds = 20;
  spill_fit_opts_init(&o);
  o.logdet = SPILL_LOGDET_CHOL;
  o.traces = 1;
  ex = spill_fit_model(ctx, p, w, &o);
  CHECK_MSG(ex != NULL, "%s", spill_ctx_error(ctx));
  if (!ex) goto out;
  CHECK(ex->trace_probes == 0 && ex->se_mcerr == 0.0 && ex->logdet_err == 0.0);
  for (int s = 1; s <= seeds; s++) {
    o.logdet = SPILL_LOGDET_CHEB;
    o.traces = 2;
    o.trace_seed = (uint64_t)s;
    f = spill_fit_model(ctx, p, w, &o);
    CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
    if (!f) break;
    CHECK_MSG(fabs(f->rho - ex->rho) < 1e-6, "seed %d: rho %.10f, exact %.10f", s, f->rho, ex->rho);
    CHECK(f->trace_probes >= 32 && f->se_mcerr > 0.0 && f->se_mcerr <= 1e-3);
    CHECK_STR(f->logdet_method, "cheb");
    CHECK(f->logdet_err < 1e-6 * fabs(ex->loglik));
    /* the SE of rho depends most on the traces: standardise by the reported error */
    {
      double z = (f->rho_se / ex->rho_se - 1.0) / f->se_mcerr;
      ss += z * z;
      worst = fmax(worst, fabs(z));
      maxerr = fmax(maxerr, fabs(f->rho_se / ex->rho_se - 1.0));
      for (size_t j = 0; j < f->k; j++)
        CHECK_MSG(fabs(f->se[j] / ex->se[j] - 1.0) <= 5.0 * f->se_mcerr, "seed %d, %s: se %.10g exact %.10g (MC error %.2g)",
                  s, f->names[j], f->se[j], ex->se[j], f->se_mcerr);
    }
    spill_fit_free(f);
  }
  printf("n = %lld: 20 seeds, rho exact %.10f; se(rho) max rel diff %.2e; standardised errors "
         "RMS %.2f, max %.2f\n", (long long)w->n, ex->rho, maxerr, sqrt(ss / seeds), worst);
  CHECK(sqrt(ss / seeds) < 2.0 && worst < 5.0);
out:
  spill_fit_free(ex);
  spill_panel_free(p);
}

static void test_cheb_bounds(spill_ctx *ctx, const spill_weights *w)
{
  spill__ldet *ld = spill__ldet_new(ctx, w, SPILL_LOGDET_CHEB);
  double rhos[] = {-0.6, -0.2, 0.1, 0.4, 0.7, 0.9}, worst = 0.0;
  CHECK_MSG(ld != NULL, "%s", spill_ctx_error(ctx));
  if (!ld) return;
  for (size_t k = 0; k < sizeof rhos / sizeof *rhos; k++) {
    double ex, ap, d, mcse, trunc;
    CHECK(spill__ldet_exact_eval(ctx, ld, rhos[k], &ex) == 0);
    spill__cheb_eval(ld, rhos[k], &ap, &d);
    spill__cheb_error(ld, rhos[k], &mcse, &trunc);
    /* the reported bound: 4 Monte Carlo SEs plus the truncation bound */
    CHECK_MSG(fabs(ap - ex) <= 4.0 * mcse + trunc, "rho %g: cheb %.8f exact %.8f (mcse %.2g, trunc %.2g)",
              rhos[k], ap, ex, mcse, trunc);
    worst = fmax(worst, fabs(ap - ex) / (mcse + trunc));
  }
  printf("Chebyshev log-det (m = %d, %d probes): worst |error| / (MC SE + truncation) %.2f\n",
         ld->cheb_m, ld->cheb_r, worst);
  spill__ldet_free(ld);
}

/* exact traces of LU without dense G against dense G by LAPACK, for a W
 * that is not similar to a symmetric matrix */
static void test_lu_traces(spill_ctx *ctx)
{
  int n = 300, info, *ipiv = malloc(300 * sizeof *ipiv);
  int64_t ti[900], tj[900], nt = 0;
  double rho = 0.37, *a = calloc((size_t)n * n, sizeof *a), *g = calloc((size_t)n * n, sizeof *g);
  double tr[3], ref[3] = {0, 0, 0};
  spill_weights *w;
  spill__ldet *ld;
  for (int i = 0; i < n; i++) {
    ti[nt] = i; tj[nt++] = (i + 1) % n;
    ti[nt] = i; tj[nt++] = (i + 7) % n;
    if (i % 3 == 0) { ti[nt] = i; tj[nt++] = (i + 50) % n; }
  }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, NULL);
  spill_weights_transform(ctx, w, 'W');
  ld = spill__ldet_new(ctx, w, SPILL_LOGDET_LU);
  CHECK(ld && !ld->similar);
  if (!ld) goto out;
  CHECK(spill__ldet_traces(ctx, ld, rho, NULL, 0, NULL, tr) == 0);
  for (int i = 0; i < n; i++) {
    a[(size_t)i * n + i] = 1.0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      a[(size_t)w->j[q] * n + i] -= rho * w->x[q];
      g[(size_t)w->j[q] * n + i] = w->x[q];
    }
  }
  dgesv_(&n, &n, a, &n, ipiv, g, &n, &info); /* G = (I - rho W)^-1 W */
  for (int j = 0; j < n; j++) {
    ref[0] += g[(size_t)j * n + j];
    for (int i = 0; i < n; i++) {
      ref[1] += g[(size_t)j * n + i] * g[(size_t)i * n + j];
      ref[2] += g[(size_t)j * n + i] * g[(size_t)j * n + i];
    }
  }
  for (int k = 0; k < 3; k++) CHECK_REL(tr[k], ref[k], 1e-11);
out:
  spill__ldet_free(ld);
  spill_weights_free(w);
  free(a);
  free(g);
  free(ipiv);
}

static void test_dense_refused(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 100, 100, 0);
  spill__ldet *ld;
  spill_weights_transform(ctx, w, 'W');
  ld = spill__ldet_new(ctx, w, SPILL_LOGDET_EIGEN);
  CHECK(ld == NULL);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "0.8 GB") != NULL, "%s", spill_ctx_error(ctx));
  spill__ldet_free(ld);
  spill_weights_free(w);
}

static void test_threads(const spill_weights *w)
{
  double *t[2];
  int m = 0;
  for (int th = 1; th <= 2; th++) {
    spill_ctx *ctx = spill_ctx_new();
    spill__ldet *ld;
    spill_ctx_set_threads(ctx, th);
    ld = spill__ldet_new(ctx, w, SPILL_LOGDET_CHEB);
    CHECK(ld != NULL);
    if (!ld) {
      t[th - 1] = NULL;
      spill_ctx_free(ctx);
      continue;
    }
    m = ld->cheb_m;
    t[th - 1] = malloc(((size_t)m + 1) * sizeof **t);
    memcpy(t[th - 1], ld->cheb_t, ((size_t)m + 1) * sizeof **t);
    spill__ldet_free(ld);
    spill_ctx_free(ctx);
  }
  if (t[0] && t[1]) CHECK(memcmp(t[0], t[1], ((size_t)m + 1) * sizeof **t) == 0);
  free(t[0]);
  free(t[1]);
}

/* Per-city effects on a map large enough for the series path (pilots x units
 * > 1e9: no solve per pilot): own effects S_pp and totals against a
 * Neumann iteration written here, for a few pilots. */
static void test_city_series(spill_ctx *ctx)
{
  spill_weights *w = spill_weights_lattice(ctx, 250, 250, 0);
  int64_t n;
  spill_fit f;
  char *names[2] = {"did", "W*did"};
  long wlag[2] = {1, -1};
  double coef[2] = {1.0, 0.5}, se[2] = {0.1, 0.1}, *d, *x, *y, *u;
  spill_effects_opts eo;
  spill_city_effects *c;
  spill_weights_transform(ctx, w, 'W');
  n = w->n;
  memset(&f, 0, sizeof f);
  f.model = SPILL_MODEL_SDM;
  f.n = n;
  f.k = 2;
  f.names = names;
  f.coef = coef;
  f.se = se;
  f.wlag = wlag;
  f.treat = 0;
  f.has_rho = 1;
  f.rho = 0.4;
  f.rho_lo = -1;
  f.rho_hi = 1;
  d = calloc((size_t)n, sizeof *d);
  x = calloc((size_t)n, sizeof *x);
  y = calloc((size_t)n, sizeof *y);
  u = calloc((size_t)n, sizeof *u);
  for (int64_t i = 0; i < n; i += 3) d[i] = 1.0; /* 20834 pilots */
  spill_effects_opts_init(&eo);
  eo.draws = 0;
  c = spill_city_effects_compute(ctx, &f, w, d, &eo);
  CHECK_MSG(c != NULL, "%s", spill_ctx_error(ctx));
  for (int64_t p = 0; c && p < n; p += 3 * 4001) {
    /* x = (I - rho W)^-1 (beta e_p + theta W e_p) by 200 Neumann steps */
    memset(y, 0, (size_t)n * sizeof *y);
    y[p] = 1.0;
    for (int64_t i = 0; i < n; i++) {
      double a = 0.0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * y[w->j[q]];
      u[i] = coef[0] * y[i] + coef[1] * a;
    }
    memcpy(x, u, (size_t)n * sizeof *x);
    for (int it = 0; it < 200; it++) {
      for (int64_t i = 0; i < n; i++) {
        double a = 0.0;
        for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * x[w->j[q]];
        y[i] = u[i] + f.rho * a;
      }
      memcpy(x, y, (size_t)n * sizeof *x);
    }
    CHECK_REL(c->own[p], x[p], 1e-9);
  }
  spill_city_effects_free(c);
  spill_weights_free(w);
  free(d);
  free(x);
  free(y);
  free(u);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_weights *w = china_or_lattice(ctx);
  CHECK(w != NULL);
  if (w) {
    test_cheb_bounds(ctx, w);
    test_fit_fast_vs_exact(ctx, w);
    test_threads(w);
  }
  test_lu_traces(ctx);
  test_dense_refused(ctx);
  test_city_series(ctx);
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return check_done("test_scale");
}

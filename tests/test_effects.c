/* Effects: LeSage-Pace direct/indirect/total against spatialreg (Columbus)
 * and dense computations, MC traces against exact, simulated against
 * delta-method SEs, per-city effects, the several-W report and writers. */
#include <stdint.h>
#include "tests/check.h"
#include "estimation/effects.h"

/* ---- fixtures ---- */

/* Rook lattice rows x cols, plus `islands` units with no neighbour,
 * row-standardised. */
static spill_weights *lattice(spill_ctx *ctx, int rows, int cols, int islands)
{
  int64_t n = (int64_t)rows * cols + islands, nt = 0;
  int64_t *ti = malloc(sizeof *ti * 4 * (size_t)n), *tj = malloc(sizeof *tj * 4 * (size_t)n);
  double *tx = malloc(sizeof *tx * 4 * (size_t)n);
  spill_weights *w;
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      int64_t i = (int64_t)r * cols + c;
      int dr[4] = {-1, 1, 0, 0}, dc[4] = {0, 0, -1, 1};
      for (int k = 0; k < 4; k++) {
        int r2 = r + dr[k], c2 = c + dc[k];
        if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) continue;
        ti[nt] = i;
        tj[nt] = (int64_t)r2 * cols + c2;
        tx[nt++] = 1.0;
      }
    }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, tx);
  free(ti);
  free(tj);
  free(tx);
  if (w && spill_weights_transform(ctx, w, 'W') != 0) {
    spill_weights_free(w);
    return NULL;
  }
  return w;
}

/* A fit filled by hand: coefficients [constant], x1..xm, then W terms when
 * sdm; rho; vcov diagonal from se (plus rho_se), with an optional
 * correlation corr between each beta and its theta. */
typedef struct hand_fit {
  spill_fit f;
  char *names[16];
  double coef[16], se[16];
  long wlag[16];
  double vcov[18 * 18];
} hand_fit;

static void hand_init(hand_fit *h, int64_t n, int has_const, int m, const char *const *xnames,
                      const double *beta, const double *bse, const double *theta,
                      const double *tse, double rho, double rho_se, double corr)
{
  static char wnames[8][32];
  size_t k = 0;
  memset(h, 0, sizeof *h);
  if (has_const) {
    h->names[k] = "(constant)";
    h->coef[k] = 1.0;
    h->se[k] = 1.0;
    h->wlag[k++] = -1;
  }
  for (int i = 0; i < m; i++) {
    h->names[k] = (char *)xnames[i];
    h->coef[k] = beta[i];
    h->se[k] = bse[i];
    h->wlag[k++] = theta ? (long)(has_const + m + i) : -1;
  }
  if (theta)
    for (int i = 0; i < m; i++) {
      snprintf(wnames[i], sizeof wnames[i], "W*%s", xnames[i]);
      h->names[k] = wnames[i];
      h->coef[k] = theta[i];
      h->se[k] = tse[i];
      h->wlag[k++] = -1;
    }
  h->f.model = theta ? SPILL_MODEL_SDM : SPILL_MODEL_SAR;
  h->f.n = n;
  h->f.t = 1;
  h->f.k = k;
  h->f.names = h->names;
  h->f.coef = h->coef;
  h->f.se = h->se;
  h->f.wlag = h->wlag;
  h->f.has_rho = 1;
  h->f.rho = rho;
  h->f.rho_se = rho_se;
  h->f.rho_lo = -1.5;
  h->f.rho_hi = 1.0;
  h->f.nv = k + 2;
  h->f.vcov = h->vcov;
  h->f.treat = has_const ? 1 : 0;
  h->f.r2 = 0.5;
  for (size_t a = 0; a < k; a++) h->vcov[a * h->f.nv + a] = h->se[a] * h->se[a];
  h->vcov[k * h->f.nv + k] = rho_se * rho_se;
  h->vcov[(k + 1) * h->f.nv + k + 1] = 1.0;
  if (theta)
    for (int i = 0; i < m; i++) {
      size_t a = (size_t)has_const + i, b = (size_t)has_const + m + i;
      h->vcov[a * h->f.nv + b] = h->vcov[b * h->f.nv + a] = corr * bse[i] * tse[i];
    }
}

/* Dense S = (I - rho W)^-1 (beta I + theta W) by Gauss-Jordan (small n). */
static double *dense_s(const spill_weights *w, double beta, double theta, double rho)
{
  int64_t n = w->n;
  double *a = calloc((size_t)(n * n), sizeof *a), *s = calloc((size_t)(n * n), sizeof *s);
  for (int64_t i = 0; i < n; i++) {
    a[i * n + i] = 1.0;
    s[i * n + i] = beta;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      a[i * n + w->j[k]] -= rho * w->x[k];
      s[i * n + w->j[k]] += theta * w->x[k];
    }
  }
  /* solve A S = B column block by Gauss-Jordan with partial pivoting */
  for (int64_t c = 0; c < n; c++) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > fabs(a[piv * n + c])) piv = r;
    for (int64_t q = 0; q < n; q++) {
      double t = a[c * n + q];
      a[c * n + q] = a[piv * n + q];
      a[piv * n + q] = t;
      t = s[c * n + q];
      s[c * n + q] = s[piv * n + q];
      s[piv * n + q] = t;
    }
    for (int64_t r = 0; r < n; r++) {
      double f;
      if (r == c) continue;
      f = a[r * n + c] / a[c * n + c];
      if (f == 0.0) continue;
      for (int64_t q = 0; q < n; q++) {
        a[r * n + q] -= f * a[c * n + q];
        s[r * n + q] -= f * s[c * n + q];
      }
    }
  }
  for (int64_t r = 0; r < n; r++)
    for (int64_t q = 0; q < n; q++) s[r * n + q] /= a[r * n + r];
  free(a);
  return s;
}

static void dense_effects(const spill_weights *w, double beta, double theta, double rho, double *dir,
                          double *tot)
{
  int64_t n = w->n;
  double *s = dense_s(w, beta, theta, rho), tr = 0.0, sum = 0.0;
  for (int64_t i = 0; i < n; i++) {
    tr += s[i * n + i];
    for (int64_t j = 0; j < n; j++) sum += s[i * n + j];
  }
  *dir = tr / (double)n;
  *tot = sum / (double)n;
  free(s);
}

/* ---- Columbus against spatialreg 1.2-6 exact impacts ---- */
static void test_columbus(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("refs/columbus_queen.gal", buf, sizeof buf);
  static const char *xn[2] = {"INC", "HOVAL"};
  spill_weights *w;
  spill_effects_opts o;
  hand_fit h;
  spill_effects *e;
  if (!path) return;
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (!w) return;
  CHECK(spill_weights_transform(ctx, w, 'W') == 0);
  CHECK_EQ_INT(w->n, 49);
  spill_effects_opts_init(&o);
  o.draws = 0;
  for (int method = SPILL_TRACE_AUTO; method <= SPILL_TRACE_EIGEN; method++) {
    /* SAR: lagsarlm(CRIME ~ INC + HOVAL) */
    {
      double b[2] = {-1.0487281513, -0.2663348082}, se[2] = {0.3074059162, 0.0890962908};
      hand_init(&h, 49, 1, 2, xn, b, se, NULL, NULL, 0.4233254289, 0.1195104448, 0.0);
      o.method = (spill_trace_method)method;
      e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
      CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
      if (e) {
        CHECK_EQ_INT(e->count, 2);
        CHECK_EQ_INT(e->method, SPILL_TRACE_EIGEN);
        CHECK_STR(e->e[0].name, "INC");
        CHECK_REL(e->e[0].direct.estimate, -1.1008954, 1e-6);
        CHECK_REL(e->e[0].indirect.estimate, -0.7176834, 1e-6);
        CHECK_REL(e->e[0].total.estimate, -1.8185788, 1e-6);
        CHECK_REL(e->e[1].direct.estimate, -0.2795832, 1e-6);
        CHECK_REL(e->e[1].indirect.estimate, -0.1822627, 1e-6);
        CHECK_REL(e->e[1].total.estimate, -0.4618459, 1e-6);
        {
          double ref[6] = {-1.1008954, -0.7176834, -1.8185788, -0.2795832, -0.1822627, -0.4618459}, md = 0.0;
          for (int q = 0; q < 6; q++) {
            const spill_effect *ef = &e->e[q / 3];
            double v = q % 3 == 0 ? ef->direct.estimate : q % 3 == 1 ? ef->indirect.estimate : ef->total.estimate;
            md = fmax(md, fabs(v - ref[q]));
          }
          printf("columbus SAR (method %d): max |ours - spatialreg| = %.2e\n", method, md);
        }
        /* row-standardised, no islands: total = beta / (1 - rho) */
        CHECK_RELSTRICT(e->e[0].total.estimate, -1.0487281513 / (1.0 - 0.4233254289), 4 * DBL_EPSILON);
      }
      spill_effects_free(e);
    }
    /* SDM: lagsarlm(..., Durbin = TRUE) */
    {
      double b[2] = {-0.9199061085, -0.2971293633}, bse[2] = {0.33474190910, 0.09041590307};
      double t[2] = {-0.5839132598, 0.2576843216}, tse[2] = {0.57422449609, 0.18723486607};
      double rho = 0.4034626177;
      hand_init(&h, 49, 1, 2, xn, b, bse, t, tse, rho, 0.1613338465, 0.0);
      e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
      CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
      if (e) {
        double dd, dt;
        CHECK_EQ_INT(e->count, 2);
        CHECK_REL(e->e[0].direct.estimate, -1.0249878, 1e-6);
        CHECK_REL(e->e[0].indirect.estimate, -1.495926, 1e-6);
        CHECK_REL(e->e[0].total.estimate, -2.52091388, 1e-6);
        CHECK_REL(e->e[1].direct.estimate, -0.2819673, 1e-6);
        CHECK_REL(e->e[1].indirect.estimate, 0.215844, 1e-6);
        CHECK_REL(e->e[1].total.estimate, -0.06612334, 1e-6);
        {
          double ref[6] = {-1.0249878, -1.495926, -2.52091388, -0.2819673, 0.215844, -0.06612334}, md = 0.0;
          for (int q = 0; q < 6; q++) {
            const spill_effect *ef = &e->e[q / 3];
            double v = q % 3 == 0 ? ef->direct.estimate : q % 3 == 1 ? ef->indirect.estimate : ef->total.estimate;
            md = fmax(md, fabs(v - ref[q]));
          }
          printf("columbus SDM (method %d): max |ours - spatialreg| = %.2e (spatialreg prints 7-8 digits)\n",
                 method, md);
        }
        CHECK_RELSTRICT(e->e[1].total.estimate, (b[1] + t[1]) / (1.0 - rho), 8 * DBL_EPSILON);
        /* and against a dense inverse */
        dense_effects(w, b[0], t[0], rho, &dd, &dt);
        CHECK_REL(e->e[0].direct.estimate, dd, 1e-12);
        CHECK_REL(e->e[0].total.estimate, dt, 1e-12);
        printf("columbus SDM INC direct %.10f (spatialreg -1.0249878, dense %.10f)\n",
               e->e[0].direct.estimate, dd);
      }
      spill_effects_free(e);
    }
  }
  /* Monte Carlo traces on a small W: within the reported error */
  {
    double b[2] = {-0.9199061085, -0.2971293633}, bse[2] = {0.33474190910, 0.09041590307};
    double t[2] = {-0.5839132598, 0.2576843216}, tse[2] = {0.57422449609, 0.18723486607};
    spill_effects *ex, *mc;
    hand_init(&h, 49, 1, 2, xn, b, bse, t, tse, 0.4034626177, 0.1613338465, 0.0);
    o.method = SPILL_TRACE_EIGEN;
    ex = spill_effects_compute(ctx, &h.f, w, NULL, &o);
    o.method = SPILL_TRACE_MC;
    o.vectors = 200;
    mc = spill_effects_compute(ctx, &h.f, w, NULL, &o);
    CHECK(ex && mc);
    if (ex && mc)
      for (size_t k = 0; k < 2; k++) {
        double err = fabs(mc->e[k].direct.estimate - ex->e[k].direct.estimate);
        double bound = 4 * mc->e[k].direct.mc_se + mc->e[k].direct.trunc;
        CHECK_MSG(err <= bound, "MC direct off by %g, reported bound %g", err, bound);
        CHECK(mc->e[k].direct.mc_se > 0.0);
        CHECK_RELSTRICT(mc->e[k].total.estimate, ex->e[k].total.estimate, 8 * DBL_EPSILON);
      }
    spill_effects_free(ex);
    spill_effects_free(mc);
    o.vectors = 100;
  }
  spill_weights_free(w);
}

/* ---- islands: W not row-stochastic; totals by sparse LU, draws by series ---- */
static void test_islands(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 6, 7, 2);
  static const char *xn[1] = {"did"};
  double b[1] = {0.8}, bse[1] = {0.1}, t[1] = {0.5}, tse[1] = {0.2}, rho = 0.55;
  spill_effects_opts o;
  spill_effects *e;
  spill_traces *tr;
  hand_fit h;
  double dd, dt;
  CHECK(w != NULL);
  if (!w) return;
  hand_init(&h, w->n, 0, 1, xn, b, bse, t, tse, rho, 0.05, -0.3);
  spill_effects_opts_init(&o);
  o.draws = 0;
  dense_effects(w, b[0], t[0], rho, &dd, &dt);
  CHECK(fabs(dt - (b[0] + t[0]) / (1 - rho)) > 1e-3); /* islands do break the closed form */
  for (int method = SPILL_TRACE_EIGEN; method <= SPILL_TRACE_MC; method++) {
    o.method = (spill_trace_method)method;
    e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
    CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
    if (!e) continue;
    CHECK_STR(e->total_method, "sparse LU");
    CHECK_REL(e->e[0].total.estimate, dt, 1e-12);
    if (method == SPILL_TRACE_EIGEN) CHECK_REL(e->e[0].direct.estimate, dd, 1e-12);
    else CHECK(fabs(e->e[0].direct.estimate - dd) <= 4 * e->e[0].direct.mc_se + e->e[0].direct.trunc);
    spill_effects_free(e);
  }
  /* the series for the totals (used by the draws) against the LU value */
  o.method = SPILL_TRACE_MC;
  tr = spill_traces_new(ctx, w, 0.6, &o);
  CHECK(tr != NULL);
  if (tr) {
    spill__tfun f;
    CHECK(spill__traces_eval(tr, rho, &f) == 0);
    CHECK_REL(b[0] * f.b0 + t[0] * f.b1, dt, 1e-9);
    CHECK(f.trunc_total > 0.0 && f.trunc_total <= 1e-10);
    CHECK(spill__traces_eval(tr, 1.2, &f) != 0); /* outside the series' radius */
    CHECK(spill_traces_order(tr) > 2);
    CHECK(spill_traces_values(tr)[0] == 1.0);
    CHECK(spill_traces_se(tr)[1] == 0.0); /* exact low orders */
  }
  spill_traces_free(tr);
  spill_weights_free(w);
}

/* ---- simulation: delta vs simulated SEs, reproducibility, rejection ---- */
static void test_simulation(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 20, 20, 0);
  static const char *xn[2] = {"did", "x1"};
  double b[2] = {0.08, 0.5}, bse[2] = {0.01, 0.02}, t[2] = {0.05, 0.2}, tse[2] = {0.02, 0.04};
  spill_effects_opts o;
  spill_effects *e1, *e2, *e3;
  hand_fit h;
  CHECK(w != NULL);
  if (!w) return;
  hand_init(&h, w->n, 0, 2, xn, b, bse, t, tse, 0.35, 0.02, -0.4);
  spill_effects_opts_init(&o);
  o.draws = 4000;
  o.seed = 42;
  e1 = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  e2 = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  o.seed = 43;
  e3 = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK_MSG(e1 && e2 && e3, "%s", spill_ctx_error(ctx));
  if (e1 && e2 && e3) {
    for (size_t k = 0; k < 2; k++) {
      const spill_effect *a = &e1->e[k];
      const spill_effect_stat *st[3] = {&a->direct, &a->indirect, &a->total};
      for (int q = 0; q < 3; q++) {
        /* SD of 4000 normal draws has relative SE 1/sqrt(2*3999) = 1.1%;
         * allow 4 of those plus 2% for the curvature in rho */
        double rel = fabs(st[q]->sd - st[q]->se_delta) / st[q]->se_delta;
        CHECK_MSG(rel < 0.065, "%s effect %d: simulated SD %g vs delta %g (rel %g)", a->name, q,
                  st[q]->sd, st[q]->se_delta, rel);
        CHECK(fabs(st[q]->mean - st[q]->estimate) < 4 * st[q]->sd / sqrt(4000.0) + 1e-3 * fabs(st[q]->estimate));
        CHECK(st[q]->lo < st[q]->estimate && st[q]->estimate < st[q]->hi);
      }
      printf("sim %s: direct sd %.6g delta %.6g; indirect sd %.6g delta %.6g; total sd %.6g delta %.6g\n",
             a->name, a->direct.sd, a->direct.se_delta, a->indirect.sd, a->indirect.se_delta,
             a->total.sd, a->total.se_delta);
    }
    CHECK_EQ_INT(e1->accepted, 4000);
    CHECK(e1->e[0].direct.sd == e2->e[0].direct.sd);     /* same seed, same draws */
    CHECK(e1->e[1].total.lo == e2->e[1].total.lo);
    CHECK(e1->e[0].direct.sd != e3->e[0].direct.sd);     /* another seed, other draws */
    CHECK_EQ_INT(e1->rejected, 0);
  }
  spill_effects_free(e1);
  spill_effects_free(e2);
  spill_effects_free(e3);
  /* rho near its upper bound: draws past it are rejected and counted */
  hand_init(&h, w->n, 0, 2, xn, b, bse, t, tse, 0.95, 0.03, 0.0);
  o.draws = 1000;
  e1 = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK_MSG(e1 != NULL, "%s", spill_ctx_error(ctx));
  if (e1) {
    CHECK(e1->rejected > 20 && e1->rejected < 100); /* P(rho > 1) = 4.8% */
    CHECK_EQ_INT(e1->accepted, 1000);
    printf("rho 0.95 (se 0.03): %d draws rejected for 1000 kept\n", e1->rejected);
  }
  spill_effects_free(e1);
  /* a vcov that is not positive definite is an error, not a crash */
  hand_init(&h, w->n, 0, 2, xn, b, bse, t, tse, 0.35, 0.02, 0.0);
  h.vcov[0] = -1.0;
  e1 = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK(e1 == NULL);
  CHECK(strstr(spill_ctx_error(ctx), "positive definite") != NULL);
  spill_effects_free(e1);
  spill_weights_free(w);
}

/* ---- per-city effects ---- */
static void test_city(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 7, 8, 1);
  static const char *xn[1] = {"did"};
  double b[1] = {0.3}, bse[1] = {0.05}, t[1] = {0.2}, tse[1] = {0.06}, rho = 0.45;
  double *d = calloc((size_t)w->n, sizeof *d), *s, sum = 0.0, avg_total_n = 0.0, own_sent = 0.0;
  spill_effects_opts o;
  spill_city_effects *c;
  hand_fit h;
  int64_t n = w->n;
  for (int64_t i = 0; i < n; i += 5) d[i] = 1.0;
  d[n - 1] = 1.0; /* the island is a pilot */
  hand_init(&h, n, 0, 1, xn, b, bse, t, tse, rho, 0.04, -0.2);
  spill_effects_opts_init(&o);
  o.draws = 500;
  c = spill_city_effects_compute(ctx, &h.f, w, d, &o);
  CHECK_MSG(c != NULL, "%s", spill_ctx_error(ctx));
  s = dense_s(w, b[0], t[0], rho);
  if (c) {
    for (int64_t i = 0; i < n; i++) {
      double sd = 0.0, col = 0.0;
      for (int64_t j = 0; j < n; j++) {
        sd += s[i * n + j] * d[j];
        col += s[j * n + i];
      }
      CHECK_REL(c->total[i], sd, 1e-12);
      CHECK_REL(c->own[i], s[i * n + i] * d[i], 1e-12);
      CHECK_REL(c->received[i], sd - s[i * n + i] * d[i], 1e-12);
      CHECK_REL(c->sent[i], (col - s[i * n + i]) * d[i], 1e-12);
      sum += c->total[i];
      own_sent += c->own[i] + c->sent[i];
      if (d[i] != 0.0) {
        CHECK(c->own_lo[i] < c->own[i] && c->own[i] < c->own_hi[i]);
        CHECK(c->sent_lo[i] <= c->sent[i] && c->sent[i] <= c->sent_hi[i]);
      } else {
        CHECK(c->own[i] == 0.0 && c->sent[i] == 0.0);
      }
      CHECK(c->total_lo[i] <= c->total[i] + 1e-12 && c->total[i] <= c->total_hi[i] + 1e-12);
    }
    /* N times the average total effect of the pilot set: 1'S d */
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) avg_total_n += s[i * n + j] * d[j];
    CHECK_REL(sum, avg_total_n, 1e-12);
    CHECK_REL(own_sent, avg_total_n, 1e-12);
    CHECK_REL(c->sum_total, avg_total_n, 1e-12);
    CHECK_EQ_INT(c->accepted, 500);
    {
      char path[1024];
      FILE *f;
      char line[512];
      snprintf(path, sizeof path, "%s/city.csv", SPILL_TEST_TMP);
      CHECK(spill_city_effects_write_csv(ctx, c, path) == 0);
      f = fopen(path, "r");
      CHECK(f != NULL);
      if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL);
        CHECK(strncmp(line, "id,pilot,own,own_lo,own_hi,received", 35) == 0);
        CHECK(fgets(line, sizeof line, f) != NULL);
        CHECK(strncmp(line, "1,1,", 4) == 0);
        fclose(f);
      }
    }
  }
  spill_city_effects_free(c);
  /* the invariant with a fit read from a panel */
  {
    spill_panel *p = spill_panel_new(ctx, n, 2, (const char *const *)w->ids, NULL, 0, 1);
    CHECK(p != NULL);
    if (p) {
      /* panel ids reversed against W */
      for (int64_t i = 0; i < n; i++) {
        free(p->ids[i]);
        p->ids[i] = strdup(w->ids[n - 1 - i]);
        p->d[n + i] = d[n - 1 - i];
      }
      o.draws = 0;
      c = spill_city_effects_from_panel(ctx, &h.f, w, p, INT64_MIN, &o);
      CHECK_MSG(c != NULL, "%s", spill_ctx_error(ctx));
      if (c) {
        CHECK_REL(c->sum_total, avg_total_n, 1e-12);
        CHECK_EQ_INT(c->period, 2);
      }
      spill_city_effects_free(c);
      c = spill_city_effects_from_panel(ctx, &h.f, w, p, 1999, &o);
      CHECK(c == NULL);
      CHECK(strstr(spill_ctx_error(ctx), "1999") != NULL);
      spill_panel_free(p);
    }
  }
  free(s);
  free(d);
  spill_weights_free(w);
}

/* ---- china_counties: exact against Monte Carlo traces ---- */
static void test_counties(spill_ctx *ctx)
{
  char buf[1024];
  const char *path = check_shared("refs/china_counties_queen.gal", buf, sizeof buf);
  static const char *xn[1] = {"did"};
  double b[1] = {0.08}, bse[1] = {0.01}, t[1] = {0.05}, tse[1] = {0.02};
  spill_weights *w;
  spill_effects_opts o;
  hand_fit h;
  spill_effects *ex, *mc;
  if (!path) return;
  w = spill_weights_read(ctx, path, SPILL_WFMT_GAL);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (!w) return;
  CHECK(spill_weights_transform(ctx, w, 'W') == 0);
  for (int rep = 0; rep < 2; rep++) {
  double rho = rep ? 0.8 : 0.35;
  hand_init(&h, w->n, 0, 1, xn, b, bse, t, tse, rho, 0.02, -0.3);
  spill_effects_opts_init(&o);
  o.draws = 0;
  o.method = SPILL_TRACE_EIGEN;
  ex = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  o.method = SPILL_TRACE_MC;
  mc = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK_MSG(ex && mc, "%s", spill_ctx_error(ctx));
  if (ex && mc) {
    const spill_effect_stat *a[2] = {&ex->e[0].direct, &ex->e[0].indirect};
    const spill_effect_stat *m[2] = {&mc->e[0].direct, &mc->e[0].indirect};
    for (int q = 0; q < 2; q++) {
      double err = fabs(m[q]->estimate - a[q]->estimate), bound = 4 * m[q]->mc_se + m[q]->trunc;
      CHECK_MSG(err <= bound, "counties %s: MC %.10g exact %.10g, off %g > bound %g",
                q ? "indirect" : "direct", m[q]->estimate, a[q]->estimate, err, bound);
      printf("china_counties rho %.2f %s: exact %.10f MC %.10f (diff %.2e, MC SE %.2e, J = %d, "
             "truncation <= %.1e)\n", rho, q ? "indirect" : "direct", a[q]->estimate, m[q]->estimate,
             err, m[q]->mc_se, mc->order, m[q]->trunc);
    }
    /* 4 islands: the total is not (beta + theta)/(1 - rho) but LU agrees both ways */
    CHECK_RELSTRICT(mc->e[0].total.estimate, ex->e[0].total.estimate, 1e-13);
    CHECK(fabs(ex->e[0].total.estimate - (b[0] + t[0]) / (1 - rho)) > 1e-6);
  }
  spill_effects_free(ex);
  spill_effects_free(mc);
  }
  spill_weights_free(w);
}

/* ---- reports and writers ---- */
static int file_has(const char *path, const char *needle)
{
  FILE *f = fopen(path, "r");
  char *buf;
  long len;
  int found;
  if (!f) return 0;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  rewind(f);
  buf = calloc((size_t)len + 1, 1);
  len = (long)fread(buf, 1, (size_t)len, f);
  fclose(f);
  found = strstr(buf, needle) != NULL;
  free(buf);
  return found;
}

static void test_reports(spill_ctx *ctx)
{
  spill_weights *w1 = lattice(ctx, 10, 10, 0), *w2 = lattice(ctx, 5, 20, 0);
  static const char *xn[2] = {"did", "x_1"};
  double b[2] = {0.08, 0.5}, bse[2] = {0.01, 0.02}, t[2] = {0.05, 0.2}, tse[2] = {0.02, 0.04};
  spill_effects_opts o;
  spill_effects *e1, *e2;
  spill_multiw *r;
  hand_fit h1, h2;
  const char *dir = SPILL_TEST_TMP;
  char path[1024];
  hand_init(&h1, 100, 0, 2, xn, b, bse, t, tse, 0.35, 0.04, 0.0);
  hand_init(&h2, 100, 0, 2, xn, b, bse, t, tse, 0.25, 0.05, 0.0);
  h1.f.t = h2.f.t = 12;
  spill_effects_opts_init(&o);
  o.draws = 200;
  e1 = spill_effects_compute(ctx, &h1.f, w1, NULL, &o);
  e2 = spill_effects_compute(ctx, &h2.f, w2, NULL, &o);
  r = spill_multiw_new(ctx);
  CHECK(e1 && e2 && r);
  if (!e1 || !e2 || !r) goto done;
  CHECK(spill_multiw_add(ctx, r, "rook 10x10", &h1.f, e1, NULL) == 0);
  CHECK(spill_multiw_add(ctx, r, "rook 5x20", &h2.f, e2, "did") == 0);
  CHECK(spill_multiw_add(ctx, r, "bad", &h2.f, e2, "nosuch") != 0);
  CHECK(strstr(spill_ctx_error(ctx), "nosuch") != NULL);
  CHECK_EQ_INT(r->count, 2);
  CHECK_STR(r->col[0].regressor, "did");
  CHECK(r->col[0].direct.estimate == e1->e[0].direct.estimate);
  snprintf(path, sizeof path, "%s/t8.txt", dir);
  CHECK(spill_multiw_save(ctx, r, path, SPILL_TABLE_TEXT) == 0);
  CHECK(file_has(path, "Indirect"));
  CHECK(file_has(path, "rook 5x20"));
  CHECK(file_has(path, "R-squared"));
  CHECK(file_has(path, "1200"));
  spill_multiw_print(ctx, r, stdout, SPILL_TABLE_TEXT);
  snprintf(path, sizeof path, "%s/t8.csv", dir);
  CHECK(spill_multiw_save(ctx, r, path, SPILL_TABLE_CSV) == 0);
  CHECK(file_has(path, "statistic,rook 10x10,rook 5x20\n"));
  CHECK(file_has(path, "\nindirect_se,"));
  snprintf(path, sizeof path, "%s/t8.tex", dir);
  CHECK(spill_multiw_save(ctx, r, path, SPILL_TABLE_LATEX) == 0);
  CHECK(file_has(path, "\\toprule"));
  CHECK(file_has(path, "\\bottomrule"));
  CHECK(file_has(path, "$\\rho$"));
  snprintf(path, sizeof path, "%s/t8.json", dir);
  CHECK(spill_multiw_save(ctx, r, path, SPILL_TABLE_JSON) == 0);
  CHECK(file_has(path, "[{\"w\":\"rook 10x10\",\"name\":\"did\",\"direct\":{\"estimate\":"));
  /* one fit's table */
  snprintf(path, sizeof path, "%s/e.json", dir);
  CHECK(spill_effects_save(ctx, e1, path, SPILL_TABLE_JSON) == 0);
  CHECK(file_has(path, "[{\"name\":\"did\",\"direct\":{\"estimate\":"));
  CHECK(file_has(path, "\"indirect\":{\"estimate\":"));
  snprintf(path, sizeof path, "%s/e.tex", dir);
  CHECK(spill_effects_save(ctx, e1, path, SPILL_TABLE_LATEX) == 0);
  CHECK(file_has(path, "x\\_1"));
  snprintf(path, sizeof path, "%s/e.csv", dir);
  CHECK(spill_effects_save(ctx, e1, path, SPILL_TABLE_CSV) == 0);
  CHECK(file_has(path, "x_1,indirect,"));
  snprintf(path, sizeof path, "%s/no/such/dir/e.csv", dir);
  CHECK(spill_effects_save(ctx, e1, path, SPILL_TABLE_CSV) != 0);
  CHECK(strstr(spill_ctx_error(ctx), "no/such/dir") != NULL);
  spill_effects_print(ctx, e1, stdout, SPILL_TABLE_TEXT);
  /* a W of the wrong size is refused with a message */
  h1.f.n = 99;
  CHECK(spill_effects_compute(ctx, &h1.f, w1, NULL, &o) == NULL);
  CHECK(strstr(spill_ctx_error(ctx), "99 units") != NULL);
  h1.f.n = 100;
  /* traces computed once and reused; traces of another W are refused */
  {
    spill_traces *tr = spill_traces_new(ctx, w1, 0.6, &o), *tr2 = NULL;
    spill_weights *w3 = lattice(ctx, 3, 3, 0);
    spill_effects *e3;
    CHECK(tr != NULL);
    o.draws = 0;
    e3 = spill_effects_compute(ctx, &h1.f, w1, tr, &o);
    CHECK(e3 && e3->e[0].direct.estimate == e1->e[0].direct.estimate);
    if (e3) {
      char tpath[1024], want[128];
      const spill_effect_stat *st = &e3->e[0].direct;
      snprintf(tpath, sizeof tpath, "%s/nodraws.txt", dir);
      CHECK(spill_effects_save(ctx, e3, tpath, SPILL_TABLE_TEXT) == 0);
      CHECK(file_has(tpath, "delta-method SEs, normal 95% intervals"));
      snprintf(want, sizeof want, "%11.5g", st->estimate - 1.959963984540054 * st->se_delta);
      CHECK_MSG(file_has(tpath, want), "normal interval %s not in the table", want);
      CHECK(isnan(st->sd) && isnan(st->lo));
    }
    spill_effects_free(e3);
    tr2 = spill_traces_new(ctx, w3, 0.6, &o);
    CHECK(spill_effects_compute(ctx, &h1.f, w1, tr2, &o) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "9-unit") != NULL);
    spill_traces_free(tr);
    spill_traces_free(tr2);
    spill_weights_free(w3);
    /* options not from spill_effects_opts_init: a clear error */
    o.max_order = 0;
    CHECK(spill_effects_compute(ctx, &h1.f, w1, NULL, &o) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "max_order") != NULL);
    spill_effects_opts_init(&o);
  }
done:
  spill_multiw_free(r);
  spill_effects_free(e1);
  spill_effects_free(e2);
  spill_weights_free(w1);
  spill_weights_free(w2);
}


/* ---- end to end: a simulated SDM-DID panel fitted by spill_fit_model ---- */
static void test_end_to_end(spill_ctx *ctx)
{
  spill_weights *w = lattice(ctx, 20, 20, 0);
  spill_sim_opts so;
  spill_fit_opts fo;
  spill_panel *p = NULL;
  spill_fit *fit = NULL;
  spill_effects *e = NULL, *truth = NULL;
  spill_effects_opts o;
  static const char *xn[1] = {"did"};
  double b[1], bse[1] = {1}, t[1], tse[1] = {1};
  hand_fit h;
  CHECK(w != NULL);
  if (!w) return;
  spill_sim_opts_init(&so);
  p = spill_simulate_did(ctx, w, &so, NULL);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) goto done;
  spill_fit_opts_init(&fo);
  fit = spill_fit_model(ctx, p, w, &fo);
  CHECK_MSG(fit != NULL, "%s", spill_ctx_error(ctx));
  if (!fit) goto done;
  spill_effects_opts_init(&o);
  o.draws = 4000;
  o.seed = 2013;
  e = spill_effects_compute(ctx, fit, w, NULL, &o);
  CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
  /* the true effects from the simulation's parameters */
  b[0] = so.beta;
  t[0] = so.theta;
  hand_init(&h, w->n, 0, 1, xn, b, bse, t, tse, so.rho, 0.1, 0.0);
  o.draws = 0;
  truth = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK(truth != NULL);
  if (e && truth) {
    const spill_effect *ed = &e->e[0];
    const spill_effect_stat *st[3] = {&ed->direct, &ed->indirect, &ed->total};
    const spill_effect_stat *tr[3] = {&truth->e[0].direct, &truth->e[0].indirect, &truth->e[0].total};
    CHECK_STR(ed->name, fit->names[fit->treat]);
    CHECK(ed->wcoef >= 0);
    for (int q = 0; q < 3; q++) {
      double rel = fabs(st[q]->sd - st[q]->se_delta) / st[q]->se_delta;
      CHECK_MSG(rel < 0.065, "effect %d: simulated SD %g vs delta %g", q, st[q]->sd, st[q]->se_delta);
      CHECK_MSG(fabs(st[q]->estimate - tr[q]->estimate) < 4 * st[q]->sd,
                "effect %d: estimate %g, truth %g, sd %g", q, st[q]->estimate, tr[q]->estimate, st[q]->sd);
      printf("simulated panel (n=400, T=12) effect %d: estimate %.5f (truth %.5f), sim SD %.5f, delta SE %.5f\n",
             q, st[q]->estimate, tr[q]->estimate, st[q]->sd, st[q]->se_delta);
    }
    /* the fit's JSON with the effects list */
    {
      char path[1024];
      FILE *f;
      snprintf(path, sizeof path, "%s/fit.json", SPILL_TEST_TMP);
      f = fopen(path, "w");
      CHECK(f && spill_fit_write_json_effects(ctx, fit, e, f) == 0);
      if (f) fclose(f);
      CHECK(file_has(path, "\"effects\": [{\"name\":\"did\",\"direct\":{\"estimate\":"));
      CHECK(file_has(path, "\"coefficients\""));
    }
    /* per-city effects from the panel at the last period: the invariant */
    {
      spill_city_effects *c;
      double sum = 0.0;
      o.draws = 200;
      c = spill_city_effects_from_panel(ctx, fit, w, p, INT64_MIN, &o);
      CHECK_MSG(c != NULL, "%s", spill_ctx_error(ctx));
      if (c) {
        double by_col = 0.0;
        for (int64_t i = 0; i < c->n; i++) {
          sum += c->own[i] + c->received[i]; /* row sums of S d */
          by_col += c->own[i] + c->sent[i];  /* column sums of S times d */
        }
        /* both are 1'S d: N times the average total effect of the pilot set */
        CHECK_REL(sum, by_col, 1e-12);
        CHECK_REL(c->sum_total, sum, 1e-12);
        CHECK(c->period == p->times[p->t - 1]);
      }
      spill_city_effects_free(c);
    }
  }
done:
  spill_effects_free(e);
  spill_effects_free(truth);
  spill_fit_free(fit);
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- an asymmetric W (complex spectrum), a weighted symmetric one, SLX ---- */
static void test_other_w(spill_ctx *ctx)
{
  int64_t n = 60, nt = 0, ti[400], tj[400];
  double tx[400];
  static const char *xn[1] = {"did"};
  double b[1] = {0.7}, bse[1] = {0.1}, t[1] = {-0.4}, tse[1] = {0.2}, dd, dt;
  spill_effects_opts o;
  spill_effects *e;
  spill_weights *w;
  hand_fit h;
  spill_rng rng;
  spill_rng_seed(&rng, 5);
  /* directed: each unit points to the next two on a ring and one random unit */
  for (int64_t i = 0; i < n; i++) {
    int64_t r = (int64_t)(spill_rng_uniform(&rng) * (double)n);
    ti[nt] = i, tj[nt] = (i + 1) % n, tx[nt++] = 1.0;
    ti[nt] = i, tj[nt] = (i + 2) % n, tx[nt++] = 2.0;
    if (r != i && r != (i + 1) % n && r != (i + 2) % n) ti[nt] = i, tj[nt] = r, tx[nt++] = 0.5;
  }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, tx);
  CHECK(w && spill_weights_transform(ctx, w, 'W') == 0);
  if (!w) return;
  spill_effects_opts_init(&o);
  o.draws = 0;
  hand_init(&h, n, 0, 1, xn, b, bse, t, tse, -0.6, 0.05, 0.0);
  dense_effects(w, b[0], t[0], -0.6, &dd, &dt);
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o); /* auto: dgeev, complex eigenvalues */
  CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
  if (e) {
    CHECK(strstr(e->method_name, "complex") != NULL);
    CHECK_REL(e->e[0].direct.estimate, dd, 1e-12);
    CHECK_RELSTRICT(e->e[0].total.estimate, dt, 1e-12);
  }
  spill_effects_free(e);
  o.method = SPILL_TRACE_MC;
  o.vectors = 400;
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK(e != NULL);
  if (e) CHECK(fabs(e->e[0].direct.estimate - dd) <= 4 * e->e[0].direct.mc_se + e->e[0].direct.trunc);
  spill_effects_free(e);
  spill_weights_free(w);
  /* symmetric weights with unequal values, row-standardised: W = D^-1 B */
  nt = 0;
  for (int64_t i = 0; i < n; i++)
    for (int k = 1; k <= 3; k++) {
      int64_t j = (i + k) % n;
      double v = 1.0 / (1.0 + (double)((i * 7 + j * 7) % 5)); /* symmetric in i, j */
      ti[nt] = i, tj[nt] = j, tx[nt++] = v;
      ti[nt] = j, tj[nt] = i, tx[nt++] = v;
    }
  w = spill_weights_from_triplets(ctx, n, NULL, nt, ti, tj, tx);
  CHECK(w && spill_weights_transform(ctx, w, 'W') == 0);
  if (!w) return;
  o.method = SPILL_TRACE_AUTO;
  hand_init(&h, n, 0, 1, xn, b, bse, t, tse, 0.8, 0.05, 0.0);
  dense_effects(w, b[0], t[0], 0.8, &dd, &dt);
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK(e != NULL);
  if (e) {
    CHECK(strstr(e->method_name, "real") != NULL); /* found similar to symmetric */
    CHECK_REL(e->e[0].direct.estimate, dd, 1e-12);
    CHECK_REL(e->e[0].total.estimate, dt, 1e-12);
  }
  spill_effects_free(e);
  /* SLX: no rho, S = beta I + theta W */
  hand_init(&h, n, 0, 1, xn, b, bse, t, tse, 0.0, 0.0, 0.0);
  h.f.has_rho = 0;
  h.f.nv = 2;
  h.vcov[0] = bse[0] * bse[0];
  h.vcov[1] = h.vcov[2] = 0.0;
  h.vcov[3] = tse[0] * tse[0];
  o.draws = 2000;
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
  if (e) {
    CHECK_REL(e->e[0].direct.estimate, b[0], 1e-15);
    CHECK_REL(e->e[0].total.estimate, b[0] + t[0], 1e-15);
    CHECK_REL(e->e[0].indirect.se_delta, tse[0], 1e-15);
    CHECK(fabs(e->e[0].indirect.sd - tse[0]) < 0.1 * tse[0]);
  }
  spill_effects_free(e);
  /* SEM: lambda is in the errors, so the effects are beta with no spillover */
  hand_init(&h, n, 0, 1, xn, b, bse, NULL, NULL, 0.5, 0.05, 0.0);
  h.f.model = SPILL_MODEL_SEM;
  e = spill_effects_compute(ctx, &h.f, w, NULL, &o);
  CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
  if (e) {
    CHECK_REL(e->e[0].direct.estimate, b[0], 1e-15);
    CHECK(e->e[0].indirect.estimate == 0.0);
    CHECK_REL(e->e[0].total.se_delta, bse[0], 1e-15);
  }
  spill_effects_free(e);
  spill_weights_free(w);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  if (!ctx) return 1;
  check_tmpdir();
  test_columbus(ctx);
  test_islands(ctx);
  test_other_w(ctx);
  test_simulation(ctx);
  test_city(ctx);
  test_reports(ctx);
  test_counties(ctx);
  test_end_to_end(ctx);
  spill_ctx_free(ctx);
  return check_done("test_effects");
}

/* Estimation against splm (Produc/usaww), spatialreg (Columbus), simulated
 * SDM-DID panels with known parameters, and agreement of the three
 * log-determinant methods. */
#include <shapefil.h>
#include "check.h"
#include "spill.h"
#include "estimation/estimation.h"

/* ---- Produc / usaww against splm 1.6-5 (refs/README.md) ---- */
static void produc(spill_ctx *ctx)
{
  char wp[512], pp[512];
  const char *xs[] = {"pcap", "pc", "emp", "unemp"};
  spill_panel_spec sp = {"state", "year", "gsp", NULL, NULL, xs, 4, 0};
  spill_weights *w;
  spill_panel *p;
  spill_fit_opts o;
  spill_fit *f;
  if (!check_shared("data/usaww.csv", wp, sizeof wp) || !check_shared("data/produc.csv", pp, sizeof pp)) return;
  w = spill_weights_read(ctx, wp, SPILL_WFMT_DENSE);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  p = spill_panel_read_csv(ctx, pp, &sp);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!w || !p) goto done;
  CHECK(spill_weights_transform(ctx, w, 'W') == SPILL_OK);
  /* the model is in logs: lgsp on lpcap, lpc, lemp, unemp */
  for (int64_t q = 0; q < p->n * p->t; q++) {
    p->y[q] = log(p->y[q]);
    for (int k = 0; k < 3; k++) p->x[k * p->n * p->t + q] = log(p->x[k * p->n * p->t + q]);
  }
  CHECK(spill_panel_align(ctx, p, w) == SPILL_OK);
  spill_fit_opts_init(&o);
  /* two-way SDM, splm's convention W (Q y) */
  o.splm_wy = 1;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (f) {
    static const double b[8] = {-0.009657931113, 0.159436950931, 0.750628149786, -0.001463314728,
                                -0.061959810157, 0.017610221458, -0.279400175962, -0.003160902893};
    static const double se[8] = {0.025269613436, 0.025618749286, 0.028837134182, 0.001233437939,
                                 0.046321068452, 0.045857639090, 0.051864973376, 0.001872675209};
    double worst = 0, worst_se = 0;
    CHECK_RELSTRICT(f->rho, 0.368846209590, 1e-6);
    CHECK_RELSTRICT(f->rho_se, 0.040412006905, 1e-4);
    CHECK_RELSTRICT(f->sigma2, 0.0009192227, 1e-6);
    CHECK_RELSTRICT(f->loglik, 1680.474, 1e-6);
    for (int j = 0; j < 8; j++) {
      CHECK_RELSTRICT(f->coef[j], b[j], 1e-6);
      CHECK_RELSTRICT(f->se[j], se[j], 1e-4);
      worst = fmax(worst, fabs(f->coef[j] - b[j]) / fabs(b[j]));
      worst_se = fmax(worst_se, fabs(f->se[j] - se[j]) / se[j]);
    }
    printf("produc two-way SDM vs splm: rho rel %.2g, coef max rel %.2g, se max rel %.2g, rho se rel %.2g\n",
           fabs(f->rho - 0.368846209590) / 0.368846209590, worst, worst_se,
           fabs(f->rho_se - 0.040412006905) / 0.040412006905);
    CHECK(f->lr_sar > 0 && f->lr_sar_p < 0.01 && f->wald_sar > 0);
    /* Wald of theta = 0 recomputed independently: theta' V_tt^-1 theta with
     * V_tt the 4 x 4 block of the W terms, solved by Gauss-Jordan here */
    {
      double a[4][5];
      for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) a[r][c] = f->vcov[(size_t)(4 + r) * f->nv + (size_t)(4 + c)];
        a[r][4] = f->coef[4 + r];
      }
      for (int piv = 0; piv < 4; piv++)
        for (int r = 0; r < 4; r++)
          if (r != piv) {
            double m = a[r][piv] / a[piv][piv];
            for (int c = 0; c < 5; c++) a[r][c] -= m * a[piv][c];
          }
      double wald = 0;
      for (int r = 0; r < 4; r++) wald += f->coef[4 + r] * a[r][4] / a[r][r];
      CHECK_RELSTRICT(f->wald_sar, wald, 1e-10);
    }
  }
  spill_fit_free(f);
  /* default convention Q (W y): a different (exact-transform) estimate */
  o.splm_wy = 0;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK(f && fabs(f->rho - 0.368846209590) > 1e-4 && fabs(f->rho - 0.3701681724) < 1e-8);
  spill_fit_free(f);
  /* unit effects SDM: splm and xsmle */
  o.fe = SPILL_FE_UNIT;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK(f != NULL);
  if (f) {
    static const double b[8] = {-0.0121364, 0.1771887, 0.7432466, -0.0015225,
                                -0.0584962, 0.0626288, -0.4102555, -0.0036405};
    CHECK_RELSTRICT(f->rho, 0.493304, 1e-6 + 5e-7 / 0.493304);
    for (int j = 0; j < 8; j++) CHECK_RELSTRICT(f->coef[j], b[j], 0.5e-7 / fabs(b[j]) + 1e-6);
    CHECK_RELSTRICT(f->sigma2, 0.00094789, 1e-5);
    CHECK_RELSTRICT(f->loglik, 1655.0190, 1e-7);
    printf("produc unit SDM: rho %.7f (splm 0.493304), logLik %.4f (1655.0190)\n", f->rho, f->loglik);
  }
  spill_fit_free(f);
  /* unit effects SAR: splm's SE 0.0235164 (xsmle's 0.0210851 differs by convention) */
  o.model = SPILL_MODEL_SAR;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK(f != NULL);
  if (f) {
    CHECK_RELSTRICT(f->rho, 0.2746887, 0.5e-7 / 0.2746887 + 1e-7);
    CHECK_RELSTRICT(f->rho_se, 0.0235164, 0.5e-7 / 0.0235164 + 1e-6);
    printf("produc unit SAR: rho %.8f se %.8f (splm 0.2746887, 0.0235164)\n", f->rho, f->rho_se);
  }
  spill_fit_free(f);
  /* OLS TWFE: cluster SEs are finite and differ from conventional */
  o.model = SPILL_MODEL_OLS;
  o.fe = SPILL_FE_TWOWAYS;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK(f && f->se_conv && f->se[0] > 0 && f->se[0] != f->se_conv[0]);
  spill_fit_free(f);
done:
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- Columbus cross-section against spatialreg 1.2-6 ---- */
static void columbus(spill_ctx *ctx)
{
  char gp[512], dp[512];
  spill_weights *w;
  spill_panel *p = NULL;
  DBFHandle dbf;
  spill_fit_opts o;
  spill_fit *f;
  if (!check_shared("refs/columbus_queen.gal", gp, sizeof gp) || !check_shared("data/columbus.dbf", dp, sizeof dp)) return;
  w = spill_weights_read(ctx, gp, SPILL_WFMT_GAL);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  dbf = DBFOpen(dp, "rb");
  CHECK(dbf != NULL);
  if (!w || !dbf) goto done;
  spill_weights_transform(ctx, w, 'W');
  p = spill_panel_new(ctx, 49, 1, NULL, NULL, 2, 0);
  {
    int fc = DBFGetFieldIndex(dbf, "CRIME"), fi = DBFGetFieldIndex(dbf, "INC"), fh = DBFGetFieldIndex(dbf, "HOVAL");
    for (int i = 0; i < 49; i++) {
      p->y[i] = DBFReadDoubleAttribute(dbf, i, fc);
      p->x[i] = DBFReadDoubleAttribute(dbf, i, fi);
      p->x[49 + i] = DBFReadDoubleAttribute(dbf, i, fh);
    }
  }
  free(p->x_names[0]);
  free(p->x_names[1]);
  p->x_names[0] = strdup("INC");
  p->x_names[1] = strdup("HOVAL");
  CHECK(spill_panel_align(ctx, p, w) == SPILL_OK);
  spill_fit_opts_init(&o);
  o.fe = SPILL_FE_NONE;
  o.model = SPILL_MODEL_SAR;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (f) {
    static const double b[3] = {45.6032483788, -1.0487281513, -0.2663348082};
    static const double se[3] = {7.2574038607, 0.3074059162, 0.0890962908};
    double worst = 0;
    CHECK_RELSTRICT(f->rho, 0.4233254289, 1e-6);
    CHECK_RELSTRICT(f->rho_se, 0.1195104448, 1e-6);
    CHECK_RELSTRICT(f->sigma2, 96.8571811215, 1e-6);
    CHECK_RELSTRICT(f->loglik, -182.6739720101, 1e-6);
    for (int j = 0; j < 3; j++) {
      CHECK_RELSTRICT(f->coef[j], b[j], 1e-6);
      CHECK_RELSTRICT(f->se[j], se[j], 1e-6);
      worst = fmax(worst, fmax(fabs(f->coef[j] - b[j]) / fabs(b[j]), fabs(f->se[j] - se[j]) / se[j]));
    }
    printf("columbus SAR vs spatialreg: rho rel %.2g, rho se rel %.2g, coef/se max rel %.2g\n",
           fabs(f->rho - 0.4233254289) / 0.4233254289, fabs(f->rho_se - 0.1195104448) / 0.1195104448, worst);
  }
  spill_fit_free(f);
  o.model = SPILL_MODEL_SDM;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK(f != NULL);
  if (f) {
    static const double b[5] = {44.3200029114, -0.9199061085, -0.2971293633, -0.5839132598, 0.2576843216};
    static const double se[5] = {13.04547388126, 0.33474190910, 0.09041590307, 0.57422449609, 0.18723486607};
    double worst = 0;
    CHECK_RELSTRICT(f->rho, 0.4034626177, 1e-6);
    CHECK_RELSTRICT(f->rho_se, 0.1613338465, 1e-6);
    CHECK_RELSTRICT(f->sigma2, 93.2722403262, 1e-6);
    CHECK_RELSTRICT(f->loglik, -181.6392544404, 1e-6);
    for (int j = 0; j < 5; j++) {
      CHECK_RELSTRICT(f->coef[j], b[j], 1e-6);
      CHECK_RELSTRICT(f->se[j], se[j], 1e-6);
      worst = fmax(worst, fmax(fabs(f->coef[j] - b[j]) / fabs(b[j]), fabs(f->se[j] - se[j]) / se[j]));
    }
    printf("columbus SDM vs spatialreg: rho rel %.2g, rho se rel %.2g, coef/se max rel %.2g\n",
           fabs(f->rho - 0.4034626177) / 0.4034626177, fabs(f->rho_se - 0.1613338465) / 0.1613338465, worst);
  }
  spill_fit_free(f);
done:
  if (dbf) DBFClose(dbf);
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- simulation ---- */

/* m x m rook lattice, row-standardised (similar to symmetric). */
static spill_weights *lattice(spill_ctx *ctx, int m)
{
  spill_weights *w = spill_weights_lattice(ctx, m, m, 0);
  if (w) spill_weights_transform(ctx, w, 'W');
  return w;
}

/* y_t = (I - rho W)^-1 (b_t) by the Neumann series y = b + rho W y. */
static void reduced_form(const spill_weights *w, double rho, const double *b, double *y)
{
  int64_t n = w->n;
  double *tmp = malloc(n * sizeof *tmp);
  memcpy(y, b, n * sizeof *y);
  for (int it = 0; it < 200; it++) {
    for (int64_t i = 0; i < n; i++) {
      double s = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) s += w->x[q] * y[w->j[q]];
      tmp[i] = b[i] + rho * s;
    }
    memcpy(y, tmp, n * sizeof *y);
  }
  free(tmp);
}

/* SDM-DID with two-way effects, staggered adoption 2013/2014/2017 over 2011-2018. */
static spill_panel *simulate(spill_ctx *ctx, const spill_weights *w, spill_rng *rng, const double truth[5])
{
  int64_t n = w->n, t = 8, times[8];
  spill_panel *p;
  double *b = malloc(n * sizeof *b), *wd = malloc(n * sizeof *wd), *wx = malloc(n * sizeof *wx);
  double *mu = malloc(n * sizeof *mu), *yy = malloc(n * sizeof *yy);
  int64_t *adopt = malloc(n * sizeof *adopt);
  for (int s = 0; s < 8; s++) times[s] = 2011 + s;
  p = spill_panel_new(ctx, n, t, (const char *const *)w->ids, times, 1, 1);
  for (int64_t i = 0; i < n; i++) {
    double u = spill_rng_uniform(rng);
    adopt[i] = u < 0.2 ? 2013 : u < 0.4 ? 2014 : u < 0.6 ? 2017 : 0;
    mu[i] = spill_rng_normal(rng);
  }
  for (int s = 0; s < t; s++) {
    double alpha = 0.5 * spill_rng_normal(rng);
    double *d = p->d + s * n, *x = p->x + s * n;
    for (int64_t i = 0; i < n; i++) {
      d[i] = adopt[i] && times[s] >= adopt[i] ? 1.0 : 0.0;
      x[i] = spill_rng_normal(rng) + 0.3 * mu[i];
    }
    spill__wlag(w, d, 1, wd);
    spill__wlag(w, x, 1, wx);
    for (int64_t i = 0; i < n; i++)
      b[i] = truth[1] * d[i] + truth[2] * x[i] + truth[3] * wd[i] + truth[4] * wx[i] + mu[i] + alpha +
             spill_rng_normal(rng);
    reduced_form(w, truth[0], b, yy);
    memcpy(p->y + s * n, yy, n * sizeof *yy);
  }
  free(b);
  free(wd);
  free(wx);
  free(mu);
  free(yy);
  free(adopt);
  return p;
}

static void simulation(spill_ctx *ctx)
{
  const double truth[5] = {0.4, 1.0, 0.8, 0.5, -0.3}; /* rho, did, x1, W*did, W*x1 */
  spill_weights *w = lattice(ctx, 15);                  /* n = 225 */
  spill_rng rng;
  enum { R = 30 };
  double est[R][5], se[R][5];
  spill_fit_opts o;
  spill_rng_seed(&rng, 20240601);
  spill_fit_opts_init(&o);
  for (int r = 0; r < R; r++) {
    spill_panel *p = simulate(ctx, w, &rng, truth);
    spill_fit *f = spill_fit_model(ctx, p, w, &o);
    CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
    if (!f) {
      spill_panel_free(p);
      break;
    }
    /* coefficient order: did, x1, W*did, W*x1 */
    est[r][0] = f->rho;
    se[r][0] = f->rho_se;
    for (int j = 0; j < 4; j++) {
      est[r][j + 1] = f->coef[j];
      se[r][j + 1] = f->se[j];
    }
    spill_fit_free(f);
    spill_panel_free(p);
  }
  for (int j = 0; j < 5; j++) {
    double m = 0, v = 0, ms = 0;
    for (int r = 0; r < R; r++) {
      m += est[r][j] / R;
      ms += se[r][j] / R;
    }
    for (int r = 0; r < R; r++) v += (est[r][j] - m) * (est[r][j] - m) / (R - 1);
    /* the mean is within 4 standard errors of the mean of the truth, and the
       analytic SE matches the spread over draws within sampling error */
    CHECK_MSG(fabs(m - truth[j]) < 4.0 * sqrt(v / R), "param %d: mean %.4f truth %.4f sd %.4f", j, m, truth[j], sqrt(v));
    CHECK_MSG(ms / sqrt(v) > 0.6 && ms / sqrt(v) < 1.6, "param %d: mean SE %.4f vs sd %.4f", j, ms, sqrt(v));
    printf("sim param %d: truth %.3f mean %.4f sd %.4f mean SE %.4f\n", j, truth[j], m, sqrt(v), ms);
  }
  /* the three log-det methods on the same data */
  {
    spill_panel *p = simulate(ctx, w, &rng, truth);
    spill_fit *fe, *fc, *fl;
    o.logdet = SPILL_LOGDET_EIGEN;
    fe = spill_fit_model(ctx, p, w, &o);
    o.logdet = SPILL_LOGDET_CHOL;
    fc = spill_fit_model(ctx, p, w, &o);
    o.logdet = SPILL_LOGDET_LU;
    fl = spill_fit_model(ctx, p, w, &o);
    CHECK(fe && fc && fl);
    if (fe && fc && fl) {
      double worst = 0;
      CHECK_STR(fc->logdet_method, "chol");
      CHECK_RELSTRICT(fc->rho, fe->rho, 1e-8);
      CHECK_RELSTRICT(fl->rho, fe->rho, 1e-8);
      CHECK_RELSTRICT(fc->loglik, fe->loglik, 1e-8);
      CHECK_RELSTRICT(fl->loglik, fe->loglik, 1e-8);
      CHECK_RELSTRICT(fc->rho_se, fe->rho_se, 1e-8);
      CHECK_RELSTRICT(fl->rho_se, fe->rho_se, 1e-8);
      for (size_t j = 0; j < fe->k; j++) {
        CHECK_RELSTRICT(fc->coef[j], fe->coef[j], 1e-8);
        CHECK_RELSTRICT(fl->coef[j], fe->coef[j], 1e-8);
        CHECK_RELSTRICT(fc->se[j], fe->se[j], 1e-8);
        CHECK_RELSTRICT(fl->se[j], fe->se[j], 1e-8);
        worst = fmax(worst, fmax(fabs(fc->se[j] / fe->se[j] - 1), fabs(fl->se[j] / fe->se[j] - 1)));
      }
      CHECK_REL(fc->rho_lo, fe->rho_lo, 1e-6); /* Lanczos extreme eigenvalue */
      printf("log-det methods: rho eigen %.12f chol %.12f lu %.12f; SE max rel diff %.2g\n", fe->rho, fc->rho,
             fl->rho, worst);
    }
    spill_fit_free(fe);
    spill_fit_free(fc);
    spill_fit_free(fl);
    spill_panel_free(p);
  }
  /* log-dets directly, also for a W that is not similar to a symmetric matrix */
  {
    double a, b, c;
    for (double rho = -0.9; rho < 1.0; rho += 0.45) {
      spill_logdet_eval(ctx, w, SPILL_LOGDET_EIGEN, rho, &a);
      spill_logdet_eval(ctx, w, SPILL_LOGDET_CHOL, rho, &b);
      spill_logdet_eval(ctx, w, SPILL_LOGDET_LU, rho, &c);
      CHECK_REL(b, a, 1e-10);
      CHECK_REL(c, a, 1e-10);
    }
    w->x[0] *= 3.0; /* now W = D^-1 B fails: asymmetric ratio */
    spill_logdet_eval(ctx, w, SPILL_LOGDET_EIGEN, 0.5, &a);
    spill_logdet_eval(ctx, w, SPILL_LOGDET_LU, 0.5, &c);
    CHECK_REL(c, a, 1e-10);
    CHECK(spill_logdet_eval(ctx, w, SPILL_LOGDET_CHOL, 0.5, &b) == SPILL_EINVAL);
  }
  spill_weights_free(w);
}

/* ---- OLS TWFE against a dummy-variable regression (LSDV) ---- */
static void ols_lsdv(spill_ctx *ctx)
{
  enum { N = 7, T = 5, K = 2, NT = N * T, P = K + N + T - 1 };
  spill_weights *w = lattice(ctx, 1); /* replaced below */
  spill_panel *p;
  spill_fit_opts o;
  spill_fit *f;
  spill_rng rng;
  double X[NT][P], y[NT], xtx[P * P], b[P], e[NT], sse = 0, meat[K][K] = {{0}};
  spill_weights_free(w);
  {
    int64_t ti[2 * N], tj[2 * N];
    double tx[2 * N];
    int m = 0;
    for (int i = 0; i < N; i++) { ti[m] = i; tj[m] = (i + 1) % N; tx[m++] = 1; ti[m] = (i + 1) % N; tj[m] = i; tx[m++] = 1; }
    w = spill_weights_from_triplets(ctx, N, NULL, m, ti, tj, tx);
    spill_weights_transform(ctx, w, 'W');
  }
  spill_rng_seed(&rng, 99);
  p = spill_panel_new(ctx, N, T, (const char *const *)w->ids, NULL, 1, 1);
  for (int s = 0; s < T; s++)
    for (int i = 0; i < N; i++) {
      int q = s * N + i;
      p->d[q] = (i < 3 && s >= 2) ? 1.0 : 0.0;
      p->x[q] = spill_rng_normal(&rng) + 0.2 * i;
      p->y[q] = 0.7 * p->d[q] - 0.4 * p->x[q] + 0.3 * i + 0.2 * s + spill_rng_normal(&rng);
    }
  /* LSDV: d, x, N unit dummies, T-1 time dummies */
  for (int q = 0; q < NT; q++) {
    int s = q / N, i = q % N;
    for (int c = 0; c < P; c++) X[q][c] = 0.0;
    X[q][0] = p->d[q];
    X[q][1] = p->x[q];
    X[q][K + i] = 1.0;
    if (s > 0) X[q][K + N + s - 1] = 1.0;
    y[q] = p->y[q];
  }
  for (int a = 0; a < P; a++) {
    double s = 0;
    for (int c = 0; c < P; c++) {
      double t = 0;
      for (int q = 0; q < NT; q++) t += X[q][a] * X[q][c];
      xtx[a * P + c] = t;
    }
    for (int q = 0; q < NT; q++) s += X[q][a] * y[q];
    b[a] = s;
  }
  CHECK(spill__spd_inverse(xtx, P) == 0);
  {
    double bb[P];
    for (int a = 0; a < P; a++) {
      bb[a] = 0;
      for (int c = 0; c < P; c++) bb[a] += xtx[a * P + c] * b[c];
    }
    memcpy(b, bb, sizeof bb);
  }
  for (int q = 0; q < NT; q++) {
    double fit = 0;
    for (int c = 0; c < P; c++) fit += X[q][c] * b[c];
    e[q] = y[q] - fit;
    sse += e[q] * e[q];
  }
  /* cluster sandwich on the LSDV slopes: (X'X)^-1 rows of d and x */
  for (int i = 0; i < N; i++) {
    double sg[P] = {0}, u[K] = {0};
    for (int s = 0; s < T; s++)
      for (int c = 0; c < P; c++) sg[c] += X[s * N + i][c] * e[s * N + i];
    for (int a = 0; a < K; a++)
      for (int c = 0; c < P; c++) u[a] += xtx[a * P + c] * sg[c];
    for (int a = 0; a < K; a++)
      for (int c = 0; c < K; c++) meat[a][c] += u[a] * u[c];
  }
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_OLS;
  f = spill_fit_model(ctx, p, w, &o);
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (f) {
    /* xtreg, fe vce(cluster): c = G/(G-1) (NT-1)/(NT-K), K = k + 1 + (T-1) */
    double c = (double)N / (N - 1) * (NT - 1.0) / (NT - (K + T));
    for (int a = 0; a < K; a++) {
      CHECK_RELSTRICT(f->coef[a], b[a], 1e-11);
      CHECK_RELSTRICT(f->se_conv[a], sqrt(sse / (NT - P) * xtx[a * P + a]), 1e-10);
      CHECK_RELSTRICT(f->se[a], sqrt(c * meat[a][a]), 1e-10);
    }
  }
  spill_fit_free(f);
  spill_panel_free(p);
  spill_weights_free(w);
}

/* ---- Lee-Yu: with T = 4 and two-way effects the ML sigma2 is biased down
 * by about (T-1)/T; the corrected one is not ---- */
static void lee_yu_sim(spill_ctx *ctx)
{
  const double truth[5] = {0.4, 1.0, 0.8, 0.5, -0.3};
  spill_weights *w = lattice(ctx, 15);
  spill_rng rng;
  enum { R = 20 };
  double s_ml = 0, s_ly = 0, r_ml = 0, r_ly = 0;
  spill_fit_opts o;
  spill_rng_seed(&rng, 4242);
  spill_fit_opts_init(&o);
  for (int r = 0; r < R; r++) {
    spill_panel *p = simulate(ctx, w, &rng, truth);
    spill_fit *f0, *f1;
    p->t = 4; /* the first four periods: 2011-2014 */
    o.lee_yu = 0;
    f0 = spill_fit_model(ctx, p, w, &o);
    o.lee_yu = 1; /* the exact transformation; its sigma2 divides by (N-1)(T-1) */
    f1 = spill_fit_model(ctx, p, w, &o);
    o.lee_yu = 0;
    o.lee_yu_bc = 1; /* Elhorst's bias correction */
    {
      spill_fit *f2 = spill_fit_model(ctx, p, w, &o);
      CHECK(f2 && f2->lee_yu == 2 && fabs(f2->sigma2 - 1.0) < 0.5);
      if (f2 && f1) CHECK(fabs(f2->rho - f1->rho) < 0.05);
      spill_fit_free(f2);
    }
    o.lee_yu_bc = 0;
    CHECK(f0 && f1);
    if (f0 && f1) {
      s_ml += f0->sigma2 / R;
      s_ly += f1->sigma2 / R;
      r_ml += f0->rho / R;
      r_ly += f1->rho / R;
      CHECK(f1->lee_yu == 1 && f1->se[0] > 0);
    }
    spill_fit_free(f0);
    spill_fit_free(f1);
    p->t = 8;
    spill_panel_free(p);
  }
  printf("Lee-Yu (T = 4, two-way): sigma2 %.4f -> %.4f (truth 1), rho %.4f -> %.4f (truth 0.4)\n", s_ml, s_ly,
         r_ml, r_ly);
  CHECK(fabs(s_ml - 0.75) < 0.05);
  CHECK(fabs(s_ly - 1.0) < 0.05);
  /* rho moves by (I/NT)^-1 a / N, about +0.01 here: within sampling error of
     20 draws, so it is printed, not asserted */
  CHECK(r_ly > r_ml);
  spill_weights_free(w);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  columbus(ctx);
  produc(ctx);
  simulation(ctx);
  ols_lsdv(ctx);
  lee_yu_sim(ctx);
  spill_ctx_free(ctx);
  return check_done("test_estimation");
}

/* Samples and W: the unbalanced FE OLS DID against a dense dummy-variable
 * regression, W cut to the sample against a W cut by hand (China's
 * prefectures), --if, the variation checks and the sample description. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "check.h"
#include "spill.h"

extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs, double *a,
                   const int *lda, double *b, const int *ldb, double *work, const int *lwork, int *info);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

static int quiet_notices = 1;
static const char *tmpdir; /* check_tmpdir() once: it empties the directory */
static char last_notice[2048];
static void on_notice(void *user, const char *msg)
{
  (void)user;
  snprintf(last_notice + strlen(last_notice), sizeof last_notice - strlen(last_notice), "%s\n", msg);
  if (!quiet_notices) fprintf(stderr, "note: %s\n", msg);
}

/* Least squares by LAPACK QR (dgels) on the m x p column-major X; b gets p
 * coefficients. */
static void lsq(const double *X, int m, int p, const double *y, double *b)
{
  double *a = malloc((size_t)m * p * sizeof *a), *r = malloc((size_t)m * sizeof *r), wq;
  int one = 1, info = 0, lwork = -1;
  memcpy(a, X, (size_t)m * p * sizeof *a);
  memcpy(r, y, (size_t)m * sizeof *r);
  dgels_("N", &m, &p, &one, a, &m, r, &m, &wq, &lwork, &info);
  lwork = (int)wq;
  {
    double *work = malloc((size_t)lwork * sizeof *work);
    dgels_("N", &m, &p, &one, a, &m, r, &m, work, &lwork, &info);
    free(work);
  }
  memcpy(b, r, (size_t)p * sizeof *b);
  free(a);
  free(r);
}

/* ---- unbalanced two-way FE OLS DID == LSDV on the same rows ---- */
static void unbalanced_lsdv(spill_ctx *ctx, spill_fe fe)
{
  enum { N = 30, T = 6, K = 2 };
  spill_panel *p = spill_panel_new(ctx, N, T, NULL, NULL, 1, 1);
  spill_rng rng;
  spill_fit_opts o;
  spill_fit *f;
  int m = 0, P, unit = fe == SPILL_FE_TWOWAYS || fe == SPILL_FE_UNIT, time = fe == SPILL_FE_TWOWAYS || fe == SPILL_FE_TIME;
  int row_cell[N * T];
  double *X, *y, *b, *e, *xtx, sse = 0;
  spill_rng_seed(&rng, 2024);
  p->obs = malloc(N * T);
  for (int s = 0; s < T; s++)
    for (int i = 0; i < N; i++) {
      int q = s * N + i;
      /* about a fifth of the cells missing; each unit keeps its first two */
      p->obs[q] = s < 2 || spill_rng_uniform(&rng) > 0.2;
      p->d[q] = (i % 3 == 0 && s >= 2 + i % 4) ? 1.0 : 0.0;
      p->x[q] = spill_rng_normal(&rng) + 0.1 * i - 0.2 * s;
      p->y[q] = 0.6 * p->d[q] - 0.3 * p->x[q] + 0.05 * i * i / N + 0.4 * s + spill_rng_normal(&rng);
      if (!p->obs[q]) p->y[q] = p->d[q] = p->x[q] = 0.0;
    }
  /* LSDV: d, x, N unit dummies (or a constant), T-1 time dummies */
  P = K + (unit ? N : 1) + (time ? T - 1 : 0);
  X = calloc((size_t)N * T * P, sizeof *X);
  y = malloc(N * T * sizeof *y);
  b = malloc((size_t)P * sizeof *b);
  e = malloc(N * T * sizeof *e);
  xtx = malloc((size_t)P * P * sizeof *xtx);
  for (int q = 0; q < N * T; q++) {
    int s = q / N, i = q % N;
    if (!p->obs[q]) continue;
    row_cell[m] = q;
    y[m] = p->y[q];
    m++;
    (void)s;
    (void)i;
  }
  for (int r = 0; r < m; r++) {
    int q = row_cell[r], s = q / N, i = q % N;
    X[0 * m + r] = p->d[q];
    X[1 * m + r] = p->x[q];
    if (unit) X[(K + i) * m + r] = 1.0;
    else X[K * m + r] = 1.0;
    if (time && s > 0) X[(K + (unit ? N : 1) + s - 1) * m + r] = 1.0;
  }
  lsq(X, m, P, y, b);
  for (int r = 0; r < m; r++) {
    double fit = 0;
    for (int c = 0; c < P; c++) fit += X[c * m + r] * b[c];
    e[r] = y[r] - fit;
    sse += e[r] * e[r];
  }
  for (int a = 0; a < P; a++)
    for (int c = 0; c < P; c++) {
      double t = 0;
      for (int r = 0; r < m; r++) t += X[a * m + r] * X[c * m + r];
      xtx[c * P + a] = t;
    }
  {
    int pp = P, info = 0;
    dpotrf_("U", &pp, xtx, &pp, &info);
    CHECK(info == 0);
    dpotri_("U", &pp, xtx, &pp, &info);
    for (int a = 0; a < P; a++)
      for (int c = a + 1; c < P; c++) xtx[a * P + c] = xtx[c * P + a];
  }
  spill_fit_opts_init(&o);
  o.model = SPILL_MODEL_OLS;
  o.fe = fe;
  f = spill_fit_model(ctx, p, NULL, &o); /* no W needed */
  CHECK_MSG(f != NULL, "%s", spill_ctx_error(ctx));
  if (f) {
    /* cluster sandwich of the LSDV slopes, xtreg's scaling:
     * G/(G-1) (N-1)/(N-K), K = slopes + constant + (T-1) time dummies */
    double meat[K][K] = {{0}}, kk = K + 1.0 + (time ? T - 1.0 : 0.0);
    double c = (double)N / (N - 1) * (m - 1.0) / (m - kk);
    double my = 0, mh = 0, syy = 0, shh = 0, syh = 0;
    for (int i = 0; i < N; i++) {
      double sg[64] = {0}, u[K] = {0};
      for (int r = 0; r < m; r++)
        if (row_cell[r] % N == i)
          for (int a = 0; a < P; a++) sg[a] += X[a * m + r] * e[r];
      for (int a = 0; a < K; a++)
        for (int cc = 0; cc < P; cc++) u[a] += xtx[cc * P + a] * sg[cc];
      for (int a = 0; a < K; a++)
        for (int cc = 0; cc < K; cc++) meat[a][cc] += u[a] * u[cc];
    }
    CHECK_EQ_INT(f->nobs, m);
    for (int a = 0; a < K; a++) {
      CHECK_RELSTRICT(f->coef[a], b[a], 1e-10);
      CHECK_RELSTRICT(f->se_conv[a], sqrt(sse / (m - P) * xtx[a * P + a]), 1e-10);
      CHECK_RELSTRICT(f->se[a], sqrt(c * meat[a][a]), 1e-10);
    }
    /* Stata's R-sq overall: corr(y, b_d d + b_x x)^2 */
    for (int r = 0; r < m; r++) {
      my += y[r];
      mh += b[0] * X[r] + b[1] * X[m + r];
    }
    my /= m;
    mh /= m;
    for (int r = 0; r < m; r++) {
      double h = b[0] * X[r] + b[1] * X[m + r] - mh;
      syy += (y[r] - my) * (y[r] - my);
      shh += h * h;
      syh += (y[r] - my) * h;
    }
    if (fe != SPILL_FE_NONE) CHECK_RELSTRICT(f->r2, syh * syh / (syy * shh), 1e-10);
  }
  spill_fit_free(f);
  free(X);
  free(y);
  free(b);
  free(e);
  free(xtx);
  /* the ML models refuse it, saying what to do */
  {
    spill_weights *w = spill_weights_lattice(ctx, 5, 6, 0);
    spill_weights_transform(ctx, w, 'W');
    o.model = SPILL_MODEL_SDM;
    o.fe = SPILL_FE_TWOWAYS;
    CHECK(spill_fit_model(ctx, p, w, &o) == NULL);
    CHECK(strstr(spill_ctx_error(ctx), "needs a balanced panel") != NULL);
    CHECK(strstr(spill_ctx_error(ctx), "--model ols") != NULL);
    spill_weights_free(w);
  }
  spill_panel_free(p);
}

/* ---- the acceptance case: a prefecture panel without some cities (and
 * without a few cities' years) fitted with the full map's W ---- */
static const char *const gone[] = {"130100", "320100", "440100", "530800"}; /* 530800: 532800's only neighbour */
static const char *const short_units[] = {"210100", "610100", "420100"};    /* lose years */

static int in_list(const char *id, const char *const *list, int n)
{
  for (int k = 0; k < n; k++)
    if (!strcmp(id, list[k])) return 1;
  return 0;
}

/* End to end: `spill fit` with the full map's W on the panel CSV gives the
 * fit made with the W cut by hand (JSON numbers have 17 digits). */
static void cli_matches(spill_ctx *ctx, const spill_weights *wfull, const char *csv, const spill_fit *ref,
                        const char *model)
{
  char gal[1200], out[1200], err[1200], cmd[5000], *text = NULL, *at;
  long len;
  FILE *f;
  snprintf(gal, sizeof gal, "%s/pref_full.gal", tmpdir);
  snprintf(out, sizeof out, "%s/pref_fit_%s.json", tmpdir, model);
  snprintf(err, sizeof err, "%s/pref_fit_%s.err", tmpdir, model);
  CHECK(spill_weights_write(ctx, wfull, gal, SPILL_WFMT_GAL) == 0);
  snprintf(cmd, sizeof cmd,
           "'%s' fit --data '%s' --w '%s' --id city --time year --y y --treat did --x x1,x2,x3 "
           "--drop-incomplete --model %s --logdet lu --no-effects --format json > '%s' 2> '%s'",
           SPILL_EXE, csv, gal, model, out, err);
  CHECK_EQ_INT(WEXITSTATUS(system(cmd)), 0);
  if (!(f = fopen(err, "r"))) return;
  text = calloc(1, 65536);
  len = (long)fread(text, 1, 65535, f);
  fclose(f);
  CHECK_MSG(strstr(text, "W follows the sample: 7 of 333 W units are not in the panel") != NULL, "%s", text);
  CHECK(strstr(text, "is now an island (532800)") != NULL);
  CHECK(strstr(text, "dropped 3 incomplete units") != NULL);
  if (!(f = fopen(out, "r"))) {
    free(text);
    return;
  }
  len = (long)fread(text, 1, 65535, f);
  text[len] = '\0';
  fclose(f);
  if (ref->has_rho) {
    at = strstr(text, "\"rho\": {\"estimate\": ");
    CHECK(at != NULL);
    if (at) CHECK_REL(strtod(at + 20, NULL), ref->rho, 1e-10);
  }
  at = strstr(text, "\"coefficients\"");
  for (size_t j = 0; at && j < ref->k; j++) {
    at = strstr(at, "\"estimate\": ");
    CHECK(at != NULL);
    if (!at) break;
    at += 12;
    CHECK_REL(strtod(at, NULL), ref->coef[j], 1e-10);
    at = strstr(at, "\"se\": ");
    if (at) CHECK_REL(strtod(at + 6, NULL), ref->se[j], 1e-10);
  }
  free(text);
}

static void prefectures(spill_ctx *ctx)
{
  char shp[1024], csv[1200];
  spill_read_opts ro = {.id_field = "adcode"};
  spill_layer *L;
  spill_weights *wb, *wrow, *whand = NULL, *wcut = NULL;
  spill_panel *full, *p1 = NULL, *p2 = NULL;
  spill_sim_opts so;
  spill_wmatch_opts mo = {0, 0, 'W'};
  spill_wmatch_report rep;
  spill_panel_spec spec;
  const char *xs[3] = {"x1", "x2", "x3"};
  if (!check_shared("data/china_prefectures.shp", shp, sizeof shp)) {
    printf("SKIP part: no shared data (china_prefectures.shp)\n");
    return;
  }
  /* the four municipalities (110000, 120000, 310000, 500000) are not among
   * the 333 cities of china_prefectures.dbf, so other cities play their part */
  L = spill_layer_read(ctx, shp, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK(spill_layer_field_index(L, "adcode") >= 0);
  for (size_t u = 0; u < spill_layer_count(L); u++) {
    const char *id = spill_layer_ids(L)[u];
    CHECK(strcmp(id, "110000") && strcmp(id, "120000") && strcmp(id, "310000") && strcmp(id, "500000"));
  }
  wb = spill_weights_contiguity(ctx, L, NULL);
  spill_layer_free(L);
  CHECK(wb != NULL);
  if (!wb) return;
  wrow = spill_weights_copy(ctx, wb);
  spill_weights_transform(ctx, wrow, 'W');
  spill_sim_opts_init(&so);
  so.seed = 77;
  full = spill_simulate_did(ctx, wrow, &so, NULL);
  CHECK(full != NULL);
  /* the panel CSV without the cut cities, and three cities missing years */
  snprintf(csv, sizeof csv, "%s/pref_panel.csv", tmpdir);
  {
    FILE *out = fopen(csv, "w");
    fprintf(out, "city,year,y,did,x1,x2,x3\n");
    for (int64_t i = 0; i < full->n; i++)
      for (int64_t s = 0; s < full->t; s++) {
        int64_t q = s * full->n + i;
        if (in_list(full->ids[i], gone, 4)) continue;
        if (in_list(full->ids[i], short_units, 3) && s >= full->t - 2) continue;
        fprintf(out, "%s,%lld,%.17g,%.17g,%.17g,%.17g,%.17g\n", full->ids[i], (long long)full->times[s], full->y[q],
                full->d[q], full->x[q], full->x[full->n * full->t + q], full->x[2 * full->n * full->t + q]);
      }
    fclose(out);
  }
  spec = (spill_panel_spec){"city", "year", "y", "did", NULL, xs, 3, 1};
  p1 = spill_panel_read_csv(ctx, csv, &spec);
  p2 = spill_panel_read_csv(ctx, csv, &spec);
  CHECK_MSG(p1 && p2, "%s", spill_ctx_error(ctx));
  if (!p1 || !p2) goto done;
  CHECK_EQ_INT(p1->n, 333 - 7);
  /* W follows the sample */
  last_notice[0] = '\0';
  CHECK_MSG(spill_panel_match_weights(ctx, p1, wb, &mo, &wcut, &rep) == 0, "%s", spill_ctx_error(ctx));
  CHECK_EQ_INT(rep.w_dropped, 7);
  CHECK_EQ_INT(rep.kept, 326);
  CHECK_EQ_INT(rep.new_islands, 1);
  CHECK(strstr(rep.new_island_ids, "532800") != NULL);
  CHECK(strstr(last_notice, "7 of 333 W units are not in the panel") != NULL);
  CHECK(strstr(last_notice, "lost all its neighbours") != NULL);
  /* by hand: the dense binary matrix of the kept units, row-standardised */
  {
    int64_t n = p2->n, *pos = malloc((size_t)n * sizeof *pos), nt = 0;
    int64_t *ti = malloc((size_t)(wb->p[wb->n]) * sizeof *ti), *tj = malloc((size_t)(wb->p[wb->n]) * sizeof *tj);
    double *tx = malloc((size_t)(wb->p[wb->n]) * sizeof *tx), *dense = calloc((size_t)(n * n), sizeof *dense);
    for (int64_t a = 0; a < n; a++) pos[a] = spill_weights_find(wb, p2->ids[a]);
    for (int64_t a = 0; a < n; a++)
      for (int64_t c = 0; c < n; c++) {
        int64_t i = pos[a], j = pos[c];
        for (int64_t q = wb->p[i]; q < wb->p[i + 1]; q++)
          if (wb->j[q] == j) dense[a * n + c] = wb->x[q];
      }
    for (int64_t a = 0; a < n; a++) {
      double rs = 0;
      for (int64_t c = 0; c < n; c++) rs += dense[a * n + c];
      for (int64_t c = 0; c < n; c++)
        if (dense[a * n + c] != 0) {
          ti[nt] = a;
          tj[nt] = c;
          tx[nt++] = dense[a * n + c] / rs;
        }
    }
    whand = spill_weights_from_triplets(ctx, n, (const char *const *)p2->ids, nt, ti, tj, tx);
    whand->style = 'W';
    free(pos);
    free(ti);
    free(tj);
    free(tx);
    free(dense);
  }
  CHECK(spill_panel_align(ctx, p2, whand) == 0);
  {
    spill_model models[3] = {SPILL_MODEL_SDM, SPILL_MODEL_OLS, SPILL_MODEL_SLX};
    for (int mi = 0; mi < 3; mi++) {
      spill_fit_opts o;
      spill_fit *a, *b;
      spill_fit_opts_init(&o);
      o.model = models[mi];
      o.logdet = SPILL_LOGDET_LU;
      a = spill_fit_model(ctx, p1, wcut, &o);
      b = spill_fit_model(ctx, p2, whand, &o);
      CHECK_MSG(a && b, "%s", spill_ctx_error(ctx));
      if (a && b && mi < 2) cli_matches(ctx, wb, csv, b, mi == 0 ? "sdm" : "ols");
      if (a && b) {
        CHECK_EQ_INT(a->k, b->k);
        for (size_t j = 0; j < a->k && j < b->k; j++) {
          CHECK_STR(a->names[j], b->names[j]);
          CHECK_REL(a->coef[j], b->coef[j], 1e-10);
          CHECK_REL(a->se[j], b->se[j], 1e-10);
        }
        if (a->has_rho) {
          CHECK_REL(a->rho, b->rho, 1e-10);
          CHECK_REL(a->rho_se, b->rho_se, 1e-10);
        }
        CHECK_REL(a->loglik, b->loglik, 1e-10);
        if (mi == 0) CHECK(fabs(a->rho - so.rho) < 0.1); /* the simulated spatial lag, roughly */
      }
      spill_fit_free(a);
      spill_fit_free(b);
    }
  }
  /* --w-strict keeps the exact-match rule; a panel unit W lacks is an error
   * unless dropped */
  {
    spill_weights *x = NULL;
    spill_wmatch_opts strict = {1, 0, 'W'};
    spill_panel *p3 = spill_panel_read_csv(ctx, csv, &spec);
    CHECK(spill_panel_match_weights(ctx, p3, wb, &strict, &x, NULL) == SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "--w-strict") != NULL);
    CHECK(x == NULL);
    spill_panel_free(p3);
  }
  {
    unsigned char keep[333];
    spill_weights *small, *x = NULL;
    spill_wmatch_opts drop = {0, 1, 'W'};
    spill_panel *p4 = spill_panel_read_csv(ctx, csv, &spec);
    for (int i = 0; i < 333; i++) keep[i] = i >= 10;
    small = spill_weights_subset(ctx, wb, keep, 'B');
    CHECK(spill_panel_match_weights(ctx, p4, small, NULL, &x, NULL) == SPILL_EDATA);
    CHECK(strstr(spill_ctx_error(ctx), "not in W") != NULL && strstr(spill_ctx_error(ctx), "--drop-unmatched"));
    CHECK(spill_panel_match_weights(ctx, p4, small, &drop, &x, &rep) == 0);
    CHECK(rep.panel_dropped > 0 && p4->n == rep.kept && x && x->n == p4->n);
    spill_weights_free(x);
    spill_weights_free(small);
    spill_panel_free(p4);
  }
done:
  spill_weights_free(whand);
  spill_weights_free(wcut);
  spill_weights_free(wrow);
  spill_weights_free(wb);
  spill_panel_free(full);
  spill_panel_free(p1);
  spill_panel_free(p2);
}

/* ---- --if, variation checks, description, id lists ---- */
static void selection(spill_ctx *ctx)
{
  char csv[1200], bad[1200];
  const char *region[4] = {"east", "west", "east", "central"};
  spill_panel_spec spec = {"id", "year", "y", "d", NULL, NULL, 0, 0};
  spill_panel *p;
  int64_t kept = 0;
  snprintf(csv, sizeof csv, "%s/if_panel.csv", tmpdir);
  snprintf(bad, sizeof bad, "%s/if_bad.csv", tmpdir);
  {
    FILE *a = fopen(csv, "w"), *b = fopen(bad, "w");
    fprintf(a, "id,year,y,d,region\n");
    fprintf(b, "id,year,y,d,region\n");
    for (int i = 0; i < 4; i++)
      for (int s = 0; s < 4; s++) {
        fprintf(a, "%d,%d,%g,%d,%s\n", i + 1, 2000 + s, i * 1.5 + s * s, i < 2 && s >= 2, region[i]);
        fprintf(b, "%d,%d,%g,%d,%s\n", i + 1, 2000 + s, i * 1.5 + s * s, i < 2 && s >= 2,
                i == 2 && s == 3 ? "west" : region[i]);
      }
    fclose(a);
    fclose(b);
  }
  p = spill_panel_read_csv_unbalanced(ctx, csv, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  CHECK(p->obs == NULL);
  CHECK(spill_panel_keep_if(ctx, p, csv, "id", "region=east,central", &kept) == 0);
  CHECK_EQ_INT(kept, 3);
  CHECK_EQ_INT(p->n, 3);
  CHECK_STR(p->ids[2], "4");
  CHECK(spill_panel_keep_if(ctx, p, csv, "id", "region!=central", &kept) == 0);
  CHECK_EQ_INT(p->n, 2);
  CHECK(spill_panel_keep_if(ctx, p, csv, "id", "region=north", &kept) == SPILL_EDATA);
  CHECK(spill_panel_keep_if(ctx, p, csv, "id", "nosuch=1", &kept) != 0);
  CHECK(strstr(spill_ctx_error(ctx), "nosuch") != NULL);
  spill_panel_free(p);
  p = spill_panel_read_csv_unbalanced(ctx, bad, &spec);
  CHECK(spill_panel_keep_if(ctx, p, bad, "id", "region=east", &kept) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "unit '3' changes its 'region'") != NULL);
  /* variation: a 0/1 treatment that moves passes; then break it */
  CHECK(spill_panel_check_variation(ctx, p) == 0);
  p->d[5] = 0.5;
  CHECK(spill_panel_check_variation(ctx, p) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "the treatment 'd' must be 0 or 1") != NULL);
  for (int q = 0; q < 16; q++) p->d[q] = 1.0;
  CHECK(spill_panel_check_variation(ctx, p) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "does not move: it is 1") != NULL);
  for (int q = 0; q < 16; q++) p->y[q] = 3.0;
  CHECK(spill_panel_check_variation(ctx, p) == SPILL_EDATA);
  CHECK(strstr(spill_ctx_error(ctx), "the outcome 'y' has no variation") != NULL);
  spill_panel_free(p);
  /* description: cohorts, never- and always-treated */
  {
    spill_panel *q = spill_panel_new(ctx, 6, 5, NULL, NULL, 0, 1);
    spill_sample_desc dsc;
    int64_t adopt[6] = {0, 2001, 2003, 2003, 0, 1990};
    for (int s = 0; s < 5; s++)
      for (int i = 0; i < 6; i++) {
        q->times[s] = 2000 + s;
        q->d[s * 6 + i] = adopt[i] && 2000 + s >= adopt[i];
      }
    CHECK(spill_sample_describe(ctx, q, NULL, &dsc) == 0);
    CHECK_EQ_INT(dsc.never_treated, 2);
    CHECK_EQ_INT(dsc.always_treated, 1);
    CHECK_STR(dsc.always_ids, "6");
    CHECK_EQ_INT(dsc.n_cohorts, 2);
    CHECK_EQ_INT(dsc.cohort_period[0], 2001);
    CHECK_EQ_INT(dsc.cohort_units[0], 1);
    CHECK_EQ_INT(dsc.cohort_period[1], 2003);
    CHECK_EQ_INT(dsc.cohort_units[1], 2);
    CHECK_EQ_INT(dsc.observations, 30);
    spill_panel_free(q);
  }
}

/* ---- unbalanced reader: missing rows and missing values become unobserved
 * cells; drop_incomplete drops those units ---- */
static void reader(spill_ctx *ctx)
{
  char csv[1200];
  spill_panel_spec spec = {"id", "year", "y", NULL, NULL, NULL, 0, 0};
  spill_panel *p;
  snprintf(csv, sizeof csv, "%s/unbal.csv", tmpdir);
  {
    FILE *a = fopen(csv, "w");
    fprintf(a, "id,year,y\nb,2001,1\na,2001,2\na,2002,NA\nb,2002,3\nb,2003,4\na,2003,5\nc,2003,6\n");
    fclose(a);
  }
  p = spill_panel_read_csv_unbalanced(ctx, csv, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  CHECK_EQ_INT(p->n, 3);
  CHECK_EQ_INT(p->t, 3);
  CHECK_STR(p->ids[0], "b");
  CHECK(p->obs != NULL);
  CHECK(p->obs[0] == 1 && p->obs[1] == 1 && p->obs[2] == 0); /* 2001: b, a, (c) */
  CHECK(p->obs[3] == 1 && p->obs[4] == 0);                   /* 2002: a's y is NA */
  CHECK(p->y[8] == 6.0);
  {
    /* written back: only the observed cells have rows */
    char back[1300];
    spill_panel *q;
    snprintf(back, sizeof back, "%s/unbal_back.csv", tmpdir);
    CHECK(spill_panel_write_csv(ctx, p, "id", "year", back) == 0);
    q = spill_panel_read_csv_unbalanced(ctx, back, &spec);
    CHECK(q && q->obs && q->n == 3 && !q->obs[4] && q->obs[3] && q->y[8] == 6.0);
    spill_panel_free(q);
  }
  CHECK(spill_panel_drop_incomplete(ctx, p) == 0);
  CHECK_EQ_INT(p->n, 1);
  CHECK(p->obs == NULL);
  spill_panel_free(p);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_ctx_set_notice(ctx, on_notice, NULL);
  quiet_notices = getenv("SPILL_VERBOSE") == NULL;
  tmpdir = check_tmpdir();
  unbalanced_lsdv(ctx, SPILL_FE_TWOWAYS);
  unbalanced_lsdv(ctx, SPILL_FE_UNIT);
  unbalanced_lsdv(ctx, SPILL_FE_TIME);
  reader(ctx);
  selection(ctx);
  prefectures(ctx);
  spill_ctx_free(ctx);
  return check_done("test_sample");
}

/* Interactions in --x (estimation/interact.c) and panels read inside a
 * --years window (estimation/panel_years.c). Every fit with a term a*b is
 * compared with the same fit on a file holding the product as a column made
 * by hand (printed with 17 digits, so it is the same double), and every
 * window with the fit on a file cut by hand. */
#include <readstat.h>
#include "check.h"
#include "spill.h"

enum { N = 12, T = 8, Y0 = 2001 };

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}

/* A ring of N units, each linked to its two neighbours and the one opposite. */
static spill_weights *ring_w(spill_ctx *ctx)
{
  int64_t ti[3 * N], tj[3 * N];
  double tx[3 * N];
  char idbuf[N][8];
  const char *ids[N];
  int m = 0;
  for (int i = 0; i < N; i++) {
    snprintf(idbuf[i], sizeof idbuf[i], "%d", 100 + i);
    ids[i] = idbuf[i];
    ti[m] = i, tj[m] = (i + 1) % N, tx[m++] = 1;
    ti[m] = i, tj[m] = (i + N - 1) % N, tx[m++] = 1;
    ti[m] = i, tj[m] = (i + N / 2) % N, tx[m++] = 1;
  }
  spill_weights *w = spill_weights_from_triplets(ctx, N, ids, m, ti, tj, tx);
  if (w && spill_weights_transform(ctx, w, 'W')) {
    spill_weights_free(w);
    return NULL;
  }
  return w;
}

/* The data: a, b, c, an adoption year; y with an effect varying with b. */
static double A[N][T], B[N][T], C[N][T], Yv[N][T];
static int adopt[N];

static void make_data(void)
{
  for (int i = 0; i < N; i++) {
    adopt[i] = i % 3 == 0 ? 0 : Y0 + 2 + i % 5;
    for (int s = 0; s < T; s++) {
      int d = adopt[i] && Y0 + s >= adopt[i];
      A[i][s] = 1 + unif() + 0.1 * s;
      B[i][s] = unif() - 0.5 + 0.05 * i;
      C[i][s] = 2 * unif();
      Yv[i][s] = 0.3 * i + 0.2 * s + 0.5 * d + 0.4 * A[i][s] - 0.3 * B[i][s] + 0.8 * A[i][s] * B[i][s] +
                 0.6 * d * B[i][s] + 0.2 * A[i][s] * B[i][s] * C[i][s] + 0.3 * unif();
    }
  }
}

/* Write the panel: hand-made products as columns (17 digits), years from..to,
 * unit `hole` lacking its first year when hole >= 0, a missing a in one row
 * when miss. */
static const char *write_panel(const char *dir, const char *name, int from, int to, int hole, int miss)
{
  static char path[8][512];
  static int slot = 0;
  char *p = path[slot++ % 8];
  FILE *f;
  snprintf(p, 512, "%s/%s", dir, name);
  f = fopen(p, "w");
  fputs("city,year,y,a,b,c,pilot,d,ab,abc,ac,bc,db,ab_m\n", f);
  for (int i = 0; i < N; i++)
    for (int s = 0; s < T; s++) {
      int yr = Y0 + s, d = adopt[i] && yr >= adopt[i];
      if (yr < from || yr > to || (i == hole && s == 0)) continue;
      if (miss && i == 4 && s == 3) /* a missing: a, a:b and the like missing too */
        fprintf(f, "%d,%d,%.17g,,%.17g,%.17g,%d,%d,,,,%.17g,%.17g,\n", 100 + i, yr, Yv[i][s], B[i][s], C[i][s],
                adopt[i], d, B[i][s] * C[i][s], d * B[i][s]);
      else
        fprintf(f, "%d,%d,%.17g,%.17g,%.17g,%.17g,%d,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", 100 + i, yr, Yv[i][s],
                A[i][s], B[i][s], C[i][s], adopt[i], d, A[i][s] * B[i][s], A[i][s] * B[i][s] * C[i][s],
                A[i][s] * C[i][s], B[i][s] * C[i][s], d * B[i][s], A[i][s] * B[i][s]);
    }
  fclose(f);
  return p;
}

/* The data as a Stata .dta (ReadStat): b as a labelled code 0..3 (a value
 * label shows text, the number underneath is what the product uses), a
 * missing a in one row when miss; ab = a * b made by hand. */
static ssize_t dta_out(const void *data, size_t len, void *f) { return (ssize_t)fwrite(data, 1, len, f); }

static const char *write_dta(const char *dir, const char *name, int miss)
{
  static char path[2][512];
  static int slot = 0;
  char *p = path[slot++ % 2];
  readstat_writer_t *w = readstat_writer_init();
  readstat_label_set_t *ls;
  readstat_variable_t *v[7];
  FILE *f;
  snprintf(p, 512, "%s/%s", dir, name);
  f = fopen(p, "wb");
  readstat_set_data_writer(w, dta_out);
  readstat_writer_set_file_format_version(w, 118);
  ls = readstat_add_label_set(w, READSTAT_TYPE_INT32, "level");
  readstat_label_int32_value(ls, 0, "none");
  readstat_label_int32_value(ls, 1, "low");
  readstat_label_int32_value(ls, 2, "mid");
  readstat_label_int32_value(ls, 3, "high");
  v[0] = readstat_add_variable(w, "city", READSTAT_TYPE_INT32, 0);
  v[1] = readstat_add_variable(w, "year", READSTAT_TYPE_INT16, 0);
  v[2] = readstat_add_variable(w, "y", READSTAT_TYPE_DOUBLE, 0);
  v[3] = readstat_add_variable(w, "d", READSTAT_TYPE_INT8, 0);
  v[4] = readstat_add_variable(w, "a", READSTAT_TYPE_DOUBLE, 0);
  v[5] = readstat_add_variable(w, "b", READSTAT_TYPE_INT8, 0);
  readstat_variable_set_label_set(v[5], ls);
  v[6] = readstat_add_variable(w, "ab", READSTAT_TYPE_DOUBLE, 0);
  CHECK(readstat_begin_writing_dta(w, f, N * T) == READSTAT_OK);
  for (int i = 0; i < N; i++)
    for (int s = 0; s < T; s++) {
      int d = adopt[i] && Y0 + s >= adopt[i], lev = (i + s) % 4;
      readstat_begin_row(w);
      readstat_insert_int32_value(w, v[0], 100 + i);
      readstat_insert_int16_value(w, v[1], (int16_t)(Y0 + s));
      readstat_insert_double_value(w, v[2], Yv[i][s] + 0.1 * lev);
      readstat_insert_int8_value(w, v[3], (int8_t)d);
      if (miss && i == 2 && s == 5) {
        readstat_insert_missing_value(w, v[4]);
        readstat_insert_int8_value(w, v[5], (int8_t)lev);
        readstat_insert_missing_value(w, v[6]);
      } else {
        readstat_insert_double_value(w, v[4], A[i][s]);
        readstat_insert_int8_value(w, v[5], (int8_t)lev);
        readstat_insert_double_value(w, v[6], A[i][s] * lev);
      }
      readstat_end_row(w);
    }
  CHECK(readstat_end_writing(w) == READSTAT_OK);
  readstat_writer_free(w);
  fclose(f);
  return p;
}

static spill_panel *read_terms(spill_ctx *ctx, const char *path, const char *treat, const char *adopt_col,
                               const char *const *x, size_t nx, int unbalanced)
{
  spill_panel_spec spec = {"city", "year", "y", treat, adopt_col, x, nx, 0};
  spill_panel *p;
  spill_ctx_set_x_terms(ctx, "--x");
  p = unbalanced ? spill_panel_read_csv_unbalanced(ctx, path, &spec) : spill_panel_read_csv(ctx, path, &spec);
  spill_ctx_set_x_terms(ctx, NULL);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  return p;
}

/* Two fits agree to tol: coefficients, SEs, rho, names (a's names map to b's). */
static void same_fit(const spill_fit *f, const spill_fit *g, const char *const *fnames, double tol)
{
  CHECK_EQ_INT(f->k, g->k);
  if (f->k != g->k) return;
  for (size_t k = 0; k < f->k; k++) {
    CHECK_REL(f->coef[k], g->coef[k], tol);
    CHECK_REL(f->se[k], g->se[k], tol);
    if (fnames) CHECK_STR(f->names[k], fnames[k]);
  }
  CHECK_EQ_INT(f->has_rho, g->has_rho);
  if (f->has_rho) {
    CHECK_REL(f->rho, g->rho, tol);
    CHECK_REL(f->rho_se, g->rho_se, tol);
  }
  CHECK_REL(f->loglik, g->loglik, tol);
  CHECK_EQ_INT(f->nobs, g->nobs);
}

static void expect_error(spill_ctx *ctx, const char *const *x, size_t nx, const char *const *cols, size_t ncols,
                         const char *want)
{
  spill_xterm *t = NULL;
  size_t n = 0;
  int rc = spill_xterms_expand(ctx, "--x", "p.csv", x, nx, cols, ncols, &t, &n);
  CHECK_MSG(rc != SPILL_OK && strstr(spill_ctx_error(ctx), want), "%s -> rc %d '%s' (want '%s')", x[nx - 1], rc,
            spill_ctx_error(ctx), want);
  spill_xterms_free(t, n);
  spill_ctx_clear_error(ctx);
}

static void test_expand(spill_ctx *ctx)
{
  const char *cols[] = {"a", "b", "c", "Inc", "x:y"};
  spill_xterm *t = NULL;
  size_t n = 0;
  {
    const char *x[] = {"c", "a*b", "a", "b:a", "C"};
    CHECK(spill_xterms_expand(ctx, "--x", "p.csv", x, 5, cols, 5, &t, &n) == SPILL_OK);
    CHECK_EQ_INT(n, 4); /* c, a, b, a:b: the repeats collapse */
    if (n == 4) {
      CHECK_STR(t[0].name, "c");
      CHECK_STR(t[1].name, "a");
      CHECK_STR(t[2].name, "b");
      CHECK_STR(t[3].name, "a:b");
      CHECK_EQ_INT(t[3].nf, 2);
      CHECK_EQ_INT(t[3].col[0], 0);
      CHECK_EQ_INT(t[3].col[1], 1);
    }
    spill_xterms_free(t, n);
  }
  {
    const char *x[] = {"a*b*c"};
    const char *want[] = {"a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"};
    CHECK(spill_xterms_expand(ctx, "--x", "p.csv", x, 1, cols, 5, &t, &n) == SPILL_OK);
    CHECK_EQ_INT(n, 7);
    for (size_t k = 0; k < n && n == 7; k++) CHECK_STR(t[k].name, want[k]);
    spill_xterms_free(t, n);
  }
  {
    const char *x[] = {" inc * b ", "x:y", "b:c"}; /* blanks, case; a column named like a term */
    CHECK(spill_xterms_expand(ctx, "--x", "p.csv", x, 3, cols, 5, &t, &n) == SPILL_OK);
    CHECK_EQ_INT(n, 5);
    if (n == 5) {
      CHECK_STR(t[0].name, "inc");
      CHECK_EQ_INT(t[0].col[0], 3);
      CHECK_STR(t[2].name, "inc:b");
      CHECK_STR(t[3].name, "x:y");
      CHECK_EQ_INT(t[3].nf, 1);
      CHECK_EQ_INT(t[3].col[0], 4);
      CHECK_STR(t[4].name, "b:c");
    }
    spill_xterms_free(t, n);
  }
  {
    const char *x[] = {"a*zz"};
    expect_error(ctx, x, 1, cols, 5, "--x a*zz: no column 'zz' in p.csv");
  }
  {
    const char *x1[] = {"a*"}, *x2[] = {"a**b"}, *x3[] = {"*b"}, *x4[] = {"a:"};
    expect_error(ctx, x1, 1, cols, 5, "an empty factor");
    expect_error(ctx, x2, 1, cols, 5, "an empty factor");
    expect_error(ctx, x3, 1, cols, 5, "an empty factor");
    expect_error(ctx, x4, 1, cols, 5, "an empty factor");
  }
  {
    const char *x1[] = {"a*b:c"}, *x2[] = {"a*b*c*Inc"}, *x3[] = {"a*A"}, *x4[] = {"zz"};
    expect_error(ctx, x1, 1, cols, 5, "not both");
    expect_error(ctx, x2, 1, cols, 5, "at most three factors");
    expect_error(ctx, x3, 1, cols, 5, "appears twice");
    expect_error(ctx, x4, 1, cols, 5, "p.csv has no column 'zz'");
  }
  {
    const char *cols2[] = {"a", "b", "a:b"};
    const char *x[] = {"a*b"};
    expect_error(ctx, x, 1, cols2, 3, "--x a*b: p.csv already has a column named 'a:b'");
  }
}

int main(void)
{
  const char *dir = check_tmpdir();
  spill_ctx *ctx = spill_ctx_new();
  spill_weights *w;
  spill_fit_opts fo;
  const char *full, *holey, *cut, *miss;
  make_data();
  w = ring_w(ctx);
  CHECK(w != NULL);
  test_expand(ctx);
  full = write_panel(dir, "full.csv", 0, 9999, -1, 0);
  miss = write_panel(dir, "miss.csv", 0, 9999, -1, 1);

  /* the terms refused unless asked for (callers that use x positions) */
  {
    const char *x[] = {"a*b"};
    spill_panel_spec spec = {"city", "year", "y", "d", NULL, x, 1, 0};
    spill_panel *p = spill_panel_read_csv(ctx, full, &spec);
    CHECK(p == NULL && strstr(spill_ctx_error(ctx), "not available here"));
    spill_panel_free(p);
    spill_ctx_clear_error(ctx);
  }

  /* the panel: columns a, b, a:b equal to the hand-made ones */
  {
    const char *x[] = {"a*b*c"}, *h[] = {"a", "b", "c", "ab", "ac", "bc", "abc"};
    spill_panel *p = read_terms(ctx, full, "d", NULL, x, 1, 0), *q = read_terms(ctx, full, "d", NULL, h, 7, 0);
    if (p && q) {
      CHECK_EQ_INT(p->nx, 7);
      CHECK_STR(p->x_names[6], "a:b:c");
      for (size_t k = 0; k < 7 && p->nx == 7; k++)
        for (int64_t c = 0; c < N * T; c++) CHECK_REL(p->x[k * N * T + c], q->x[k * N * T + c], 0);
    }
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* OLS TWFE (cluster-robust SEs), balanced and with a missing factor */
  spill_fit_opts_init(&fo);
  fo.model = SPILL_MODEL_OLS;
  for (int m = 0; m < 2; m++) {
    const char *x[] = {"c", "a*b"}, *h[] = {"c", "a", "b", "ab"};
    const char *nm[] = {"d", "c", "a", "b", "a:b"};
    const char *path = m ? miss : full;
    spill_panel *p = read_terms(ctx, path, "d", NULL, x, 2, 1), *q = read_terms(ctx, path, "d", NULL, h, 4, 1);
    spill_fit *f = p ? spill_fit_model(ctx, p, NULL, &fo) : NULL, *g = q ? spill_fit_model(ctx, q, NULL, &fo) : NULL;
    CHECK_MSG(f && g, "%s", spill_ctx_error(ctx));
    if (f && g) {
      same_fit(f, g, nm, 1e-12);
      CHECK_EQ_INT(f->nobs, N * T - m); /* the row with a missing factor is left out */
    }
    spill_fit_free(f);
    spill_fit_free(g);
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* the treatment as a factor: did*b with --adopt equals a hand-made d*b */
  {
    const char *x[] = {"did*b"}, *h[] = {"b", "db"};
    spill_panel *p = read_terms(ctx, full, NULL, "pilot", x, 1, 1), *q = read_terms(ctx, full, "d", NULL, h, 2, 1);
    spill_fit *f = p ? spill_fit_model(ctx, p, NULL, &fo) : NULL, *g = q ? spill_fit_model(ctx, q, NULL, &fo) : NULL;
    CHECK_MSG(f && g, "%s", spill_ctx_error(ctx));
    if (f && g) {
      const char *nm[] = {"did", "b", "did:b"};
      same_fit(f, g, nm, 1e-12);
    }
    spill_fit_free(f);
    spill_fit_free(g);
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* SDM, two-way FE: coefficients, W terms, SEs, rho, effects */
  {
    const char *x[] = {"a*b", "c"}, *h[] = {"a", "b", "ab", "c"};
    const char *nm[] = {"d", "a", "b", "a:b", "c", "W*d", "W*a", "W*b", "W*a:b", "W*c"};
    spill_panel *p = read_terms(ctx, full, "d", NULL, x, 2, 0), *q = read_terms(ctx, full, "d", NULL, h, 4, 0);
    spill_fit *f = NULL, *g = NULL;
    spill_effects *ef = NULL, *eg = NULL;
    spill_effects_opts eo;
    spill_effects_opts_init(&eo);
    eo.draws = 200;
    spill_fit_opts_init(&fo);
    if (p && q && !spill_panel_align(ctx, p, w) && !spill_panel_align(ctx, q, w)) {
      f = spill_fit_model(ctx, p, w, &fo);
      g = spill_fit_model(ctx, q, w, &fo);
    }
    CHECK_MSG(f && g, "%s", spill_ctx_error(ctx));
    if (f && g) {
      same_fit(f, g, nm, 1e-12);
      CHECK_REL(f->sigma2, g->sigma2, 1e-12);
      ef = spill_effects_compute(ctx, f, w, NULL, &eo);
      eg = spill_effects_compute(ctx, g, w, NULL, &eo);
      CHECK(ef && eg && ef->count == eg->count);
      for (size_t k = 0; ef && eg && k < ef->count && ef->count == eg->count; k++) {
        CHECK_REL(ef->e[k].direct.estimate, eg->e[k].direct.estimate, 1e-12);
        CHECK_REL(ef->e[k].indirect.estimate, eg->e[k].indirect.estimate, 1e-12);
        CHECK_REL(ef->e[k].total.se_delta, eg->e[k].total.se_delta, 1e-12);
        CHECK_REL(ef->e[k].indirect.sd, eg->e[k].indirect.sd, 1e-12);
      }
      CHECK(ef && spill_effects_find(ef, "a:b") != NULL);
    }
    spill_effects_free(ef);
    spill_effects_free(eg);
    spill_fit_free(f);
    spill_fit_free(g);
    /* the other spatial models with W terms: SLX and SDEM */
    for (int m = 0; m < 2; m++) {
      spill_fit_opts_init(&fo);
      fo.model = m ? SPILL_MODEL_SDEM : SPILL_MODEL_SLX;
      f = p && q ? spill_fit_model(ctx, p, w, &fo) : NULL;
      g = p && q ? spill_fit_model(ctx, q, w, &fo) : NULL;
      CHECK_MSG(f && g, "%s", spill_ctx_error(ctx));
      if (f && g) same_fit(f, g, nm, 1e-10);
      spill_fit_free(f);
      spill_fit_free(g);
    }
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* event study (TWFE) with the interaction as controls */
  {
    const char *x[] = {"a*b"}, *h[] = {"a", "b", "ab"};
    spill_panel *p = read_terms(ctx, full, NULL, "pilot", x, 1, 0), *q = read_terms(ctx, full, NULL, "pilot", h, 3, 0);
    spill_es_opts eo;
    spill_eventstudy *e = NULL, *r = NULL;
    spill_es_opts_init(&eo);
    eo.lead = 2;
    eo.lag = 2;
    if (p && q) {
      e = spill_eventstudy_fit(ctx, p, NULL, &eo);
      r = spill_eventstudy_fit(ctx, q, NULL, &eo);
    }
    CHECK_MSG(e && r, "%s", spill_ctx_error(ctx));
    if (e && r) {
      CHECK_EQ_INT(e->m, r->m);
      for (size_t k = 0; k < e->m && e->m == r->m; k++) {
        CHECK_REL(e->coef[k], r->coef[k], 1e-12);
        CHECK_REL(e->se[k], r->se[k], 1e-12);
      }
      CHECK_REL(e->pre_wald, r->pre_wald, 1e-10);
      same_fit(e->fit, r->fit, NULL, 1e-12);
    }
    spill_eventstudy_free(e);
    spill_eventstudy_free(r);
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* a Stata .dta: labelled codes enter the product by their numbers; a
   * missing factor leaves the row out */
  for (int m = 0; m < 2; m++) {
    const char *path = write_dta(dir, m ? "miss.dta" : "full.dta", m);
    const char *x[] = {"a*b"}, *h[] = {"a", "b", "ab"};
    spill_panel_spec sx = {"city", "year", "y", "d", NULL, x, 1, 0}, sh = {"city", "year", "y", "d", NULL, h, 3, 0};
    spill_panel *p, *q;
    spill_fit *f = NULL, *g = NULL;
    spill_ctx_set_x_terms(ctx, "--x");
    if (m) {
      p = spill_panel_read_years(ctx, path, &sx, NULL, 0, 9999);
      CHECK(!p && strstr(spill_ctx_error(ctx), "unbalanced panel within --years"));
      spill_panel_free(p);
      sx.drop_incomplete = sh.drop_incomplete = 1; /* the unit with the missing cell goes */
    }
    p = spill_panel_read(ctx, path, &sx, NULL);
    q = spill_panel_read(ctx, path, &sh, NULL);
    spill_ctx_set_x_terms(ctx, NULL);
    CHECK_MSG(p && q, "%s", spill_ctx_error(ctx));
    if (p && q) {
      CHECK_EQ_INT(p->n, N - m);
      CHECK_EQ_INT(p->nx, 3);
      for (int64_t c = 0; p->nx == 3 && c < p->n * p->t; c++) {
        CHECK_REL(p->x[2 * p->n * p->t + c], q->x[2 * q->n * q->t + c], 0);
        CHECK_REL(p->x[1 * p->n * p->t + c], q->x[1 * q->n * q->t + c], 0);
      }
      spill_fit_opts_init(&fo);
      fo.model = SPILL_MODEL_OLS;
      f = spill_fit_model(ctx, p, NULL, &fo);
      g = spill_fit_model(ctx, q, NULL, &fo);
      CHECK(f && g);
      if (f && g) {
        const char *nm[] = {"d", "a", "b", "a:b"};
        same_fit(f, g, nm, 1e-12);
      }
    }
    spill_fit_free(f);
    spill_fit_free(g);
    spill_panel_free(p);
    spill_panel_free(q);
  }

  /* --years: the window equals the file cut by hand, even when a unit lacks
   * a year outside the window */
  holey = write_panel(dir, "holey.csv", 0, 9999, 5, 0);
  cut = write_panel(dir, "cut.csv", Y0 + 2, Y0 + 6, -1, 0);
  {
    const char *x[] = {"a*b"};
    spill_panel_spec spec = {"city", "year", "y", "d", NULL, x, 1, 0};
    spill_panel *p, *q;
    spill_ctx_set_x_terms(ctx, "--x");
    p = spill_panel_read_years(ctx, holey, &spec, NULL, Y0 + 2, Y0 + 6);
    q = spill_panel_read_csv(ctx, cut, &spec);
    CHECK_MSG(p && q, "%s", spill_ctx_error(ctx));
    if (p && q) {
      spill_fit *f, *g;
      CHECK_EQ_INT(p->t, 5);
      CHECK(p->obs == NULL);
      spill_fit_opts_init(&fo);
      CHECK(!spill_panel_align(ctx, p, w) && !spill_panel_align(ctx, q, w));
      f = spill_fit_model(ctx, p, w, &fo);
      g = spill_fit_model(ctx, q, w, &fo);
      CHECK(f && g);
      if (f && g) same_fit(f, g, NULL, 1e-12);
      spill_fit_free(f);
      spill_fit_free(g);
    }
    spill_panel_free(p);
    spill_panel_free(q);
    /* the hole inside the window: an error naming the unit, or dropped */
    p = spill_panel_read_years(ctx, holey, &spec, NULL, Y0, Y0 + 3);
    CHECK_MSG(!p && strstr(spill_ctx_error(ctx), "unbalanced panel within --years") &&
                  strstr(spill_ctx_error(ctx), "105"),
              "%s", spill_ctx_error(ctx));
    spill_panel_free(p);
    spec.drop_incomplete = 1;
    p = spill_panel_read_years(ctx, holey, &spec, NULL, Y0, Y0 + 3);
    CHECK(p && p->n == N - 1 && p->t == 4 && !p->obs);
    spill_panel_free(p);
    /* a window with no period */
    p = spill_panel_read_years(ctx, holey, &spec, NULL, 1900, 1950);
    CHECK(!p && strstr(spill_ctx_error(ctx), "no period of the panel"));
    spill_panel_free(p);
    spill_ctx_set_x_terms(ctx, NULL);
  }

  spill_weights_free(w);
  spill_ctx_free(ctx);
  return check_done("interact");
}

/* Absorbed effects with the ML models (spill fit --absorb with sdm, sar,
 * sem): province-by-year effects and province trends added as columns by
 * spill_panel_add_absorb_columns give the same rho, coefficients and SEs as
 * the same model with hand-made dummy (trend) columns in X, every one of
 * them, left for the design to drop the collinear ones (1e-8); the effects
 * leave the dummies out. */
#include "check.h"
#include "spill.h"

enum { R = 6, C = 6, NU = R * C, NT = 8, NP = 5 };

/* The panel: did, x1, then every province-by-year dummy "py_p_s" and every
 * province trend "tr_p" (prov indicator times year - 2000). */
static void write_panel(const char *path)
{
  FILE *f = fopen(path, "w");
  spill_rng rng;
  double a[NU], b[NT], pb[NP * NT];
  spill_rng_seed(&rng, 31);
  for (int i = 0; i < NU; i++) a[i] = spill_rng_normal(&rng);
  for (int s = 0; s < NT; s++) b[s] = spill_rng_normal(&rng);
  for (int q = 0; q < NP * NT; q++) pb[q] = spill_rng_normal(&rng);
  fprintf(f, "id,year,prov,y,did,x1");
  for (int p = 0; p < NP; p++)
    for (int s = 0; s < NT; s++) fprintf(f, ",py_%d_%d", p, s);
  for (int p = 0; p < NP; p++) fprintf(f, ",tr_%d", p);
  fputc('\n', f);
  for (int i = 0; i < NU; i++)
    for (int s = 0; s < NT; s++) {
      int pr = (i / 3) % NP, did = (i % 4 == 0) && s >= 3 + i % 3;
      double x1 = spill_rng_normal(&rng) + 0.3 * pb[pr * NT + s];
      double y = a[i] + b[s] + pb[pr * NT + s] + 0.2 * pr * s + 0.5 * did + 0.7 * x1 + spill_rng_normal(&rng);
      fprintf(f, "%d,%d,P%d,%.17g,%d,%.17g", i + 1, 2001 + s, pr, y, did, x1);
      for (int p = 0; p < NP; p++)
        for (int q = 0; q < NT; q++) fprintf(f, ",%d", p == pr && q == s);
      for (int p = 0; p < NP; p++) fprintf(f, ",%d", p == pr ? s + 1 : 0);
      fputc('\n', f);
    }
  fclose(f);
}

/* Fit with the absorbed term added by the library, and with the hand-made
 * columns named by prefix (all of them, no W terms); compare. */
static void compare(spill_ctx *ctx, const char *path, const spill_weights *w, spill_model model, const char *term,
                    const char *prefix, int ncols)
{
  const char *base[2] = {"x1", NULL};
  char **hand = calloc((size_t)ncols + 1, sizeof *hand);
  const char **cols = calloc((size_t)ncols + 2, sizeof *cols);
  spill_panel_spec s1 = {"id", "year", "y", "did", NULL, base, 1, 0};
  spill_panel *p1, *p2;
  spill_fit_opts o;
  spill_fit *f1 = NULL, *f2 = NULL;
  size_t added = 0, nb = 0;
  cols[0] = "x1";
  for (int j = 0; j < ncols; j++) {
    hand[j] = malloc(32);
    if (!strcmp(prefix, "py_")) snprintf(hand[j], 32, "py_%d_%d", j / NT, j % NT);
    else snprintf(hand[j], 32, "tr_%d", j);
    cols[1 + j] = hand[j];
  }
  spill_panel_spec s2 = {"id", "year", "y", "did", NULL, cols, (size_t)ncols + 1, 0};
  p1 = spill_panel_read_csv(ctx, path, &s1);
  p2 = spill_panel_read_csv(ctx, path, &s2);
  CHECK_MSG(p1 && p2, "%s", spill_ctx_error(ctx));
  if (p1 && p2) {
    const char *terms[1] = {term};
    for (int64_t i = 0; i < p1->n; i++) CHECK_STR(p1->ids[i], w->ids[i]);
    CHECK(spill_panel_add_absorb_columns(ctx, p1, path, "id", "year", terms, 1, SPILL_FE_TWOWAYS, 0, &added) == 0);
    spill_fit_opts_init(&o);
    o.model = model;
    o.logdet = SPILL_LOGDET_EIGEN;
    o.n_fe_cols = added;
    f1 = spill_fit_model(ctx, p1, w, &o);
    CHECK_MSG(f1 != NULL, "%s", spill_ctx_error(ctx));
    o.n_fe_cols = (size_t)ncols;
    f2 = spill_fit_model(ctx, p2, w, &o);
    CHECK_MSG(f2 != NULL, "%s", spill_ctx_error(ctx));
  }
  if (f1 && f2) {
    /* the non-dummy coefficients in order: did, x1[, W*did, W*x1] */
    size_t j1 = 0, j2 = 0;
    while (1) {
      while (j1 < f1->k && f1->fe_dummy && f1->fe_dummy[j1]) j1++;
      while (j2 < f2->k && f2->fe_dummy && f2->fe_dummy[j2]) j2++;
      if (j1 >= f1->k || j2 >= f2->k) break;
      CHECK_STR(f1->names[j1], f2->names[j2]);
      CHECK_REL(f1->coef[j1], f2->coef[j2], model == SPILL_MODEL_SEM ? 1e-6 : 1e-8);
      CHECK_REL(f1->se[j1], f2->se[j2], model == SPILL_MODEL_SEM ? 1e-6 : 1e-8);
      j1++, j2++, nb++;
    }
    CHECK_EQ_INT(nb, model == SPILL_MODEL_SDM ? 4 : 2);
    if (f1->has_rho) {
      /* the SEM's lambda comes from an iterative search that stops near
       * 1e-7 (both fits are at the optimum to that tolerance) */
      double tol = model == SPILL_MODEL_SEM ? 1e-6 : 1e-8;
      CHECK_REL(f1->rho, f2->rho, tol);
      CHECK_REL(f1->rho_se, f2->rho_se, tol);
    }
    CHECK_REL(f1->sigma2, f2->sigma2, model == SPILL_MODEL_SEM ? 1e-6 : 1e-8);
    CHECK_REL(f1->loglik, f2->loglik, 1e-8);
    /* no W term of any dummy; the effects are did and x1 alone */
    for (size_t j = 0; j < f1->k; j++) CHECK(!(f1->fe_dummy[j] && strncmp(f1->names[j], "W*", 2) == 0));
    for (size_t j = 0; j < f1->k; j++) CHECK(strncmp(f1->names[j], "W*prov", 6) != 0);
    {
      spill_effects_opts eo;
      spill_effects *e;
      spill_effects_opts_init(&eo);
      eo.draws = 0;
      e = spill_effects_compute(ctx, f1, w, NULL, &eo);
      CHECK_MSG(e != NULL, "%s", spill_ctx_error(ctx));
      if (e) {
        CHECK_EQ_INT(e->count, 2);
        CHECK_STR(e->e[0].name, "did");
        CHECK_STR(e->e[1].name, "x1");
      }
      spill_effects_free(e);
    }
    printf("%s %s: rho %.6f (se %.6f), did %.6f (se %.6f); %zu columns added\n", model == SPILL_MODEL_SDM ? "SDM" : model == SPILL_MODEL_SAR ? "SAR" : "SEM",
           term, f1->rho, f1->rho_se, f1->coef[0], f1->se[0], added);
  }
  spill_fit_free(f1);
  spill_fit_free(f2);
  spill_panel_free(p1);
  spill_panel_free(p2);
  for (int j = 0; j < ncols; j++) free(hand[j]);
  free(hand);
  free(cols);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  char path[1200];
  spill_weights *w = spill_weights_lattice(ctx, R, C, 1);
  snprintf(path, sizeof path, "%s/pp.csv", check_tmpdir());
  write_panel(path);
  CHECK(w && spill_weights_transform(ctx, w, 'W') == 0);
  if (w) {
    compare(ctx, path, w, SPILL_MODEL_SDM, "prov#year", "py_", NP * NT);
    compare(ctx, path, w, SPILL_MODEL_SDM, "prov#c.year", "tr_", NP);
    compare(ctx, path, w, SPILL_MODEL_SAR, "prov#year", "py_", NP * NT);
    compare(ctx, path, w, SPILL_MODEL_SEM, "prov#year", "py_", NP * NT);
  }
  /* a province factor beside unit effects adds nothing */
  {
    const char *base[1] = {"x1"}, *terms[1] = {"prov"};
    spill_panel_spec s = {"id", "year", "y", "did", NULL, base, 1, 0};
    spill_panel *p = spill_panel_read_csv(ctx, path, &s);
    size_t added = 9;
    CHECK(p && spill_panel_add_absorb_columns(ctx, p, path, "id", "year", terms, 1, SPILL_FE_TWOWAYS, 0, &added) == 0);
    CHECK_EQ_INT(added, 0);
    /* with time effects only it enters as NP - 1 dummies */
    CHECK(p && spill_panel_add_absorb_columns(ctx, p, path, "id", "year", terms, 1, SPILL_FE_TIME, 0, &added) == 0);
    CHECK_EQ_INT(added, NP - 1);
    spill_panel_free(p);
  }
  spill_weights_free(w);
  spill_ctx_free(ctx);
  return check_done("test_absorb_ml");
}

/* The OLS DID with absorbed fixed effects (--absorb) and chosen standard
 * errors (--vce): unit and period effects plus terms built from unit-level
 * columns of the panel file (prov, prov#year, prov#c.year), demeaned by
 * alternating projections (estimation/absorb.c), singletons dropped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/absorb.h"
#include "estimation/estimation.h"

extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

/* Codes 0..levels-1 per panel unit of a column fixed within each unit. */
static int unit_codes(spill_ctx *ctx, const spill__table *tb, long cid, const char *col, const spill_panel *p,
                      int32_t *code, int32_t *levels)
{
  long cc = spill__table_require_col(ctx, tb, col);
  if (cc < 0) return ctx->status;
  const char **val = calloc((size_t)p->n, sizeof *val);
  if (!val) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  for (size_t r = 0; r < tb->nrows; r++) {
    char canon[32];
    const char *id = spill__table_cell(tb, r, (size_t)cid), *v = spill__table_cell(tb, r, (size_t)cc);
    if (spill__canonical_id(id, canon)) id = canon;
    for (int64_t i = 0; i < p->n; i++)
      if (!strcmp(p->ids[i], id)) {
        if (val[i] && strcmp(val[i], v)) {
          int rc = spill__fail(ctx, SPILL_EDATA,
                               "absorb/vce: unit '%s' changes its '%s' over time ('%s', then '%s' on line %zu); "
                               "only columns fixed within each unit (a province, a region) are supported",
                               id, col, val[i], v, r + 2);
          free(val);
          return rc;
        }
        val[i] = v;
        break;
      }
  }
  int32_t nl = 0;
  for (int64_t i = 0; i < p->n; i++) {
    if (!val[i] || !*val[i]) {
      int rc = spill__fail(ctx, SPILL_EDATA, "absorb/vce: unit '%s' has no value of '%s'", p->ids[i], col);
      free(val);
      return rc;
    }
    int64_t j = 0;
    while (j < i && strcmp(val[j], val[i])) j++;
    code[i] = j < i ? code[j] : nl++;
  }
  *levels = nl;
  free(val);
  return SPILL_OK;
}

typedef struct ab_col {
  int32_t *code; /* per observation (n*t, time-major) */
  int32_t levels;
  double *slope;
} ab_col;

/* A factor "COL" per observation: the unit id column, the time column or a
 * unit-level column. */
static int factor_obs(spill_ctx *ctx, const spill__table *tb, long cid, const char *id_col, const char *time_col,
                      const char *name, const spill_panel *p, int32_t *out, int32_t *levels)
{
  if (!*name) return spill__fail(ctx, SPILL_EINVAL, "an empty column name");
  int64_t n = p->n, t = p->t;
  if (!strcmp(name, time_col)) {
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) out[s * n + i] = (int32_t)s;
    *levels = (int32_t)t;
    return SPILL_OK;
  }
  if (!strcmp(name, id_col)) {
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) out[s * n + i] = (int32_t)i;
    *levels = (int32_t)n;
    return SPILL_OK;
  }
  int32_t *uc = malloc((size_t)n * sizeof *uc);
  if (!uc) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  int rc = unit_codes(ctx, tb, cid, name, p, uc, levels);
  if (!rc)
    for (int64_t s = 0; s < t; s++)
      for (int64_t i = 0; i < n; i++) out[s * n + i] = uc[i];
  free(uc);
  return rc;
}

/* "A", "A#B" (interaction) or "A#c.B" (slopes on B per level of A; B the
 * time column: linear trends, centred). */
static int parse_term(spill_ctx *ctx, const spill__table *tb, long cid, const char *id_col, const char *time_col,
                      const char *term, const spill_panel *p, ab_col *c)
{
  int64_t nt = p->n * p->t;
  char a[128], b[128];
  const char *h = strchr(term, '#');
  c->code = malloc((size_t)nt * sizeof *c->code);
  if (!c->code) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  if (!h) return factor_obs(ctx, tb, cid, id_col, time_col, term, p, c->code, &c->levels);
  snprintf(a, sizeof a, "%.*s", (int)(h - term), term);
  snprintf(b, sizeof b, "%s", h + 1);
  if (strchr(b, '#')) return spill__fail(ctx, SPILL_EINVAL, "--absorb %s: at most two columns per term (A#B)", term);
  int rc = factor_obs(ctx, tb, cid, id_col, time_col, a, p, c->code, &c->levels);
  if (rc) return rc;
  if (!strncmp(b, "c.", 2)) {
    if (strcmp(b + 2, time_col))
      return spill__fail(ctx, SPILL_EINVAL, "--absorb %s: slopes are supported on the time column '%s' (trends)", term,
                         time_col);
    c->slope = malloc((size_t)nt * sizeof *c->slope);
    if (!c->slope) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
    double mt = 0;
    for (int64_t s = 0; s < p->t; s++) mt += (double)p->times[s] / (double)p->t;
    for (int64_t s = 0; s < p->t; s++)
      for (int64_t i = 0; i < p->n; i++) c->slope[s * p->n + i] = (double)p->times[s] - mt;
    return SPILL_OK;
  }
  int32_t *bc = malloc((size_t)nt * sizeof *bc), lb = 0;
  if (!bc) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  rc = factor_obs(ctx, tb, cid, id_col, time_col, b, p, bc, &lb);
  if (!rc) rc = spill__absorb_interact(ctx, c->code, bc, nt, c->code, &c->levels);
  free(bc);
  return rc;
}

int spill__absorb_factor(spill_ctx *ctx, const struct spill__table *tb, long cid, const char *id_col,
                         const char *time_col, const char *name, const spill_panel *p, int32_t *out,
                         int32_t *levels)
{
  return factor_obs(ctx, tb, cid, id_col, time_col, name, p, out, levels);
}

int spill__absorb_term(spill_ctx *ctx, const struct spill__table *tb, long cid, const char *id_col,
                       const char *time_col, const char *term, const spill_panel *p, int32_t **code,
                       int32_t *levels, double **slope)
{
  ab_col c = {NULL, 0, NULL};
  int rc = parse_term(ctx, tb, cid, id_col, time_col, term, p, &c);
  *code = c.code;
  *levels = c.levels;
  *slope = c.slope;
  return rc;
}

spill_fit *spill_fit_absorb(spill_ctx *ctx, const spill_panel *p, const spill_absorb_opts *ao)
{
  int64_t n = p->n, t = p->t, nt = n * t;
  size_t nterm = 2 + ao->nterms;
  ab_col *col = calloc(nterm + 2, sizeof *col);
  spill__fe_term *terms = calloc(nterm, sizeof *terms);
  spill__table *tb = NULL;
  spill__design *d = NULL;
  spill_fit *f = NULL;
  unsigned char *keep = NULL;
  double *cols = NULL, *r = NULL, *e = NULL, *v = NULL;
  int32_t *c1 = NULL, *c2 = NULL;
  int ok = 0;
  if (!col || !terms) {
    spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
    goto done;
  }
  if (!(tb = spill__table_read(ctx, ao->path))) goto done;
  long cid = spill__table_require_col(ctx, tb, ao->id_col);
  if (cid < 0) goto done;
  /* unit and period effects first (the dof count is exact for these two) */
  if (parse_term(ctx, tb, cid, ao->id_col, ao->time_col, ao->id_col, p, &col[0]) ||
      parse_term(ctx, tb, cid, ao->id_col, ao->time_col, ao->time_col, p, &col[1]))
    goto done;
  for (size_t q = 0; q < ao->nterms; q++)
    if (parse_term(ctx, tb, cid, ao->id_col, ao->time_col, ao->terms[q], p, &col[2 + q])) {
      spill__fail_prefix(ctx, "--absorb %s: ", ao->terms[q]);
      goto done;
    }
  for (size_t q = 0; q < nterm; q++) terms[q] = (spill__fe_term){col[q].code, col[q].levels, col[q].slope};
  /* standard errors */
  spill__vce_kind kind = SPILL__VCE_CLUSTER;
  const char *cl = ao->id_col;
  if (ao->vce && !strcmp(ao->vce, "robust")) kind = SPILL__VCE_HC1;
  else if (ao->vce && !strncmp(ao->vce, "cluster ", 8)) cl = ao->vce + 8;
  else if (ao->vce) {
    spill__fail(ctx, SPILL_EINVAL, "--vce '%s': expected robust, cluster COL or cluster COL1#COL2", ao->vce);
    goto done;
  }
  if (kind != SPILL__VCE_HC1) {
    char a[128];
    const char *h = strchr(cl, '#');
    snprintf(a, sizeof a, "%.*s", h ? (int)(h - cl) : (int)strlen(cl), cl);
    c1 = malloc((size_t)nt * sizeof *c1);
    int32_t l1, l2;
    if (!c1 || factor_obs(ctx, tb, cid, ao->id_col, ao->time_col, a, p, c1, &l1)) goto done;
    if (h) {
      kind = SPILL__VCE_CLUSTER2;
      c2 = malloc((size_t)nt * sizeof *c2);
      if (!c2 || factor_obs(ctx, tb, cid, ao->id_col, ao->time_col, h + 1, p, c2, &l2)) goto done;
    }
  }
  /* raw columns: no transform, no constant */
  if (!(d = spill__design_new(ctx, p, NULL, SPILL_FE_NONE, 0, 0, 0))) goto done;
  size_t k = d->k;
  keep = malloc((size_t)nt);
  cols = malloc((size_t)nt * (k + 1) * sizeof *cols);
  r = malloc(k * k * sizeof *r + 1);
  e = malloc((size_t)nt * sizeof *e);
  v = malloc(k * k * sizeof *v + 1);
  if (!keep || !cols || !r || !e || !v) {
    spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
    goto done;
  }
  for (int64_t i = 0; i < nt; i++) keep[i] = p->obs ? p->obs[i] != 0 : 1;
  int64_t dropped = spill__absorb_singletons(terms, nterm, nt, keep);
  if (dropped) spill__notice(ctx, "absorb: %lld singleton observations dropped (alone in a fixed-effect level)", (long long)dropped);
  memcpy(cols, d->z, (size_t)nt * k * sizeof *cols);
  memcpy(cols + (size_t)nt * k, d->y, (size_t)nt * sizeof *cols);
  int iters = 0;
  if (spill__absorb_demean(ctx, terms, nterm, nt, keep, cols, k + 1, 1e-14, 100000, &iters)) goto done;
  if (spill__xtx_chol(ctx, cols, nt, k, r)) {
    spill__fail_prefix(ctx, "absorb: a regressor is collinear with the absorbed effects: ");
    goto done;
  }
  if (!(f = spill__fit_alloc(ctx, d, SPILL_MODEL_OLS, SPILL_FE_TWOWAYS, 0, 0))) goto done;
  for (int64_t i = 0; i < n; i++)
    if (!(f->ids[i] = spill__strdup(ctx, p->ids[i]))) goto done;
  const double *yd = cols + (size_t)nt * k;
  spill__ls_solve(cols, nt, k, r, yd, f->coef);
  double sse = 0, sst = 0;
  int64_t nobs = 0;
  for (int64_t i = 0; i < nt; i++) {
    double fit = 0;
    for (size_t j = 0; j < k; j++) fit += cols[j * (size_t)nt + (size_t)i] * f->coef[j];
    e[i] = keep[i] ? yd[i] - fit : 0;
    sse += e[i] * e[i];
    sst += keep[i] ? yd[i] * yd[i] : 0;
    nobs += keep[i];
  }
  /* (X'X)^-1 from the Cholesky factor */
  memcpy(v, r, k * k * sizeof *v);
  {
    int kk = (int)k, info = 0;
    dpotri_("U", &kk, v, &kk, &info);
    for (size_t a = 0; a < k; a++)
      for (size_t b = a + 1; b < k; b++) v[a * k + b] = v[b * k + a];
  }
  double *xtx_inv = malloc(k * k * sizeof *xtx_inv + 1);
  if (!xtx_inv) goto done;
  memcpy(xtx_inv, v, k * k * sizeof *v);
  /* a term nested in a clustering (either, with two-way) is not counted, the
   * constant then counting one (reghdfe; K as xtreg, fe when the units nest
   * in the clusters) */
  int add_cons = 0;
  double dof = spill__absorb_dof2(terms, nterm, nt, keep, kind == SPILL__VCE_HC1 ? NULL : c1,
                                  kind == SPILL__VCE_CLUSTER2 ? c2 : NULL, &add_cons);
  dof += add_cons;
  double dof_all = spill__absorb_dof(terms, nterm, nt, keep, NULL);
  int64_t g = 0;
  int vrc = spill__vce(ctx, kind, cols, e, nt, k, keep, xtx_inv, c1, c2, (double)k + dof, v, &g);
  if (!vrc && kind != SPILL__VCE_HC1 && g < 2) vrc = spill__fail(ctx, SPILL_EDATA, "--vce: clustered SEs need at least two clusters");
  double s2 = sse / ((double)nobs - (double)k - dof_all);
  for (size_t a = 0; a < k; a++) {
    for (size_t b = 0; b < k; b++) f->vcov[a * f->nv + b] = v[a * k + b];
    f->se[a] = sqrt(v[a * k + a]);
    if (f->se_conv) f->se_conv[a] = sqrt(s2 * xtx_inv[a * k + a]);
  }
  free(xtx_inv);
  if (vrc) goto done;
  f->sigma2 = s2;
  f->nobs = nobs;
  f->r2_within = sst > 0 ? 1 - sse / sst : NAN;
  f->r2 = NAN;
  f->loglik = -0.5 * (double)nobs * (log(2.0 * 3.14159265358979323846 * sse / (double)nobs) + 1.0);
  f->aic = -2.0 * f->loglik + 2.0 * ((double)k + 1.0);
  snprintf(f->logdet_method, sizeof f->logdet_method, "none");
  {
    size_t off = 0;
    for (size_t q = 0; q < ao->nterms && off + 2 < sizeof f->absorb; q++)
      off += (size_t)snprintf(f->absorb + off, sizeof f->absorb - off, "%s%s", q ? "," : "", ao->terms[q]);
    if (kind == SPILL__VCE_HC1) snprintf(f->vce, sizeof f->vce, "robust (HC1)");
    else if (kind == SPILL__VCE_CLUSTER) snprintf(f->vce, sizeof f->vce, "cluster %s (%lld)", cl, (long long)g);
    else snprintf(f->vce, sizeof f->vce, "cluster %s (two-way)", cl);
    f->absorbed_dof = dof_all;
    f->singletons = dropped;
  }
  spill__notice(ctx, "absorb: %zu fixed-effect terms, %.0f degrees of freedom absorbed, %d projection sweeps", nterm,
                dof_all, iters);
  ok = 1;
done:
  for (size_t q = 0; col && q < nterm + 2; q++) {
    free(col[q].code);
    free(col[q].slope);
  }
  free(col);
  free(terms);
  spill__table_free(tb);
  spill__design_free(d);
  free(keep);
  free(cols);
  free(r);
  free(e);
  free(v);
  free(c1);
  free(c2);
  if (!ok) {
    spill_fit_free(f);
    return NULL;
  }
  return f;
}

/* Design matrices (within-transformed, collinear columns dropped) and least
 * squares: the TWFE DID by OLS with conventional and cluster-robust SEs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
                    const int *lda, double *b, const int *ldb, int *info);
extern void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
extern void dgetri_(const int *n, double *a, const int *lda, const int *ipiv, double *work,
                    const int *lwork, int *info);

/* A column is dropped when what is left of it after the fixed effects and
 * the columns before it is below this fraction of its raw norm. */
#define COLLINEAR_TOL 1e-9

void spill__design_free(spill__design *d)
{
  if (!d) return;
  free(d->z);
  free(d->y);
  free(d->wy);
  if (d->names)
    for (size_t j = 0; j < d->k; j++) free(d->names[j]);
  free(d->names);
  free(d->wlag);
  free(d->base);
  if (d->omitted)
    for (size_t j = 0; j < d->n_omitted; j++) free(d->omitted[j]);
  free(d->omitted);
  free(d->zraw);
  free(d->yraw);
  free(d->fe_dummy);
  free(d);
}

static double dot(const double *a, const double *b, int64_t n)
{
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Why the treatment has no variation left after the fixed effects: fails
 * with a message saying what the DID lacks (cells are d[s * n + i]). */
static void treat_not_identified(spill_ctx *ctx, const spill_panel *p, spill_fe fe, const char *name)
{
  int64_t n = p->n, t = p->t, first = -1;
  int by_time = 1, by_unit = 1;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      double v = p->d[s * n + i];
      if (p->obs && !p->obs[s * n + i]) continue;
      if (v != 0.0 && first < 0) first = s;
      for (int64_t j = 0; j < i && by_time; j++)
        if ((!p->obs || p->obs[s * n + j]) && p->d[s * n + j] != v) by_time = 0;
      for (int64_t r = 0; r < s && by_unit; r++)
        if ((!p->obs || p->obs[r * n + i]) && p->d[r * n + i] != v) by_unit = 0;
    }
  if (first < 0 || (by_time && by_unit))
    spill__fail(ctx, SPILL_EDATA, "the treatment '%s' never changes (it is %s everywhere): there is nothing "
                "to compare, the DID is not identified", name, first < 0 ? "0" : "the same");
  else if (by_time)
    spill__fail(ctx, SPILL_EDATA, "the treatment '%s' is the same for every unit within each period (all units "
                "treated at once, from %lld): it is collinear with the time fixed effects, so the DID is not "
                "identified; it needs units not (yet) treated to compare with", name,
                (long long)(p->times ? p->times[first] : first + 1));
  else if (by_unit)
    spill__fail(ctx, SPILL_EDATA, "the treatment '%s' never changes within a unit (units are always or never "
                "treated): it is collinear with the unit fixed effects, so the DID is not identified; it needs "
                "units whose treatment starts inside the panel", name);
  else
    spill__fail(ctx, SPILL_EDATA, "the treatment '%s' has no variation left after the %s fixed effects: the "
                "DID is not identified", name, spill__fe_name(fe));
}

spill__design *spill__design_new(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                 spill_fe fe, int intercept, int lags, int splm_wy)
{
  return spill__design_new_fe(ctx, p, w, fe, intercept, lags, splm_wy, 0);
}

spill__design *spill__design_new_fe(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe,
                                    int intercept, int lags, int splm_wy, size_t nfe)
{
  int64_t n = p->n, t = p->t, nt = n * t;
  size_t nbase = (intercept ? 1 : 0) + (p->d ? 1 : 0) + p->nx;
  /* the absorbed-effect columns (the last nfe of p->x) get no W term */
  size_t nlag = lags ? (p->d ? 1 : 0) + p->nx - (nfe < p->nx ? nfe : p->nx) : 0, ncand = nbase + nlag;
  spill__design *d = NULL;
  double *work = NULL, *q = NULL, *raw = NULL, *sub = NULL;
  long *cand_keep = NULL;
  spill__wplan *plan = NULL;
  int64_t *live = NULL, nlive = 0; /* W's units with a neighbour (for W terms) */
  int ok = 0;

  d = spill__calloc(ctx, 1, sizeof *d);
  if (!d) return NULL;
  d->n = n;
  d->t = t;
  d->nt = nt;
  d->treat = -1;
  d->fe = fe;
  d->splm_wy = splm_wy;
  d->z = spill__malloc(ctx, (ncand ? ncand : 1) * (size_t)nt * sizeof *d->z);
  d->y = spill__malloc(ctx, (size_t)nt * sizeof *d->y);
  d->wy = spill__malloc(ctx, (size_t)nt * sizeof *d->wy);
  d->names = spill__calloc(ctx, ncand ? ncand : 1, sizeof *d->names);
  d->wlag = spill__malloc(ctx, (ncand ? ncand : 1) * sizeof *d->wlag);
  d->base = spill__malloc(ctx, (ncand ? ncand : 1) * sizeof *d->base);
  d->omitted = spill__calloc(ctx, ncand ? ncand : 1, sizeof *d->omitted);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  q = spill__malloc(ctx, (ncand ? ncand : 1) * (size_t)nt * sizeof *q);
  raw = spill__malloc(ctx, (size_t)nt * sizeof *raw);
  cand_keep = spill__malloc(ctx, (ncand ? ncand : 1) * sizeof *cand_keep);
  d->zraw = spill__malloc(ctx, (ncand ? ncand : 1) * (size_t)nt * sizeof *d->zraw);
  d->yraw = spill__malloc(ctx, (size_t)nt * sizeof *d->yraw);
  if (nfe) d->fe_dummy = spill__calloc(ctx, ncand ? ncand : 1, 1);
  if (!d->z || !d->y || !d->wy || !d->names || !d->wlag || !d->base || !d->omitted || !work ||
      !q || !raw || !cand_keep || !d->zraw || !d->yraw || (nfe && !d->fe_dummy))
    goto done;
  /* the exact within transform over the observed cells; balanced panels
   * keep the closed form */
  if (p->obs) {
    if (!(plan = spill__wplan_new(ctx, n, t, fe, p->obs))) goto done;
    d->nobs = spill__wplan_nobs(plan);
    d->groups = spill__wplan_units(plan);
    d->absorbed = (double)spill__wplan_absorbed(plan);
  } else {
    d->nobs = nt;
    d->groups = n;
    d->absorbed = fe == SPILL_FE_UNIT ? (double)n : fe == SPILL_FE_TIME ? (double)t
                : fe == SPILL_FE_TWOWAYS ? (double)(n + t - 1) : 0.0;
  }
#define WITHIN(v, out) (p->obs ? spill__wplan_apply(plan, v, out) : spill__within(v, n, t, fe, work, out))
  for (int64_t i = 0; i < nt; i++) d->yraw[i] = p->obs && !p->obs[i] ? 0.0 : p->y[i];
  WITHIN(d->yraw, d->y);
  if (fe != SPILL_FE_NONE) { /* an outcome the fixed effects explain fully */
    double ry = sqrt(dot(d->yraw, d->yraw, nt)), qy = sqrt(dot(d->y, d->y, nt));
    if (!(qy > COLLINEAR_TOL * (ry > 0 ? ry : 1.0))) {
      spill__fail(ctx, SPILL_EDATA,
                  "the outcome '%s' has no variation left after the %s fixed effects (it is explained "
                  "by them alone): nothing is left to estimate",
                  p->y_name ? p->y_name : "y", spill__fe_name(fe));
      goto done;
    }
  }
  if (!w) { /* no W (the non-spatial DID): no lag of y */
    memset(d->wy, 0, (size_t)nt * sizeof *d->wy);
  } else if (splm_wy) { /* W (Q y), R splm's convention */
    spill__wlag(w, d->y, t, d->wy);
  } else { /* Q (W y): the within transform of the model's lag */
    spill__wlag(w, p->y, t, raw);
    WITHIN(raw, d->wy);
  }
  /* a W term that varies only through the islands' zero rows (W times a
   * year trend) is collinear with the time effects on every other unit:
   * checked on the units with neighbours */
  if (w && lags && (fe == SPILL_FE_TIME || fe == SPILL_FE_TWOWAYS) && !p->obs) {
    live = spill__malloc(ctx, (size_t)n * sizeof *live);
    if (!live) goto done;
    for (int64_t i = 0; i < n; i++)
      if (w->p[i + 1] > w->p[i]) live[nlive++] = i;
    if (nlive == n || nlive < 2) nlive = 0;
    else if (!(sub = spill__malloc(ctx, ((size_t)(nlive * t) + (size_t)(nlive + t)) * sizeof *sub))) goto done;
  }

  for (size_t c = 0; c < ncand; c++) {
    const double *src = NULL;
    char name[300];
    double *zc = d->z + d->k * (size_t)nt, *qc = q + d->k * (size_t)nt, rawnorm, znorm, rnorm;
    size_t bi = c < nbase ? c : c - nbase + (intercept ? 1 : 0); /* base of a lag */
    int is_lag = c >= nbase, is_const = intercept && c == 0;
    if (is_const) {
      for (int64_t i = 0; i < nt; i++) raw[i] = 1.0;
      snprintf(name, sizeof name, "(constant)");
    } else {
      size_t v = bi - (intercept ? 1 : 0); /* 0: d when present */
      const char *vn;
      if (p->d && v == 0) {
        src = p->d;
        vn = p->d_name ? p->d_name : "did";
      } else {
        size_t k = v - (p->d ? 1 : 0);
        src = p->x + k * (size_t)nt;
        vn = p->x_names[k];
      }
      if (is_lag) {
        spill__wlag(w, src, t, raw);
        snprintf(name, sizeof name, "W*%s", vn);
      } else {
        memcpy(raw, src, (size_t)nt * sizeof *raw);
        snprintf(name, sizeof name, "%s", vn);
      }
    }
    if (p->obs)
      for (int64_t i = 0; i < nt; i++)
        if (!p->obs[i]) raw[i] = 0.0;
    rawnorm = sqrt(dot(raw, raw, nt));
    memcpy(d->zraw + d->k * (size_t)nt, raw, (size_t)nt * sizeof *raw);
    WITHIN(raw, zc);
    znorm = sqrt(dot(zc, zc, nt));
    if (is_lag && nlive) {
      double *sv = sub, *sw = sub + nlive * t, snorm = 0.0, sraw = 0.0;
      for (int64_t s = 0; s < t; s++)
        for (int64_t a = 0; a < nlive; a++) sv[s * nlive + a] = raw[s * n + live[a]];
      sraw = sqrt(dot(sv, sv, nlive * t));
      spill__within(sv, nlive, t, fe, sw, sv);
      snorm = sqrt(dot(sv, sv, nlive * t));
      if (znorm > COLLINEAR_TOL * (rawnorm > 0 ? rawnorm : 1.0) &&
          !(snorm > COLLINEAR_TOL * (sraw > 0 ? sraw : 1.0))) {
        cand_keep[c] = -1;
        if (!(d->omitted[d->n_omitted] = spill__strdup(ctx, name))) goto done;
        d->n_omitted++;
        spill__notice(ctx, "%s omitted because of collinearity: it varies only through the %lld "
                      "island%s' zero rows of W and is absorbed by the %s fixed effects on every "
                      "unit with a neighbour",
                      name, (long long)(n - nlive), n - nlive == 1 ? "" : "s", spill__fe_name(fe));
        continue;
      }
    }
    /* modified Gram-Schmidt against the kept columns (twice, for accuracy) */
    memcpy(qc, zc, (size_t)nt * sizeof *qc);
    for (int pass = 0; pass < 2; pass++)
      for (size_t j = 0; j < d->k; j++) {
        const double *qj = q + j * (size_t)nt;
        double h = dot(qj, qc, nt);
        for (int64_t i = 0; i < nt; i++) qc[i] -= h * qj[i];
      }
    rnorm = sqrt(dot(qc, qc, nt));
    if (!(rnorm > COLLINEAR_TOL * (rawnorm > 0 ? rawnorm : 1.0)) && !is_const && !is_lag && p->d &&
        bi == (intercept ? 1u : 0u)) {
      /* the treatment itself: the DID is not identified, never drop it silently */
      if (!(znorm > COLLINEAR_TOL * (rawnorm > 0 ? rawnorm : 1.0)))
        treat_not_identified(ctx, p, fe, name);
      else
        spill__fail(ctx, SPILL_EDATA, "the treatment '%s' is collinear with the controls (after the %s fixed "
                    "effects): its effect is not identified; drop the control that duplicates it", name,
                    spill__fe_name(fe));
      goto done;
    }
    if (!(rnorm > COLLINEAR_TOL * (rawnorm > 0 ? rawnorm : 1.0))) {
      cand_keep[c] = -1;
      if (!(d->omitted[d->n_omitted] = spill__strdup(ctx, name))) goto done;
      d->n_omitted++;
      if (!(znorm > COLLINEAR_TOL * (rawnorm > 0 ? rawnorm : 1.0)))
        spill__notice(ctx, "%s omitted: no variation left after the %s fixed effects", name,
                      spill__fe_name(fe));
      else
        spill__notice(ctx, "%s omitted because of collinearity", name);
      continue;
    }
    for (int64_t i = 0; i < nt; i++) qc[i] /= rnorm;
    if (!(d->names[d->k] = spill__strdup(ctx, name))) goto done;
    d->wlag[d->k] = -1;
    d->base[d->k] = is_lag ? cand_keep[bi] : -1;
    if (is_lag && cand_keep[bi] >= 0) d->wlag[cand_keep[bi]] = (long)d->k;
    if (is_const) d->has_const = 1;
    if (!is_const && !is_lag && p->d && bi == (intercept ? 1u : 0u)) d->treat = (long)d->k;
    if (d->fe_dummy && !is_const && !is_lag && bi - (intercept ? 1u : 0u) - (p->d ? 1u : 0u) + nfe >= p->nx &&
        bi >= (intercept ? 1u : 0u) + (p->d ? 1u : 0u))
      d->fe_dummy[d->k] = 1;
    cand_keep[c] = (long)d->k;
    d->k++;
  }
  if (d->k == 0) {
    spill__fail(ctx, SPILL_EDATA, "no regressor is left after the fixed effects and collinearity checks");
    goto done;
  }
  ok = 1;
#undef WITHIN
done:
  spill__wplan_free(plan);
  free(live);
  free(sub);
  free(work);
  free(q);
  free(raw);
  free(cand_keep);
  if (!ok) {
    spill__design_free(d);
    return NULL;
  }
  return d;
}

void spill__design_wlag(const spill__design *d, const spill_weights *w, const double *v, double *work,
                        double *out)
{
  spill__wlag(w, v, d->t, out);
  if (!d->splm_wy) spill__within(out, d->n, d->t, d->fe, work, out);
}

spill__design *spill__design_subset(spill_ctx *ctx, const spill__design *src, const int *keep)
{
  spill__design *d = spill__calloc(ctx, 1, sizeof *d);
  long *map = NULL;
  size_t nt = (size_t)src->nt;
  if (!d) return NULL;
  *d = (spill__design){src->n, src->t, src->nt, 0, NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, 0, NULL,
                       src->nobs, src->groups, src->absorbed, NULL, NULL, src->fe, src->splm_wy, NULL};
  if (src->fe_dummy && !(d->fe_dummy = spill__calloc(ctx, src->k ? src->k : 1, 1))) goto fail;
  map = spill__malloc(ctx, src->k * sizeof *map);
  d->z = spill__malloc(ctx, src->k * nt * sizeof *d->z);
  d->y = spill__malloc(ctx, nt * sizeof *d->y);
  d->wy = spill__malloc(ctx, nt * sizeof *d->wy);
  d->names = spill__calloc(ctx, src->k, sizeof *d->names);
  d->wlag = spill__malloc(ctx, src->k * sizeof *d->wlag);
  d->base = spill__malloc(ctx, src->k * sizeof *d->base);
  if (!map || !d->z || !d->y || !d->wy || !d->names || !d->wlag || !d->base) goto fail;
  memcpy(d->y, src->y, nt * sizeof *d->y);
  memcpy(d->wy, src->wy, nt * sizeof *d->wy);
  for (size_t j = 0; j < src->k; j++) {
    map[j] = -1;
    if (!keep[j]) continue;
    map[j] = (long)d->k;
    memcpy(d->z + d->k * nt, src->z + j * nt, nt * sizeof *d->z);
    if (d->fe_dummy) d->fe_dummy[d->k] = src->fe_dummy[j];
    if (!(d->names[d->k] = spill__strdup(ctx, src->names[j]))) goto fail;
    d->k++;
  }
  for (size_t j = 0; j < src->k; j++) {
    if (map[j] < 0) continue;
    d->wlag[map[j]] = src->wlag[j] >= 0 ? map[src->wlag[j]] : -1;
    d->base[map[j]] = src->base[j] >= 0 ? map[src->base[j]] : -1;
  }
  d->treat = src->treat >= 0 ? map[src->treat] : -1;
  d->has_const = src->has_const && keep[0];
  free(map);
  return d;
fail:
  free(map);
  spill__design_free(d);
  return NULL;
}

int spill__xtx_chol(spill_ctx *ctx, const double *z, int64_t nt, size_t k, double *r)
{
  int kk = (int)k, info = 0;
  for (size_t a = 0; a < k; a++)
    for (size_t b = a; b < k; b++) {
      double s = dot(z + a * (size_t)nt, z + b * (size_t)nt, nt);
      r[b * k + a] = s; /* upper triangle, column-major */
      r[a * k + b] = s;
    }
  dpotrf_("U", &kk, r, &kk, &info);
  if (info != 0)
    return spill__fail(ctx, SPILL_ENUM, "the regressors are linearly dependent (Z'Z not positive definite)");
  return SPILL_OK;
}

void spill__ls_solve(const double *z, int64_t nt, size_t k, const double *r, const double *v,
                     double *b)
{
  int kk = (int)k, one = 1, info = 0;
  for (size_t a = 0; a < k; a++) b[a] = dot(z + a * (size_t)nt, v, nt);
  dpotrs_("U", &kk, &one, r, &kk, b, &kk, &info);
}

int spill__spd_inverse(double *a, size_t k)
{
  int kk = (int)k, info = 0;
  dpotrf_("U", &kk, a, &kk, &info);
  if (info) return -1;
  dpotri_("U", &kk, a, &kk, &info);
  if (info) return -1;
  for (size_t c = 0; c < k; c++)
    for (size_t r = c + 1; r < k; r++) a[c * k + r] = a[r * k + c]; /* lower from upper */
  return 0;
}

int spill__inverse(double *a, size_t k)
{
  int kk = (int)k, info = 0, lwork = (int)(k * 64);
  int *ipiv = malloc(k * sizeof *ipiv);
  double *work = malloc((size_t)lwork * sizeof *work);
  int rc = -1;
  if (!ipiv || !work) goto done;
  dgetrf_(&kk, &kk, a, &kk, ipiv, &info);
  if (info) goto done;
  dgetri_(&kk, a, &kk, ipiv, work, &lwork, &info);
  if (info) goto done;
  rc = 0;
done:
  free(ipiv);
  free(work);
  return rc;
}

/* Within OLS. Conventional: s2 = e'e / (NT - k - absorbed), absorbed = N
 * (unit), T (time), N + T - 1 (two-way). Cluster-robust by unit as Stata
 * xtreg, fe vce(cluster id) (Stata [XT] xtreg, Methods and formulas; Cameron
 * and Miller 2015, sec. IV.A): V = c (Z'Z)^-1 (sum_g Z_g'e_g e_g'Z_g) (Z'Z)^-1,
 * c = G/(G-1) (NT-1)/(NT-K), K counting the regressors, xtreg's constant and
 * T-1 time dummies, but not the unit effects (nested in the clusters). */
/* Stata [XT] xtreg, Methods and formulas: R-sq overall = corr(y_it, x_it b)^2
 * over the observed cells, with untransformed y and x. */
static double overall_r2(const spill__design *d, const double *b, const unsigned char *obs)
{
  size_t nt = (size_t)d->nt;
  double m = 0, my = 0, mh = 0, syy = 0, shh = 0, syh = 0;
  for (size_t i = 0; i < nt; i++) {
    double h = 0.0;
    if (obs && !obs[i]) continue;
    for (size_t j = 0; j < d->k; j++) h += d->zraw[j * nt + i] * b[j];
    m += 1.0;
    my += d->yraw[i];
    mh += h;
  }
  my /= m;
  mh /= m;
  for (size_t i = 0; i < nt; i++) {
    double h = 0.0;
    if (obs && !obs[i]) continue;
    for (size_t j = 0; j < d->k; j++) h += d->zraw[j * nt + i] * b[j];
    syy += (d->yraw[i] - my) * (d->yraw[i] - my);
    shh += (h - mh) * (h - mh);
    syh += (d->yraw[i] - my) * (h - mh);
  }
  return syy > 0 && shh > 0 ? syh * syh / (syy * shh) : NAN;
}

int spill__fit_ols(spill_ctx *ctx, const spill__design *d, spill_fe fe, spill_fit *f,
                   const unsigned char *obs_mask)
{
  size_t k = d->k, nt = (size_t)d->nt;
  int64_t n = d->n, t = d->t, nobs = d->nobs ? d->nobs : d->nt, groups = d->groups ? d->groups : d->n;
  const unsigned char *obs = obs_mask;
  double *r = NULL, *xtxi = NULL, *e = NULL, *meat = NULL, *sg = NULL, *tmp = NULL;
  double sse = 0.0, sst = 0.0, syf = 0.0, sff = 0.0, absorbed = 0.0, df, s2, c, kk;
  int unit = fe == SPILL_FE_UNIT || fe == SPILL_FE_TWOWAYS;
  int time = fe == SPILL_FE_TIME || fe == SPILL_FE_TWOWAYS;
  int rc = SPILL_ENOMEM;

  r = spill__malloc(ctx, k * k * sizeof *r);
  xtxi = spill__malloc(ctx, k * k * sizeof *xtxi);
  e = spill__malloc(ctx, nt * sizeof *e);
  meat = spill__calloc(ctx, k * k, sizeof *meat);
  sg = spill__malloc(ctx, k * sizeof *sg);
  tmp = spill__malloc(ctx, k * k * sizeof *tmp);
  if (!r || !xtxi || !e || !meat || !sg || !tmp) goto done;
  if ((rc = spill__xtx_chol(ctx, d->z, d->nt, k, r))) goto done;
  spill__ls_solve(d->z, d->nt, k, r, d->y, f->coef);
  for (size_t i = 0; i < nt; i++) {
    double fit = 0.0;
    for (size_t j = 0; j < k; j++) fit += d->z[j * nt + i] * f->coef[j];
    e[i] = d->y[i] - fit;
    sse += e[i] * e[i];
    sst += d->y[i] * d->y[i];
    syf += d->y[i] * fit;
    sff += fit * fit;
  }
  if (d->has_const) { /* centre for R-squared with an intercept */
    double my = 0.0;
    for (size_t i = 0; i < nt; i++) my += d->y[i];
    my /= (double)nobs;
    sst -= (double)nobs * my * my;
    syf -= (double)nobs * my * my;
    sff -= (double)nobs * my * my;
  }
  memcpy(xtxi, r, k * k * sizeof *r);
  {
    int kk2 = (int)k, info = 0;
    dpotri_("U", &kk2, xtxi, &kk2, &info);
    for (size_t a = 0; a < k; a++)
      for (size_t b = a + 1; b < k; b++) xtxi[a * k + b] = xtxi[b * k + a];
  }
  /* units + periods - connected components (n + t - 1 when balanced) */
  absorbed = d->absorbed;
  df = (double)nobs - (double)k - absorbed;
  if (df <= 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "no residual degrees of freedom (%lld observations, %zu regressors, %.0f fixed effects)",
                     (long long)nobs, k, absorbed);
    goto done;
  }
  if (groups < 2) {
    rc = spill__fail(ctx, SPILL_EDATA, "cluster-robust SEs need at least two units with observations");
    goto done;
  }
  s2 = sse / df;
  /* cluster sums by unit */
  for (int64_t i = 0; i < n; i++) {
    for (size_t j = 0; j < k; j++) {
      double s = 0.0;
      for (int64_t q = 0; q < t; q++) s += d->z[j * nt + (size_t)(q * n + i)] * e[q * n + i];
      sg[j] = s;
    }
    for (size_t a = 0; a < k; a++)
      for (size_t b = 0; b < k; b++) meat[a * k + b] += sg[a] * sg[b];
  }
  kk = (double)k + ((unit || time) ? 1.0 : 0.0) + (time ? (double)(t - 1) : 0.0);
  c = ((double)groups / (double)(groups - 1)) * (((double)nobs - 1.0) / ((double)nobs - kk));
  /* vcov = c (X'X)^-1 meat (X'X)^-1; meat is reused as the product */
  spill__sandwich(xtxi, k, k, meat, tmp, meat);
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) f->vcov[a * f->nv + b] = c * meat[a * k + b];
  for (size_t j = 0; j < k; j++) {
    f->se[j] = sqrt(f->vcov[j * f->nv + j]);
    f->se_conv[j] = sqrt(s2 * xtxi[j * k + j]);
  }
  f->sigma2 = s2;
  f->loglik = -0.5 * (double)nobs * (log(2.0 * 3.14159265358979323846 * sse / (double)nobs) + 1.0);
  f->aic = -2.0 * f->loglik + 2.0 * ((double)k + 1.0);
  f->r2_within = sst > 0 ? 1.0 - sse / sst : NAN;
  f->r2 = (sst > 0 && sff > 0) ? syf * syf / (sst * sff) : NAN;
  f->nobs = nobs;
  if (fe != SPILL_FE_NONE && d->zraw && d->yraw) /* Stata xtreg, fe "R-sq overall": corr(y, xb)^2 */
    f->r2 = overall_r2(d, f->coef, obs);
  rc = SPILL_OK;
done:
  free(r);
  free(xtxi);
  free(e);
  free(meat);
  free(sg);
  free(tmp);
  return rc;
}

/* LM tests of a spatial lag and a spatial error after least squares, for a
 * cross-section (Anselin 1988; Anselin, Bera, Florax and Yoon 1996) and for
 * fixed-effects panels (Elhorst 2014, sec. 3.5; splm slmtest "within"), and
 * the LR tests of the fixed effects. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/moran.h"

double spill__w_trace_tw(const spill_weights *w)
{
  double a = 0;
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      double wji;
      spill__w_find(w, w->j[q], i, &wji);
      a += w->x[q] * w->x[q] + w->x[q] * wji; /* tr(W'W) + tr(WW) */
    }
  return a;
}

static double dot(const double *a, const double *b, int64_t n)
{
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

int spill_lm_tests(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe,
                   int splm_wy, spill_lmtests *o)
{
  spill__design *d = NULL;
  int64_t n = p->n, t = p->t, nt = n * t;
  double *r = NULL, *b = NULL, *e = NULL, *wxb = NULL, *tmp = NULL, *work = NULL, *g = NULL;
  double ewy, ewe, s2, tw, J, q;
  size_t k;
  int rc = SPILL_ENOMEM;
  memset(o, 0, sizeof *o);
  if (p->n != w->n) return spill__fail(ctx, SPILL_EDATA, "the panel has %lld units but W has %lld: align the panel to W first",
                                       (long long)p->n, (long long)w->n);
  if (t < 2 && fe != SPILL_FE_NONE)
    return spill__fail(ctx, SPILL_EDATA, "one period: fixed effects leave no variation (use fe none for a cross-section)");
  for (int64_t i = 0; i < nt; i++) {
    int bad = !isfinite(p->y[i]) || (p->d && !isfinite(p->d[i]));
    for (size_t c = 0; c < p->nx && !bad; c++) bad = !isfinite(p->x[c * (size_t)nt + (size_t)i]);
    if (bad)
      return spill__fail(ctx, SPILL_EDATA, "unit '%s', period %lld: a value is missing or not finite", p->ids[i % n],
                         (long long)p->times[i / n]);
  }
  if (!(d = spill__design_new(ctx, p, w, fe, fe == SPILL_FE_NONE, 0, splm_wy))) return spill_ctx_status(ctx);
  k = d->k;
  r = spill__malloc(ctx, (k ? k * k : 1) * sizeof *r);
  b = spill__malloc(ctx, (k ? k : 1) * sizeof *b);
  g = spill__malloc(ctx, (k ? k : 1) * sizeof *g);
  e = spill__malloc(ctx, (size_t)nt * sizeof *e);
  wxb = spill__malloc(ctx, (size_t)nt * sizeof *wxb);
  tmp = spill__malloc(ctx, (size_t)nt * sizeof *tmp);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  if (!r || !b || !g || !e || !wxb || !tmp || !work) goto done;
  if (k && spill__xtx_chol(ctx, d->z, nt, k, r)) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  if (k) spill__ls_solve(d->z, nt, k, r, d->y, b);
  for (int64_t i = 0; i < nt; i++) {
    double f = 0;
    for (size_t c = 0; c < k; c++) f += d->z[c * (size_t)nt + (size_t)i] * b[c];
    tmp[i] = f; /* Z b, the fitted values */
    e[i] = d->y[i] - f;
  }
  spill__wlag(w, tmp, t, wxb);
  if (!splm_wy && fe != SPILL_FE_NONE && fe != SPILL_FE_UNIT) spill__within(wxb, n, t, fe, work, wxb);
  /* (W Z b)' M (W Z b) = |W Z b|^2 - (Z'WZb)'(Z'Z)^-1 Z'WZb */
  q = dot(wxb, wxb, nt);
  if (k) {
    spill__ls_solve(d->z, nt, k, r, wxb, g);
    for (int64_t i = 0; i < nt; i++) {
      double f = 0;
      for (size_t c = 0; c < k; c++) f += d->z[c * (size_t)nt + (size_t)i] * g[c];
      tmp[i] = f;
    }
    q -= dot(wxb, tmp, nt);
  }
  s2 = dot(e, e, nt) / (double)nt;
  if (!(s2 > 0)) {
    rc = spill__fail(ctx, SPILL_ENUM, "the least-squares residuals are all zero: the LM tests are undefined");
    goto done;
  }
  tw = spill__w_trace_tw(w);
  if (!(tw > 0)) {
    rc = spill__fail(ctx, SPILL_EDATA, "tr(W'W + WW) is zero (W has no links): the LM tests are undefined");
    goto done;
  }
  spill__wlag(w, e, t, tmp);
  ewe = dot(e, tmp, nt) / s2;
  ewy = dot(e, d->wy, nt) / s2;
  J = q / s2 + (double)t * tw; /* n J in Anselin's notation */
  o->fe = fe;
  o->n = n;
  o->t = t;
  o->splm_wy = splm_wy;
  o->k = k;
  o->s2 = s2;
  o->tw = tw;
  o->j = J;
  {
    double ttw = (double)t * tw;
    o->lm_lag = ewy * ewy / J;
    o->lm_err = ewe * ewe / ttw;
    o->rlm_lag = (ewy - ewe) * (ewy - ewe) / (J - ttw);
    o->rlm_err = (ewe - ttw / J * ewy) * (ewe - ttw / J * ewy) / (ttw * (1 - ttw / J));
    o->sarma = o->rlm_lag + o->lm_err;
  }
  o->p_lag = spill__chi2_sf(o->lm_lag, 1);
  o->p_err = spill__chi2_sf(o->lm_err, 1);
  o->p_rlag = spill__chi2_sf(o->rlm_lag, 1);
  o->p_rerr = spill__chi2_sf(o->rlm_err, 1);
  o->p_sarma = spill__chi2_sf(o->sarma, 2);
  o->loglik = -0.5 * (double)nt * (log(2 * 3.14159265358979323846 * s2) + 1);
  rc = SPILL_OK;
done:
  free(r);
  free(b);
  free(g);
  free(e);
  free(wxb);
  free(tmp);
  free(work);
  spill__design_free(d);
  return rc;
}

int spill_ls_residuals(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe, double *e)
{
  spill__design *d;
  int64_t nt = p->n * p->t;
  double *r = NULL, *b = NULL;
  int rc = SPILL_ENOMEM;
  if (p->n != w->n) return spill__fail(ctx, SPILL_EDATA, "the panel has %lld units but W has %lld: align the panel to W first",
                                       (long long)p->n, (long long)w->n);
  if (!(d = spill__design_new(ctx, p, w, fe, fe == SPILL_FE_NONE, 0, 0))) return spill_ctx_status(ctx);
  r = spill__malloc(ctx, (d->k ? d->k * d->k : 1) * sizeof *r);
  b = spill__malloc(ctx, (d->k ? d->k : 1) * sizeof *b);
  if (!r || !b) goto done;
  if (d->k && spill__xtx_chol(ctx, d->z, nt, d->k, r)) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  if (d->k) spill__ls_solve(d->z, nt, d->k, r, d->y, b);
  for (int64_t i = 0; i < nt; i++) {
    double f = 0;
    for (size_t c = 0; c < d->k; c++) f += d->z[c * (size_t)nt + (size_t)i] * b[c];
    e[i] = d->y[i] - f;
  }
  rc = SPILL_OK;
done:
  free(r);
  free(b);
  spill__design_free(d);
  return rc;
}

void spill_fe_lr_tests(const spill_lmtests *tw, const spill_lmtests *unit, const spill_lmtests *time,
                       spill_fe_lr *o)
{
  o->lr_unit = 2 * (tw->loglik - time->loglik);
  o->df_unit = (double)(tw->n - 1);
  o->p_unit = spill__chi2_sf(fmax(0, o->lr_unit), o->df_unit);
  o->lr_time = 2 * (tw->loglik - unit->loglik);
  o->df_time = (double)(tw->t - 1);
  o->p_time = spill__chi2_sf(fmax(0, o->lr_time), o->df_time);
}

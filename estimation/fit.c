/* spill_fit_model: the design, then OLS/SLX, or ML for SAR/SDM/SEM/SAC/SDEM
 * with the analytic variance, random effects, Lee and Yu's transformation
 * approach or Elhorst's bias correction, and the SDM specification tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

void spill_fit_opts_init(spill_fit_opts *opts)
{
  memset(opts, 0, sizeof *opts);
  opts->model = SPILL_MODEL_SDM;
  opts->fe = SPILL_FE_TWOWAYS;
  opts->logdet = SPILL_LOGDET_AUTO;
  opts->lee_yu = 0;
  opts->intercept = 1; /* used only when fe is NONE */
}

void spill_fit_free(spill_fit *f)
{
  if (!f) return;
  if (f->ids)
    for (int64_t i = 0; i < f->n; i++) free(f->ids[i]);
  free(f->ids);
  if (f->names)
    for (size_t j = 0; j < f->k; j++) free(f->names[j]);
  free(f->names);
  free(f->coef);
  free(f->se);
  free(f->se_conv);
  free(f->wlag);
  free(f->vcov);
  if (f->omitted)
    for (size_t j = 0; j < f->n_omitted; j++) free(f->omitted[j]);
  free(f->omitted);
  free(f->fe_dummy);
  free(f);
}

spill_fit *spill__fit_alloc(spill_ctx *ctx, const spill__design *d, spill_model model,
                            spill_fe fe, int has_rho, int ml)
{
  spill_fit *f = spill__calloc(ctx, 1, sizeof *f);
  size_t k = d->k;
  if (!f) return NULL;
  f->model = model;
  f->fe = fe;
  f->n = d->n;
  f->t = d->t;
  f->k = k;
  f->has_rho = has_rho;
  f->nv = k + (has_rho ? 1 : 0) + (ml ? 1 : 0) + (model == SPILL_MODEL_SAC ? 1 : 0) +
          (fe == SPILL_FE_RANDOM ? 1 : 0);
  f->has_lambda = model == SPILL_MODEL_SAC;
  f->has_phi = fe == SPILL_FE_RANDOM;
  f->lambda = f->lambda_se = f->phi = f->phi_se = NAN;
  f->rho = f->rho_se = f->rho_lo = f->rho_hi = NAN;
  f->lr_sar = f->lr_sar_p = f->wald_sar = f->wald_sar_p = NAN;
  f->lr_sem = f->lr_sem_p = f->wald_sem = f->wald_sem_p = NAN;
  f->treat = d->treat;
  f->nobs = d->nobs ? d->nobs : d->nt;
  f->names = spill__calloc(ctx, k, sizeof *f->names);
  f->coef = spill__calloc(ctx, k, sizeof *f->coef);
  f->se = spill__calloc(ctx, k, sizeof *f->se);
  f->wlag = spill__calloc(ctx, k, sizeof *f->wlag);
  f->vcov = spill__calloc(ctx, f->nv * f->nv, sizeof *f->vcov);
  f->ids = spill__calloc(ctx, (size_t)d->n, sizeof *f->ids);
  f->omitted = spill__calloc(ctx, d->n_omitted ? d->n_omitted : 1, sizeof *f->omitted);
  if (!ml) f->se_conv = spill__calloc(ctx, k, sizeof *f->se_conv);
  if (!f->names || !f->coef || !f->se || !f->wlag || !f->vcov || !f->ids || !f->omitted ||
      (!ml && !f->se_conv))
    goto fail;
  for (size_t j = 0; j < k; j++) {
    if (!(f->names[j] = spill__strdup(ctx, d->names[j]))) goto fail;
    f->wlag[j] = d->wlag[j];
  }
  for (size_t j = 0; j < d->n_omitted; j++) {
    if (!(f->omitted[j] = spill__strdup(ctx, d->omitted[j]))) goto fail;
    f->n_omitted++;
  }
  return f;
fail:
  spill_fit_free(f);
  return NULL;
}

static int same_id(const char *a, const char *b)
{
  char ca[32], cb[32];
  if (spill__canonical_id(a, ca) && spill__canonical_id(b, cb)) return !strcmp(ca, cb);
  return !strcmp(a, b);
}

static int check_inputs(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                        const spill_fit_opts *o)
{
  int ml = o->model == SPILL_MODEL_SAR || o->model == SPILL_MODEL_SDM || o->model == SPILL_MODEL_SEM;
  if (!w && o->model != SPILL_MODEL_OLS)
    return spill__fail(ctx, SPILL_EINVAL, "the %s model needs a weights matrix W (only the OLS DID runs without one)",
                       spill__model_name(o->model));
  if (p->obs && o->model != SPILL_MODEL_OLS) {
    int64_t miss = 0;
    for (int64_t q = 0; q < p->n * p->t; q++) miss += !p->obs[q];
    if (miss)
      return spill__fail(ctx, SPILL_EDATA,
                         "the %s model needs a balanced panel (%s), but %lld unit-periods are missing: "
                         "drop the incomplete units (--drop-incomplete, spill_panel_drop_incomplete) "
                         "or fit the two-way FE OLS DID, which handles unbalanced panels (--model ols)",
                         spill__model_name(o->model),
                         ml ? "the spatial likelihood couples every unit in every period"
                            : "W terms of missing cells are undefined",
                         (long long)miss);
  }
  if (w && p->n != w->n)
    return spill__fail(ctx, SPILL_EDATA, "the panel has %lld units but W has %lld: align the panel to W first",
                       (long long)p->n, (long long)w->n);
  for (int64_t i = 0; i < p->n && w; i++)
    if (!same_id(p->ids[i], w->ids[i]))
      return spill__fail(ctx, SPILL_EDATA,
                         "panel unit %lld is '%s' but W's unit %lld is '%s': align the panel to W "
                         "first (spill_panel_align)",
                         (long long)i + 1, p->ids[i], (long long)i + 1, w->ids[i]);
  if (p->t < 2 && (o->fe == SPILL_FE_UNIT || o->fe == SPILL_FE_TWOWAYS))
    return spill__fail(ctx, SPILL_EDATA,
                       "one period (T = 1) with unit fixed effects leaves no variation: use fe none "
                       "(a cross-section, with an intercept) or a panel with T >= 2");
  if (o->model == SPILL_MODEL_GNS)
    return spill__fail(ctx, SPILL_EINVAL,
                       "the general nesting model (rho W y, W X theta and lambda W u together) is not "
                       "identified in practice: W y and W X already span what lambda W u adds, so the "
                       "likelihood is flat along a ridge (Elhorst 2014, sec. 2.4; Gibbons and Overman "
                       "2012): fit the SDM (--model sdm) or the SDEM (--model sdem) and compare them");
  if ((int)o->model < 0 || o->model > SPILL_MODEL_GNS)
    return spill__fail(ctx, SPILL_EINVAL, "unknown model %d", (int)o->model);
  if ((int)o->fe < 0 || o->fe > SPILL_FE_RANDOM)
    return spill__fail(ctx, SPILL_EINVAL, "unknown fixed-effects option %d", (int)o->fe);
  if (o->lee_yu && o->lee_yu_bc)
    return spill__fail(ctx, SPILL_EINVAL, "choose the Lee-Yu transformation (lee_yu) or Elhorst's bias "
                                          "correction (lee_yu_bc), not both");
  if ((o->lee_yu || o->lee_yu_bc) && o->fe != SPILL_FE_UNIT && o->fe != SPILL_FE_TWOWAYS)
    return spill__fail(ctx, SPILL_EINVAL, "the Lee-Yu approach applies to unit or two-way fixed effects only");
  if ((o->lee_yu || o->lee_yu_bc) && o->model != SPILL_MODEL_SAR && o->model != SPILL_MODEL_SDM)
    return spill__fail(ctx, SPILL_EINVAL, "the Lee-Yu approach is implemented for the SAR and SDM only");
  if (o->lee_yu && o->fe == SPILL_FE_TWOWAYS)
    for (int64_t i = 0; i < w->n; i++) {
      double rs = 0.0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) rs += w->x[q];
      if (fabs(rs - 1.0) > 1e-10)
        return spill__fail(ctx, SPILL_EINVAL,
                           "the Lee-Yu transformation with two-way effects needs a row-standardised W "
                           "(unit '%s' has row sum %g): use --style W", w->ids[i], rs);
    }
  if (o->fe == SPILL_FE_RANDOM && o->model != SPILL_MODEL_SAR && o->model != SPILL_MODEL_SDM &&
      o->model != SPILL_MODEL_SEM)
    return spill__fail(ctx, SPILL_EINVAL, "random effects are implemented for the SAR, SDM and SEM only");
  if (o->fe == SPILL_FE_RANDOM && p->t < 2)
    return spill__fail(ctx, SPILL_EDATA, "random unit effects need T >= 2 periods");
  for (int64_t q = 0; q < p->n * p->t; q++) {
    if (p->obs && !p->obs[q]) continue;
    int bad = !isfinite(p->y[q]) || (p->d && !isfinite(p->d[q]));
    for (size_t k = 0; k < p->nx && !bad; k++) bad = !isfinite(p->x[k * (size_t)(p->n * p->t) + (size_t)q]);
    if (bad)
      return spill__fail(ctx, SPILL_EDATA, "unit '%s', period %lld: a value is missing or not finite (NaN)",
                         p->ids[q % p->n], (long long)p->times[q / p->n]);
  }
  return SPILL_OK;
}

/* R-squared: squared correlation of y and the reduced-form fit (I - rho W)^-1 Z b
 * (Elhorst 2014, sec. 3.x "corr2"), and 1 - e'e / y'y of the within model. */
static int fit_r2(spill_ctx *ctx, spill_fit *f, const spill__design *d, spill__ldet *ld, int lag)
{
  size_t nt = (size_t)d->nt;
  double *zb = spill__malloc(ctx, nt * sizeof *zb), *yh = spill__malloc(ctx, nt * sizeof *yh);
  double my = 0, mh = 0, syy = 0, shh = 0, syh = 0, sse = 0, sst = 0;
  int rc = SPILL_ENOMEM;
  if (!zb || !yh) goto done;
  for (size_t i = 0; i < nt; i++) {
    double s = 0.0;
    for (size_t j = 0; j < d->k; j++) s += d->z[j * nt + i] * f->coef[j];
    zb[i] = s;
  }
  if (lag) {
    if ((rc = spill__ldet_solve(ctx, ld, f->rho, zb, d->t, yh))) goto done;
  } else {
    memcpy(yh, zb, nt * sizeof *yh);
  }
  for (size_t i = 0; i < nt; i++) {
    double e = d->y[i] - (lag ? f->rho * d->wy[i] : 0.0) - zb[i];
    sse += e * e;
    sst += d->y[i] * d->y[i];
    my += d->y[i];
    mh += yh[i];
  }
  my /= (double)nt;
  mh /= (double)nt;
  for (size_t i = 0; i < nt; i++) {
    syy += (d->y[i] - my) * (d->y[i] - my);
    shh += (yh[i] - mh) * (yh[i] - mh);
    syh += (d->y[i] - my) * (yh[i] - mh);
  }
  f->r2 = syy > 0 && shh > 0 ? syh * syh / (syy * shh) : NAN;
  if (!lag) sse = NAN; /* the error model's within R2 is not reported */
  if (d->has_const) sst = syy;
  f->r2_within = sst > 0 ? 1.0 - sse / sst : NAN;
  rc = SPILL_OK;
done:
  free(zb);
  free(yh);
  return rc;
}

static void fill_se(spill_fit *f)
{
  size_t c = f->k;
  for (size_t j = 0; j < f->k; j++) f->se[j] = sqrt(f->vcov[j * f->nv + j]);
  if (f->has_rho) {
    f->rho_se = sqrt(f->vcov[c * f->nv + c]);
    c++;
  }
  if (f->has_lambda) {
    f->lambda_se = sqrt(f->vcov[c * f->nv + c]);
    c++;
  }
  if (f->has_phi) f->phi_se = sqrt(f->vcov[c * f->nv + c]);
}

/* Elhorst's (2014, sec. 3.4) bias correction after Lee and Yu (2010, J.
 * Econometrics 154, sec. 4), applied to the direct estimates: unit effects: sigma2 * T/(T-1); two-way:
 * theta + (I/NT)^-1 (0, 1/(1-rho), 1/(2 sigma2))' / N, then sigma2 * T/(T-1).
 * The time effects stay in the model (unlike Stata xsmle's leeyu). */
static int lee_yu(spill_ctx *ctx, spill_fit *f, const spill__design *d, spill__ldet *ld)
{
  size_t nv = f->nv, k = f->k;
  double tt = (double)d->t, nn = (double)d->n;
  if (f->fe == SPILL_FE_TWOWAYS) {
    /* vcov = I^-1, so (I/NT)^-1 = NT vcov */
    double *a = calloc(nv, sizeof *a), *delta = calloc(nv, sizeof *delta);
    if (!a || !delta) {
      free(a);
      free(delta);
      return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    }
    a[k] = 1.0 / (1.0 - f->rho);
    a[k + 1] = 1.0 / (2.0 * f->sigma2);
    for (size_t r = 0; r < nv; r++) {
      double s = 0.0;
      for (size_t c = 0; c < nv; c++) s += f->vcov[r * nv + c] * a[c];
      delta[r] = s * (double)d->nt / nn;
    }
    for (size_t j = 0; j < k; j++) f->coef[j] += delta[j];
    f->rho += delta[k];
    f->sigma2 += delta[k + 1];
    free(a);
    free(delta);
  }
  f->sigma2 *= tt / (tt - 1.0);
  return spill__vcov_lag(ctx, d, ld, f->rho, f->sigma2, f->coef, f->vcov);
}

static int fit_ml(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                  spill__ldet *ld, const spill_fit_opts *o)
{
  spill__mlres r = {0, 0, 0, f->coef};
  int lag = o->model == SPILL_MODEL_SAR || o->model == SPILL_MODEL_SDM || o->model == SPILL_MODEL_SAC, rc;
  spill__ldet_interval(ld, &f->rho_lo, &f->rho_hi);
  snprintf(f->logdet_method, sizeof f->logdet_method, "%s", spill__ldet_name(ld));
  if (o->fe == SPILL_FE_RANDOM) {
    if ((rc = spill__fit_re(ctx, f, d, w, ld, o->model))) return rc;
    fill_se(f);
    f->aic = -2.0 * f->loglik + 2.0 * (double)f->nv;
    return fit_r2(ctx, f, d, ld, lag);
  }
  if (o->model == SPILL_MODEL_SAC) {
    if ((rc = spill__ml_sac(ctx, d, w, ld, &r, &f->lambda))) return rc;
    f->rho = r.rho;
    f->sigma2 = r.sigma2;
    f->loglik = r.loglik;
    rc = spill__vcov_sac(ctx, d, w, ld, f->rho, f->lambda, f->sigma2, f->coef, f->vcov);
  } else if (o->lee_yu) {
    rc = spill__fit_lee_yu(ctx, f, d, w, ld);
  } else {
    rc = lag ? spill__ml_lag(ctx, d, ld, &r) : spill__ml_error(ctx, d, w, ld, &r);
    if (rc) return rc;
    f->rho = r.rho;
    f->sigma2 = r.sigma2;
    f->loglik = r.loglik;
    rc = lag ? spill__vcov_lag(ctx, d, ld, f->rho, f->sigma2, f->coef, f->vcov)
             : spill__vcov_error(ctx, d, w, ld, f->rho, f->sigma2, f->vcov);
    if (!rc && o->lee_yu_bc) rc = lee_yu(ctx, f, d, ld);
  }
  if (rc) return rc;
  spill__ldet_trace_info(ld, &f->trace_probes, &f->se_mcerr);
  f->logdet_err = spill__ldet_error(ctx, ld, f->rho);
  fill_se(f);
  f->aic = -2.0 * f->loglik + 2.0 * (double)f->nv;
  if ((rc = fit_r2(ctx, f, d, ld, lag))) return rc;
  if (o->model == SPILL_MODEL_SDM) {
    /* restricted fits on the same data: SAR (no W terms) and SEM */
    int *keep = malloc(d->k * sizeof *keep), any = 0;
    spill__design *sub = NULL;
    double *cb = malloc(d->k * sizeof *cb);
    size_t q = 0;
    if (!keep || !cb) {
      free(keep);
      free(cb);
      return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < d->k; j++) {
      keep[j] = strncmp(d->names[j], "W*", 2) != 0;
      any |= !keep[j];
      q += !keep[j];
    }
    if (any && (sub = spill__design_subset(ctx, d, keep))) {
      spill__mlres rs = {0, 0, 0, cb};
      if (!(rc = spill__ml_lag(ctx, sub, ld, &rs))) {
        f->lr_sar = 2.0 * (f->loglik - rs.loglik);
        f->lr_sar_p = spill__chi2_sf(f->lr_sar, (double)q);
      }
      if (!rc && !(rc = spill__ml_error(ctx, sub, w, ld, &rs))) {
        f->lr_sem = 2.0 * (f->loglik - rs.loglik);
        f->lr_sem_p = spill__chi2_sf(f->lr_sem, (double)q);
      }
    } else if (any) {
      rc = ctx->status;
    }
    spill__design_free(sub);
    free(keep);
    free(cb);
    if (rc) return rc;
    if (any && (rc = spill__wald_sdm(ctx, f, d))) return rc;
  }
  return SPILL_OK;
}

/* Notes on W and on rho after an ML fit: rho at a bound of its interval,
 * W in several connected components, W not row-stochastic. */
static int spatial_notes(spill_ctx *ctx, spill_fit *f, const spill_weights *w)
{
  spill_weights_summary s;
  const char *nm = f->model == SPILL_MODEL_SEM || f->model == SPILL_MODEL_SDEM ? "lambda" : "rho";
  if (f->has_rho && isfinite(f->rho) && f->rho_lo < f->rho_hi) {
    if (f->rho - f->rho_lo < 1e-6) f->rho_at_bound = -1;
    else if (f->rho_hi - f->rho < 1e-6) f->rho_at_bound = 1;
    if (f->rho_at_bound)
      spill__notice(ctx, "%s = %.8g is at the %s bound of its interval (%.6g, %.6g): the likelihood has no "
                         "interior maximum, so %s and its SE are not reliable (a W that does not fit, a "
                         "trend common to neighbours, or too few periods); inspect the data or try another W",
                    nm, f->rho, f->rho_at_bound < 0 ? "lower" : "upper", f->rho_lo, f->rho_hi, nm);
  }
  if (!w) return SPILL_OK;
  memset(&s, 0, sizeof s);
  if (spill_weights_summarize(ctx, w, &s)) return ctx->status;
  if (s.n_components > 1)
    spill__notice(ctx, "W has %lld connected components (%lld of them single units): spillovers never cross "
                       "between components; the estimates remain valid",
                  (long long)s.n_components, (long long)s.n_islands);
  if (s.links > 0 && (s.min_rowsum < 1.0 - 1e-10 || s.max_rowsum > 1.0 + 1e-10) && f->rho_lo < f->rho_hi)
    spill__notice(ctx, "W is not row-stochastic (row sums %.4g to %.4g): the %s interval (%.6g, %.6g) is %s, "
                       "not (-1, 1)",
                  s.min_rowsum, s.max_rowsum, nm, f->rho_lo, f->rho_hi,
                  strcmp(f->logdet_method, "lu") == 0
                      ? "+-1/(largest row sum of |W|) (Gershgorin; --logdet eigen gives the exact one)"
                      : "(1/lambda_min, 1/lambda_max) from W's extreme eigenvalues");
  spill_weights_summary_clear(&s);
  return SPILL_OK;
}

spill_fit *spill_fit_model(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                           const spill_fit_opts *opts)
{
  spill_fit_opts o;
  spill__design *d = NULL;
  spill__ldet *ld = NULL;
  spill_fit *f = NULL;
  int ml, lags, rc;
  if (opts) o = *opts;
  else spill_fit_opts_init(&o);
  if (check_inputs(ctx, p, w, &o)) return NULL;
  ml = o.model == SPILL_MODEL_SAR || o.model == SPILL_MODEL_SDM || o.model == SPILL_MODEL_SEM ||
       o.model == SPILL_MODEL_SAC || o.model == SPILL_MODEL_SDEM;
  lags = o.model == SPILL_MODEL_SDM || o.model == SPILL_MODEL_SLX || o.model == SPILL_MODEL_SDEM;
  if (o.fe == SPILL_FE_RANDOM && !ml) {
    spill__fail(ctx, SPILL_EINVAL, "random effects are estimated by ML: use --model sar, sdm or sem");
    return NULL;
  }
  /* the Lee-Yu transformation has one lag of y: F'(W y), the exact transform */
  if (o.lee_yu && o.splm_wy && o.fe == SPILL_FE_TWOWAYS)
    spill__notice(ctx, "the Lee-Yu transformation has one lag of y, F'(W y): the splm convention "
                       "(W of the demeaned y) does not apply and is ignored");
  if (o.lee_yu) o.splm_wy = 0;
  if (o.fe == SPILL_FE_RANDOM) { /* untransformed, with a constant */
    d = spill__design_new_fe(ctx, p, w, SPILL_FE_NONE, 1, lags, 0, o.n_fe_cols);
  } else {
    d = spill__design_new_fe(ctx, p, w, o.fe, o.intercept && o.fe == SPILL_FE_NONE, lags, o.splm_wy, o.n_fe_cols);
  }
  if (!d) goto fail;
  if (ml) {
    /* degrees of freedom: the fixed effects absorb n, t or n + t - 1 of the n t observations */
    int64_t abs_fe = o.fe == SPILL_FE_UNIT ? p->n : o.fe == SPILL_FE_TIME ? p->t
                   : o.fe == SPILL_FE_TWOWAYS ? p->n + p->t - 1 : 0;
    int64_t npar = (int64_t)d->k + 1 + (o.model == SPILL_MODEL_SAC) + (o.fe == SPILL_FE_RANDOM);
    if (d->nt - abs_fe - npar < 1) {
      spill__fail(ctx, SPILL_EDATA, "too few observations for the %s model: %lld units x %lld periods = %lld, "
                  "the %s fixed effects absorb %lld, which leaves %lld for %lld parameters (an exact fit, "
                  "no residual variance): add units or periods, or fit the OLS DID",
                  spill__model_name(o.model), (long long)p->n, (long long)p->t, (long long)d->nt,
                  spill__fe_name(o.fe), (long long)abs_fe, (long long)(d->nt - abs_fe), (long long)npar);
      goto fail;
    }
  }
  if (!(f = spill__fit_alloc(ctx, d, o.model, o.fe, ml, ml))) goto fail;
  f->lee_yu = o.lee_yu ? 1 : o.lee_yu_bc ? 2 : 0;
  f->splm_wy = o.splm_wy;
  if (d->fe_dummy) {
    if (!(f->fe_dummy = spill__malloc(ctx, d->k ? d->k : 1))) goto fail;
    memcpy(f->fe_dummy, d->fe_dummy, d->k);
  }
  for (int64_t i = 0; i < p->n; i++)
    if (!(f->ids[i] = spill__strdup(ctx, w ? w->ids[i] : p->ids[i]))) goto fail;
  /* Lee and Yu (2010): with unit effects the direct approach's sigma2 (and
   * so the SEs) is biased by about (T-1)/T, which matters for small T */
  if (ml && !o.lee_yu && p->t <= 3 && (o.fe == SPILL_FE_UNIT || o.fe == SPILL_FE_TWOWAYS) &&
      o.model != SPILL_MODEL_SEM)
    spill__notice(ctx, "T = %lld periods with unit fixed effects: the direct ML approach biases sigma2 "
                  "and the SEs by about (T-1)/T = %.2f; the Lee-Yu correction (--lee-yu) removes it",
                  (long long)p->t, (double)(p->t - 1) / (double)p->t);
  if (!ml) {
    snprintf(f->logdet_method, sizeof f->logdet_method, "none");
    rc = spill__fit_ols(ctx, d, o.fe, f, p->obs);
  } else {
    spill__progress(ctx, "fitting", 0.0);
    if (!(ld = spill__ldet_new(ctx, w, o.logdet))) goto fail;
    spill__ldet_set_traces(ld, o.traces, o.trace_seed);
    rc = fit_ml(ctx, f, d, w, ld, &o);
    spill__progress(ctx, "fitting", 1.0);
  }
  if (rc) goto fail;
  if (ml && spatial_notes(ctx, f, w)) goto fail;
  spill__ldet_free(ld);
  spill__design_free(d);
  return f;
fail:
  spill__ldet_free(ld);
  spill__design_free(d);
  spill_fit_free(f);
  return NULL;
}

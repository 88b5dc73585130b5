/* Analytic asymptotic variance of the ML estimators: the inverse of the
 * information matrix, not a numerical Hessian. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

/* Spatial lag panel, parameters (beta, rho, sigma2) (Elhorst 2014, eq.
 * 3.12-3.13; Lee and Yu 2010, eq. 8; as splm's splaglm and spatialreg's
 * lagsarlm), with G = W (I - rho W)^-1 and P = (I_T x G) Z beta:
 *   I_bb = Z'Z / s2,  I_br = Z'P / s2,  I_rr = T tr(GG + G'G) + P'P / s2,
 *   I_rs = T tr(G) / s2,  I_ss = NT / (2 s2^2),  I_bs = 0. */
/* The information matrix without its trace terms (base), completed for
 * given traces tr = (tr G, tr GG, tr G'G) by add_traces. */
typedef struct info_base {
  size_t nv, k;
  double tt, s2, *base;
} info_base;

static void add_traces(void *user, const double tr[3], double *info)
{
  info_base *b = user;
  size_t k = b->k, nv = b->nv;
  memcpy(info, b->base, nv * nv * sizeof *info);
  info[k * nv + k] += b->tt * (tr[1] + tr[2]);
  info[k * nv + k + 1] = info[(k + 1) * nv + k] = b->tt * tr[0] / b->s2;
}

int spill__vcov_lag(spill_ctx *ctx, const spill__design *d, spill__ldet *ld, double rho,
                    double sigma2, const double *coef, double *vcov)
{
  size_t k = d->k, nv = k + 2, nt = (size_t)d->nt;
  double *zb = NULL, *pv = NULL, *sol = NULL, s2 = sigma2, tt = (double)d->t;
  info_base ib = {nv, k, tt, sigma2, NULL};
  int rc = SPILL_ENOMEM;
  zb = spill__malloc(ctx, nt * sizeof *zb);
  pv = spill__malloc(ctx, nt * sizeof *pv);
  sol = spill__malloc(ctx, nt * sizeof *sol);
  ib.base = spill__calloc(ctx, nv * nv, sizeof *ib.base);
  if (!zb || !pv || !sol || !ib.base) goto done;
  for (size_t i = 0; i < nt; i++) {
    double s = 0.0;
    for (size_t j = 0; j < k; j++) s += d->z[j * nt + i] * coef[j];
    zb[i] = s;
  }
  /* P = (I_T x G) Z beta with G = W (I - rho W)^-1 */
  if ((rc = spill__ldet_solve(ctx, ld, rho, zb, d->t, sol))) goto done;
  spill__wlag(spill__ldet_weights(ld), sol, d->t, pv);
  for (size_t a = 0; a < k; a++) {
    double zp = 0.0;
    for (size_t b = 0; b < k; b++) {
      double s = 0.0;
      for (size_t i = 0; i < nt; i++) s += d->z[a * nt + i] * d->z[b * nt + i];
      ib.base[a * nv + b] = s / s2;
    }
    for (size_t i = 0; i < nt; i++) zp += d->z[a * nt + i] * pv[i];
    ib.base[a * nv + k] = ib.base[k * nv + a] = zp / s2;
  }
  {
    double pp = 0.0;
    for (size_t i = 0; i < nt; i++) pp += pv[i] * pv[i];
    ib.base[k * nv + k] = pp / s2;
  }
  ib.base[(k + 1) * nv + k + 1] = (double)nt / (2.0 * s2 * s2);
  rc = spill__vcov_traces(ctx, ld, rho, nv, add_traces, &ib, vcov);
done:
  free(zb);
  free(pv);
  free(sol);
  free(ib.base);
  return rc;
}

/* Spatial error panel, (beta, lambda, sigma2) (Anselin 1988, eq. 6.31; as
 * splm's sperrorlm), H = W (I - lam W)^-1, Z* = Z - lam (I_T x W) Z:
 *   I_bb = Z*'Z* / s2,  I_ll = T tr(HH + H'H),  I_ls = T tr(H) / s2,
 *   I_ss = NT / (2 s2^2),  I_bl = I_bs = 0. */
int spill__vcov_error(spill_ctx *ctx, const spill__design *d, const spill_weights *w,
                      spill__ldet *ld, double lambda, double sigma2, double *vcov)
{
  size_t k = d->k, nv = k + 2, nt = (size_t)d->nt;
  double *zs = NULL, *wk = NULL, s2 = sigma2, tt = (double)d->t;
  info_base ib = {nv, k, tt, sigma2, NULL};
  int rc = SPILL_ENOMEM;
  zs = spill__malloc(ctx, k * nt * sizeof *zs);
  wk = spill__malloc(ctx, (size_t)(d->n + d->t) * sizeof *wk);
  if (!zs || !wk) goto done;
  for (size_t j = 0; j < k; j++) {
    spill__design_wlag(d, w, d->z + j * nt, wk, zs + j * nt); /* as the fit's W Z */
    for (size_t i = 0; i < nt; i++) zs[j * nt + i] = d->z[j * nt + i] - lambda * zs[j * nt + i];
  }
  ib.base = spill__calloc(ctx, nv * nv, sizeof *ib.base);
  if (!ib.base) goto done;
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) {
      double s = 0.0;
      for (size_t i = 0; i < nt; i++) s += zs[a * nt + i] * zs[b * nt + i];
      ib.base[a * nv + b] = s / s2;
    }
  ib.base[(k + 1) * nv + k + 1] = (double)nt / (2.0 * s2 * s2);
  if ((rc = spill__vcov_traces(ctx, ld, lambda, nv, add_traces, &ib, vcov))) goto done;
  rc = SPILL_OK;
done:
  free(zs);
  free(wk);
  free(ib.base);
  return rc;
}

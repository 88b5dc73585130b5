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
int spill__vcov_lag(spill_ctx *ctx, const spill__design *d, spill__ldet *ld, double rho,
                    double sigma2, const double *coef, double *vcov)
{
  size_t k = d->k, nv = k + 2, nt = (size_t)d->nt;
  double *zb = NULL, *pv = NULL, tr[3], s2 = sigma2, tt = (double)d->t;
  int rc = SPILL_ENOMEM;
  zb = spill__malloc(ctx, nt * sizeof *zb);
  pv = spill__malloc(ctx, nt * sizeof *pv);
  if (!zb || !pv) goto done;
  for (size_t i = 0; i < nt; i++) {
    double s = 0.0;
    for (size_t j = 0; j < k; j++) s += d->z[j * nt + i] * coef[j];
    zb[i] = s;
  }
  if ((rc = spill__ldet_traces(ctx, ld, rho, zb, d->t, pv, tr))) goto done;
  memset(vcov, 0, nv * nv * sizeof *vcov);
  for (size_t a = 0; a < k; a++) {
    double zp = 0.0;
    for (size_t b = 0; b < k; b++) {
      double s = 0.0;
      for (size_t i = 0; i < nt; i++) s += d->z[a * nt + i] * d->z[b * nt + i];
      vcov[a * nv + b] = s / s2;
    }
    for (size_t i = 0; i < nt; i++) zp += d->z[a * nt + i] * pv[i];
    vcov[a * nv + k] = vcov[k * nv + a] = zp / s2;
  }
  {
    double pp = 0.0;
    for (size_t i = 0; i < nt; i++) pp += pv[i] * pv[i];
    vcov[k * nv + k] = tt * (tr[1] + tr[2]) + pp / s2;
  }
  vcov[k * nv + k + 1] = vcov[(k + 1) * nv + k] = tt * tr[0] / s2;
  vcov[(k + 1) * nv + k + 1] = (double)nt / (2.0 * s2 * s2);
  if (spill__inverse(vcov, nv)) {
    rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
    goto done;
  }
  rc = SPILL_OK;
done:
  free(zb);
  free(pv);
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
  double *zs = NULL, *wk = NULL, tr[3], s2 = sigma2, tt = (double)d->t;
  int rc = SPILL_ENOMEM;
  zs = spill__malloc(ctx, k * nt * sizeof *zs);
  wk = spill__malloc(ctx, (size_t)(d->n + d->t) * sizeof *wk);
  if (!zs || !wk) goto done;
  for (size_t j = 0; j < k; j++) {
    spill__design_wlag(d, w, d->z + j * nt, wk, zs + j * nt); /* as the fit's W Z */
    for (size_t i = 0; i < nt; i++) zs[j * nt + i] = d->z[j * nt + i] - lambda * zs[j * nt + i];
  }
  if ((rc = spill__ldet_traces(ctx, ld, lambda, NULL, 0, NULL, tr))) goto done;
  memset(vcov, 0, nv * nv * sizeof *vcov);
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) {
      double s = 0.0;
      for (size_t i = 0; i < nt; i++) s += zs[a * nt + i] * zs[b * nt + i];
      vcov[a * nv + b] = s / s2;
    }
  vcov[k * nv + k] = tt * (tr[1] + tr[2]);
  vcov[k * nv + k + 1] = vcov[(k + 1) * nv + k] = tt * tr[0] / s2;
  vcov[(k + 1) * nv + k + 1] = (double)nt / (2.0 * s2 * s2);
  if (spill__inverse(vcov, nv)) {
    rc = spill__fail(ctx, SPILL_ENUM, "the information matrix is singular: the model is not identified");
    goto done;
  }
  rc = SPILL_OK;
done:
  free(zs);
  free(wk);
  return rc;
}

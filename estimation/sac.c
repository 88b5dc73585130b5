/* The SAC (SARAR) panel model y = rho W y + Z b + u, u = lambda W u + e
 * (Kelejian and Prucha 1998; Anselin 1988, ch. 6; Lee and Yu 2010, sec. 3),
 * with the fixed effects removed by the within transform: ML on the
 * likelihood concentrated in (rho, lambda), maximised by Brent's method in
 * lambda over Brent's method in rho; variance from the analytic information
 * matrix (Lee and Yu 2010, eq. 39, as R splm's spsararlm with Hess = FALSE). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

#define LOG_2PI 1.83787706640934548356

int spill__dense_g(spill_ctx *ctx, spill__ldet *ld, const spill_weights *w, double rho, double *g)
{
  size_t n = (size_t)w->n;
  double *b = spill__calloc(ctx, n * n, sizeof *b);
  int rc;
  if (!b) return ctx->status;
  for (size_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) b[(size_t)w->j[q] * n + i] = w->x[q];
  /* (I - rho W) G = W */
  rc = spill__ldet_solve(ctx, ld, rho, b, (int64_t)n, g);
  free(b);
  return rc;
}

/* ---- the concentrated likelihood from a Gram matrix of the vectors
 * y, Wy_d (the design's lag of y), W y, W Wy_d, Z (k), W Z (k) ---- */

typedef struct sac_state {
  spill__ldet *ld;
  size_t k, m;
  double nt, t;
  double *g;      /* m x m Gram matrix */
  double *a, *c;  /* k x k, k work */
  double lam, ld_lam, rho_at; /* inner problem: lambda fixed, its log-det; argmax rho */
  int npts;
} sac_state;

#define G(s, i, j) ((s)->g[(i) * (s)->m + (j)])

/* SSE of the regression of R (y - rho wy) on R Z, R = I - lam W. */
static int sac_sse(sac_state *s, double rho, double lam, double *sse)
{
  size_t k = s->k, z = 4, wz = 4 + k;
  double cv[4] = {1.0, -rho, -lam, rho * lam}, vv = 0.0, cb = 0.0;
  for (size_t a = 0; a < 4; a++)
    for (size_t b = 0; b < 4; b++) vv += cv[a] * cv[b] * G(s, a, b);
  for (size_t i = 0; i < k; i++) {
    double ci = 0.0;
    for (size_t j = 0; j < k; j++)
      s->a[j * k + i] = G(s, z + i, z + j) - lam * (G(s, z + i, wz + j) + G(s, wz + i, z + j)) +
                        lam * lam * G(s, wz + i, wz + j);
    for (size_t a = 0; a < 4; a++) ci += cv[a] * (G(s, z + i, a) - lam * G(s, wz + i, a));
    s->c[i] = ci;
  }
  if (spill__spd_inverse(s->a, k)) return -1;
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) cb += s->c[i] * s->a[j * k + i] * s->c[j];
  *sse = vv - cb;
  return 0;
}

/* lnL = -(NT/2)(ln 2 pi + ln(SSE/NT) + 1) + T ln|I - rho W| + T ln|I - lam W| */
static int sac_inner(spill_ctx *ctx, void *user, double rho, double *f)
{
  sac_state *s = user;
  double ld, sse;
  int rc = spill__ldet_eval(ctx, s->ld, rho, &ld);
  if (rc) return rc;
  if (!isfinite(ld) || sac_sse(s, rho, s->lam, &sse) || !(sse > 0)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  *f = -0.5 * s->nt * (LOG_2PI + log(sse / s->nt) + 1.0) + s->t * (ld + s->ld_lam);
  return SPILL_OK;
}

/* The likelihood profiled over rho at lambda = lam. */
static int sac_outer(spill_ctx *ctx, void *user, double lam, double *f)
{
  sac_state *s = user;
  double lo, hi, ld;
  int rc = spill__ldet_eval(ctx, s->ld, lam, &ld);
  if (rc) return rc;
  if (!isfinite(ld)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  s->lam = lam;
  s->ld_lam = ld;
  spill__ldet_interval(s->ld, &lo, &hi);
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  return spill__maximise(ctx, sac_inner, s, lo, hi, s->npts, 1e-12, &s->rho_at, f);
}

static double dotn(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

int spill__ml_sac(spill_ctx *ctx, const spill__design *d, const spill_weights *w, spill__ldet *ld,
                  spill__mlres *r, double *lambda)
{
  size_t k = d->k, nt = (size_t)d->nt, m = 4 + 2 * k;
  double *vec = NULL, *xs = NULL, *ys = NULL, *rr = NULL, lo, hi, lam, f, sse = 0.0;
  sac_state st;
  int rc = SPILL_ENOMEM;
  memset(&st, 0, sizeof st);
  vec = spill__malloc(ctx, m * nt * sizeof *vec);
  st.g = spill__malloc(ctx, m * m * sizeof *st.g);
  st.a = spill__malloc(ctx, k * k * sizeof *st.a);
  st.c = spill__malloc(ctx, k * sizeof *st.c);
  xs = spill__malloc(ctx, k * nt * sizeof *xs);
  ys = spill__malloc(ctx, (nt + (size_t)(d->n + d->t)) * sizeof *ys);
  rr = spill__malloc(ctx, k * k * sizeof *rr);
  if (!vec || !st.g || !st.a || !st.c || !xs || !ys || !rr) goto done;
  /* the error filter's W by the design's convention for lags (as its W y) */
  memcpy(vec, d->y, nt * sizeof *vec);
  memcpy(vec + nt, d->wy, nt * sizeof *vec);
  spill__design_wlag(d, w, d->y, ys, vec + 2 * nt);
  spill__design_wlag(d, w, d->wy, ys, vec + 3 * nt);
  memcpy(vec + 4 * nt, d->z, k * nt * sizeof *vec);
  for (size_t j = 0; j < k; j++) spill__design_wlag(d, w, d->z + j * nt, ys, vec + (4 + k + j) * nt);
  for (size_t a = 0; a < m; a++)
    for (size_t b = a; b < m; b++) st.g[a * m + b] = st.g[b * m + a] = dotn(vec + a * nt, vec + b * nt, nt);
  st.ld = ld;
  st.k = k;
  st.m = m;
  st.nt = (double)nt;
  st.t = (double)d->t;
  st.npts = spill__ldet_method(ld) == SPILL_LOGDET_EIGEN ? 60 : 16;
  spill__ldet_interval(ld, &lo, &hi);
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  if ((rc = spill__maximise(ctx, sac_outer, &st, lo, hi, st.npts, 1e-12, &lam, &f))) goto done;
  if ((rc = sac_outer(ctx, &st, lam, &r->loglik))) goto done; /* sets rho_at for lam */
  r->rho = st.rho_at;
  *lambda = lam;
  /* the slopes by least squares on the filtered data itself */
  for (size_t i = 0; i < nt; i++)
    ys[i] = vec[i] - r->rho * vec[nt + i] - lam * vec[2 * nt + i] + r->rho * lam * vec[3 * nt + i];
  for (size_t j = 0; j < k; j++)
    for (size_t i = 0; i < nt; i++) xs[j * nt + i] = vec[(4 + j) * nt + i] - lam * vec[(4 + k + j) * nt + i];
  if ((rc = spill__xtx_chol(ctx, xs, d->nt, k, rr))) goto done;
  spill__ls_solve(xs, d->nt, k, rr, ys, r->coef);
  for (size_t i = 0; i < nt; i++) {
    double e = ys[i];
    for (size_t j = 0; j < k; j++) e -= xs[j * nt + i] * r->coef[j];
    sse += e * e;
  }
  r->sigma2 = sse / (double)nt;
  rc = SPILL_OK;
done:
  free(vec);
  free(st.g);
  free(st.a);
  free(st.c);
  free(xs);
  free(ys);
  free(rr);
  return rc;
}

/* y = R x per period, R = I - lam W, W by the design's convention */
static void rfilter(const spill__design *d, const spill_weights *w, double lam, const double *x, double *work,
                    double *tmp, double *y)
{
  size_t nt = (size_t)d->nt;
  spill__design_wlag(d, w, x, work, tmp);
  for (size_t i = 0; i < nt; i++) y[i] = x[i] - lam * tmp[i];
}

/* Information matrix of (b, rho, lambda, s2), G = W (I - rho W)^-1,
 * H = W (I - lambda W)^-1, Zs = (I_T x R) Z, Pr = (I_T x R G) Z b
 * (R G R^-1 = G for one W; Lee and Yu 2010, eq. 39):
 *   I_bb = Zs'Zs/s2, I_br = Zs'Pr/s2, I_rr = Pr'Pr/s2 + T tr(GG + G'G),
 *   I_rl = T tr(HG + H'G), I_rs = T tr G/s2, I_ll = T tr(HH + H'H),
 *   I_ls = T tr H/s2, I_ss = NT/(2 s2^2), I_bl = I_bs = 0. */
int spill__vcov_sac(spill_ctx *ctx, const spill__design *d, const spill_weights *w, spill__ldet *ld,
                    double rho, double lambda, double sigma2, const double *coef, double *vcov)
{
  size_t k = d->k, nv = k + 3, nt = (size_t)d->nt, n = (size_t)d->n, T = (size_t)d->t;
  double *gm = NULL, *hm = NULL, *zs = NULL, *zb = NULL, *pv = NULL, *pr = NULL, *tmp = NULL, *wk = NULL;
  double trg = 0, trgg = 0, trgtg = 0, trh = 0, trhh = 0, trhth = 0, trhg = 0, trhtg = 0;
  double s2 = sigma2, tt = (double)d->t;
  int rc = SPILL_ENOMEM;
  gm = spill__malloc(ctx, n * n * sizeof *gm);
  hm = spill__malloc(ctx, n * n * sizeof *hm);
  zs = spill__malloc(ctx, k * nt * sizeof *zs);
  zb = spill__malloc(ctx, nt * sizeof *zb);
  pv = spill__malloc(ctx, nt * sizeof *pv);
  pr = spill__malloc(ctx, nt * sizeof *pr);
  tmp = spill__malloc(ctx, nt * sizeof *tmp);
  wk = spill__malloc(ctx, (n + T) * sizeof *wk);
  if (!gm || !hm || !zs || !zb || !pv || !pr || !tmp || !wk) goto done;
  if ((rc = spill__dense_g(ctx, ld, w, rho, gm)) || (rc = spill__dense_g(ctx, ld, w, lambda, hm))) goto done;
  for (size_t j = 0; j < n; j++) {
    trg += gm[j * n + j];
    trh += hm[j * n + j];
    for (size_t i = 0; i < n; i++) {
      double gij = gm[j * n + i], gji = gm[i * n + j], hij = hm[j * n + i], hji = hm[i * n + j];
      trgg += gij * gji;
      trgtg += gij * gij;
      trhh += hij * hji;
      trhth += hij * hij;
      trhg += hij * gji;
      trhtg += hij * gij;
    }
  }
  for (size_t i = 0; i < nt; i++) {
    double s = 0.0;
    for (size_t j = 0; j < k; j++) s += d->z[j * nt + i] * coef[j];
    zb[i] = s;
  }
  for (size_t s = 0; s < T; s++) /* pv_t = G zb_t */
    for (size_t i = 0; i < n; i++) {
      double acc = 0.0;
      for (size_t j = 0; j < n; j++) acc += gm[j * n + i] * zb[s * n + j];
      pv[s * n + i] = acc;
    }
  rfilter(d, w, lambda, pv, wk, tmp, pr);
  for (size_t j = 0; j < k; j++) rfilter(d, w, lambda, d->z + j * nt, wk, tmp, zs + j * nt);
  memset(vcov, 0, nv * nv * sizeof *vcov);
  for (size_t a = 0; a < k; a++) {
    for (size_t b = 0; b < k; b++) vcov[a * nv + b] = dotn(zs + a * nt, zs + b * nt, nt) / s2;
    vcov[a * nv + k] = vcov[k * nv + a] = dotn(zs + a * nt, pr, nt) / s2;
  }
  vcov[k * nv + k] = dotn(pr, pr, nt) / s2 + tt * (trgg + trgtg);
  vcov[k * nv + k + 1] = vcov[(k + 1) * nv + k] = tt * (trhg + trhtg);
  vcov[k * nv + k + 2] = vcov[(k + 2) * nv + k] = tt * trg / s2;
  vcov[(k + 1) * nv + k + 1] = tt * (trhh + trhth);
  vcov[(k + 1) * nv + k + 2] = vcov[(k + 2) * nv + k + 1] = tt * trh / s2;
  vcov[(k + 2) * nv + k + 2] = (double)nt / (2.0 * s2 * s2);
  if (spill__inverse(vcov, nv)) {
    rc = spill__fail(ctx, SPILL_ENUM, "the SAC information matrix is singular: rho and lambda are not "
                                      "separately identified in these data");
    goto done;
  }
  rc = SPILL_OK;
done:
  free(gm);
  free(hm);
  free(zs);
  free(zb);
  free(pv);
  free(pr);
  free(tmp);
  free(wk);
  return rc;
}

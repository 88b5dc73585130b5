/* The SAC (SARAR) panel model y = rho W y + Z b + u, u = lambda W u + e
 * (Kelejian and Prucha 1998; Anselin 1988, ch. 6; Lee and Yu 2010, sec. 3),
 * with the fixed effects removed by the within transform: ML on the
 * likelihood concentrated in (rho, lambda), located by Brent's method in
 * lambda over Brent's method in rho and refined by Newton steps on the exact
 * gradient; variance from the analytic information
 * matrix (Lee and Yu 2010, eq. 39, as R splm's spsararlm with Hess = FALSE),
 * its traces exact for small n and by Hutchinson probes for large n. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/effects.h"

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

/* ln|I - x W| interpolated by a natural cubic spline through exact values
 * on a uniform grid (Press et al. 2007, sec. 3.3): used only to locate the
 * maximum of the SAC likelihood cheaply with sparse log-determinants; the
 * answer is then refined with exact values (sac_newton). */
typedef struct ld_spline {
  int m;
  double lo, h;
  double *y, *d2;
} ld_spline;

static int spline_build(spill_ctx *ctx, spill__ldet *ld, double lo, double hi, int m, ld_spline *sp)
{
  double *u = NULL;
  int rc = SPILL_ENOMEM;
  sp->m = m;
  sp->lo = lo;
  sp->h = (hi - lo) / (m - 1);
  sp->y = spill__malloc(ctx, (size_t)m * sizeof *sp->y);
  sp->d2 = spill__calloc(ctx, (size_t)m, sizeof *sp->d2);
  u = spill__calloc(ctx, (size_t)m, sizeof *u);
  if (!sp->y || !sp->d2 || !u) goto done;
  for (int i = 0; i < m; i++)
    if ((rc = spill__ldet_eval(ctx, ld, lo + sp->h * i, &sp->y[i]))) goto done;
  for (int i = 1; i < m - 1; i++) { /* tridiagonal sweep, uniform spacing */
    double p = 0.5 * sp->d2[i - 1] + 2.0;
    sp->d2[i] = -0.5 / p;
    u[i] = (sp->y[i + 1] - 2.0 * sp->y[i] + sp->y[i - 1]) / sp->h;
    u[i] = (3.0 * u[i] / sp->h - 0.5 * u[i - 1]) / p;
  }
  sp->d2[m - 1] = 0.0;
  for (int i = m - 2; i >= 0; i--) sp->d2[i] = sp->d2[i] * sp->d2[i + 1] + u[i];
  rc = SPILL_OK;
done:
  free(u);
  return rc;
}

static double spline_eval(const ld_spline *sp, double x)
{
  int i = (int)floor((x - sp->lo) / sp->h);
  double a, b;
  if (i < 0) i = 0;
  if (i > sp->m - 2) i = sp->m - 2;
  b = (x - (sp->lo + sp->h * i)) / sp->h;
  a = 1.0 - b;
  return a * sp->y[i] + b * sp->y[i + 1] +
         ((a * a * a - a) * sp->d2[i] + (b * b * b - b) * sp->d2[i + 1]) * sp->h * sp->h / 6.0;
}

typedef struct sac_state {
  const ld_spline *sp; /* not NULL: interpolated log-determinants */
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

static int sac_ldet(spill_ctx *ctx, sac_state *s, double x, double *ld)
{
  if (s->sp) {
    *ld = spline_eval(s->sp, x);
    return SPILL_OK;
  }
  return spill__ldet_eval(ctx, s->ld, x, ld);
}

/* lnL = -(NT/2)(ln 2 pi + ln(SSE/NT) + 1) + T ln|I - rho W| + T ln|I - lam W| */
static int sac_inner(spill_ctx *ctx, void *user, double rho, double *f)
{
  sac_state *s = user;
  double ld, sse;
  int rc = sac_ldet(ctx, s, rho, &ld);
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
  int rc = sac_ldet(ctx, s, lam, &ld);
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

/* Exact lnL and its gradient in (rho, lam) (envelope theorem over b):
 * d/d rho = NT e'(wy - lam W wy)/SSE - T tr G(rho),
 * d/d lam = NT e'(W y - rho W wy - W Z b)/SSE - T tr G(lam). */
static int sac_grad(spill_ctx *ctx, sac_state *s, double rho, double lam, double *f, double g[2])
{
  size_t k = s->k, z = 4, wz = 4 + k;
  double cv[4] = {1.0, -rho, -lam, rho * lam}, sse, l1, l2, t1, t2, er = 0.0, el = 0.0, b[64];
  int rc;
  if ((rc = spill__ldet_eval(ctx, s->ld, rho, &l1)) || (rc = spill__ldet_eval(ctx, s->ld, lam, &l2))) return rc;
  if (!isfinite(l1) || !isfinite(l2) || sac_sse(s, rho, lam, &sse) || !(sse > 0)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  if ((rc = spill__ldet_trace_g(ctx, s->ld, rho, &t1)) || (rc = spill__ldet_trace_g(ctx, s->ld, lam, &t2)))
    return rc;
  for (size_t i = 0; i < k; i++) { /* b = A^-1 c (sac_sse left A^-1 in s->a) */
    double acc = 0.0;
    for (size_t j = 0; j < k; j++) acc += s->a[j * k + i] * s->c[j];
    b[i] = acc;
  }
  /* e = sum_a cv_a v_a - sum_j b_j (Z_j - lam WZ_j); e'u for each needed u */
  for (size_t u = 0; u < s->m; u++) {
    double eu = 0.0, wr = 0.0, wl = 0.0;
    for (size_t a = 0; a < 4; a++) eu += cv[a] * G(s, a, u);
    for (size_t j = 0; j < k; j++) eu -= b[j] * (G(s, z + j, u) - lam * G(s, wz + j, u));
    if (u == 1) wr = 1.0;          /* d e / d rho = -(wy - lam W wy) */
    if (u == 3) wr = -lam, wl = -rho;
    if (u == 2) wl = 1.0;          /* d e / d lam = -(W y - rho W wy - W Z b) */
    if (u >= wz) wl = -b[u - wz];
    er += wr * eu;
    el += wl * eu;
  }
  *f = -0.5 * s->nt * (LOG_2PI + log(sse / s->nt) + 1.0) + s->t * (l1 + l2);
  g[0] = s->nt * er / sse - s->t * t1;
  g[1] = s->nt * el / sse - s->t * t2;
  return SPILL_OK;
}

/* Newton steps with a finite-difference Hessian of the exact gradient,
 * halved until lnL does not fall; 1 when converged (|step| < 1e-10). */
static int sac_newton(spill_ctx *ctx, sac_state *s, double lo, double hi, double *rho, double *lam, double *fx,
                      int *converged)
{
  double x[2] = {*rho, *lam}, f, g[2], h = 1e-6;
  int rc;
  *converged = 0;
  if ((rc = sac_grad(ctx, s, x[0], x[1], &f, g))) return rc;
  if (!isfinite(f)) return SPILL_OK;
  for (int it = 0; it < 30; it++) {
    double g1[2], g2[2], f1, hs[4], det, st[2], sc = 1.0;
    if ((rc = sac_grad(ctx, s, x[0] + h, x[1], &f1, g1)) || (rc = sac_grad(ctx, s, x[0], x[1] + h, &f1, g2)))
      return rc;
    hs[0] = (g1[0] - g[0]) / h;
    hs[3] = (g2[1] - g[1]) / h;
    hs[1] = hs[2] = 0.5 * ((g1[1] - g[1]) / h + (g2[0] - g[0]) / h);
    det = hs[0] * hs[3] - hs[1] * hs[2];
    if (!(det > 0) || !(hs[0] < 0)) return SPILL_OK; /* not locally concave */
    st[0] = -(hs[3] * g[0] - hs[1] * g[1]) / det;
    st[1] = -(-hs[2] * g[0] + hs[0] * g[1]) / det;
    for (int half = 0; half < 30; half++, sc *= 0.5) {
      double y0 = x[0] + sc * st[0], y1 = x[1] + sc * st[1], fy, gy[2];
      if (!(y0 > lo && y0 < hi && y1 > lo && y1 < hi)) continue;
      if ((rc = sac_grad(ctx, s, y0, y1, &fy, gy))) return rc;
      if (fy >= f - 1e-12 * fabs(f)) {
        x[0] = y0;
        x[1] = y1;
        f = fy;
        g[0] = gy[0];
        g[1] = gy[1];
        break;
      }
    }
    if (fabs(sc * st[0]) + fabs(sc * st[1]) < 1e-10) {
      *converged = 1;
      break;
    }
  }
  *rho = x[0];
  *lam = x[1];
  *fx = f;
  return SPILL_OK;
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
  ld_spline sp = {0, 0, 0, NULL, NULL};
  int rc = SPILL_ENOMEM;
  memset(&st, 0, sizeof st);
  if (k > 64) return spill__fail(ctx, SPILL_EINVAL, "the SAC model takes at most 64 regressors");
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
  {
    /* the maximum is located by Brent's method in lambda over Brent's method
     * in rho, on exact log-determinants with the eigenvalues, or on a spline
     * of ln|I - x W| through 64 exact values with sparse factorisations (each
     * costs a factorisation); then Newton steps on the exact gradient (whose
     * root is well conditioned, unlike the flat maximum of the profile);
     * the exact nested search alone only if Newton does not converge */
    int ok = 0, eig = spill__ldet_method(ld) == SPILL_LOGDET_EIGEN;
    double rho0, s_lo = eig ? lo : lo + 1e-4 * (hi - lo), s_hi = eig ? hi : hi - 1e-4 * (hi - lo);
    if (!eig) {
      if ((rc = spline_build(ctx, ld, s_lo, s_hi, 64, &sp))) goto done;
      st.sp = &sp;
    }
    if ((rc = spill__maximise(ctx, sac_outer, &st, s_lo, s_hi, st.npts, 1e-10, &lam, &f))) goto done;
    if ((rc = sac_outer(ctx, &st, lam, &f))) goto done;
    st.sp = NULL;
    rho0 = st.rho_at;
    if ((rc = sac_newton(ctx, &st, lo, hi, &rho0, &lam, &r->loglik, &ok))) goto done;
    if (ok) {
      r->rho = rho0;
      *lambda = lam;
      goto slopes;
    }
  }
  if ((rc = spill__maximise(ctx, sac_outer, &st, lo, hi, st.npts, 1e-12, &lam, &f))) goto done;
  if ((rc = sac_outer(ctx, &st, lam, &r->loglik))) goto done; /* sets rho_at for lam */
  r->rho = st.rho_at;
  *lambda = lam;
slopes:
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
  free(sp.y);
  free(sp.d2);
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

/* ---- the traces of the information matrix ----
 * t = (tr G, tr GG, tr G'G, tr H, tr HH, tr H'H, tr HG, tr H'G). For a
 * vector z, with A = I - rho W, B = I - lambda W: G z = A^-1 W z, G'z =
 * W'A^-T z, H z = B^-1 W z, H'z = W'B^-T z, and z'GGz = (G'z)'(Gz),
 * z'G'Gz = |Gz|^2, z'HGz = (H'z)'(Gz), z'H'Gz = (Hz)'(Gz) (Hutchinson 1989;
 * exact when summed over the unit vectors). Monte Carlo control variates:
 * the first Neumann terms G ~ W + rho W^2, H ~ W + lambda W^2, GG ~ HH ~
 * HG ~ W^2, G'G ~ H'H ~ H'G ~ W'W, whose traces c = (tr W, tr W^2, tr W'W)
 * are exact and cheap. */
typedef struct sac_probe {
  spill__ldet *ld, *tw; /* factors at rho and at lambda */
  double rho, lam, c[3];
} sac_probe;

static int sac_forms(spill_ctx *ctx, void *user, const double *z, int bs, int mc, double *q)
{
  sac_probe *sp = user;
  const spill_weights *w = spill__ldet_weights(sp->ld);
  int64_t n = w->n;
  size_t nb = (size_t)n * (size_t)bs;
  double *wz = spill__malloc(ctx, nb * sizeof *wz), *u = spill__malloc(ctx, nb * sizeof *u);
  double *v = spill__malloc(ctx, nb * sizeof *v), *p = spill__malloc(ctx, nb * sizeof *p);
  double *r = spill__malloc(ctx, nb * sizeof *r), *gt = spill__malloc(ctx, (size_t)n * sizeof *gt);
  double *ht = spill__malloc(ctx, (size_t)n * sizeof *ht), *wtz = spill__malloc(ctx, (size_t)n * sizeof *wtz);
  const double *c = sp->c;
  int rc = SPILL_ENOMEM;
  if (!wz || !u || !v || !p || !r || !gt || !ht || !wtz) goto done;
  for (int s = 0; s < bs; s++) spill__wmul(w, z + (size_t)s * n, wz + (size_t)s * n);
  if ((rc = spill__ldet_solve_t(ctx, sp->ld, sp->rho, 0, wz, bs, u)) || /* u = G z */
      (rc = spill__ldet_solve_t(ctx, sp->ld, sp->rho, 1, z, bs, v)) ||  /* v = A^-T z */
      (rc = spill__ldet_solve_t(ctx, sp->tw, sp->lam, 0, wz, bs, p)) || /* p = H z */
      (rc = spill__ldet_solve_t(ctx, sp->tw, sp->lam, 1, z, bs, r)))    /* r = B^-T z */
    goto done;
  for (int s = 0; s < bs; s++) {
    const double *zs = z + (size_t)s * n, *ws = wz + (size_t)s * n, *us = u + (size_t)s * n;
    const double *ps = p + (size_t)s * n;
    double f[8] = {0}, zwz = 0, zw2z = 0, ww = 0, *qs = q + (size_t)s * 8;
    spill__wtmul(w, v + (size_t)s * n, gt); /* G'z */
    spill__wtmul(w, r + (size_t)s * n, ht); /* H'z */
    if (mc) spill__wtmul(w, zs, wtz);
    for (int64_t i = 0; i < n; i++) {
      f[0] += zs[i] * us[i];
      f[1] += gt[i] * us[i];
      f[2] += us[i] * us[i];
      f[3] += zs[i] * ps[i];
      f[4] += ht[i] * ps[i];
      f[5] += ps[i] * ps[i];
      f[6] += ht[i] * us[i];
      f[7] += ps[i] * us[i];
      if (mc) {
        zwz += zs[i] * ws[i];
        zw2z += wtz[i] * ws[i];
        ww += ws[i] * ws[i];
      }
    }
    if (!mc) {
      memcpy(qs, f, sizeof f);
      continue;
    }
    qs[0] = c[0] + sp->rho * c[1] + f[0] - zwz - sp->rho * zw2z;
    qs[1] = c[1] + f[1] - zw2z;
    qs[2] = c[2] + f[2] - ww;
    qs[3] = c[0] + sp->lam * c[1] + f[3] - zwz - sp->lam * zw2z;
    qs[4] = c[1] + f[4] - zw2z;
    qs[5] = c[2] + f[5] - ww;
    qs[6] = c[1] + f[6] - zw2z;
    qs[7] = c[2] + f[7] - ww;
  }
  rc = SPILL_OK;
done:
  free(wz);
  free(u);
  free(v);
  free(p);
  free(r);
  free(gt);
  free(ht);
  free(wtz);
  return rc;
}

/* exact traces from dense G and H (the eigen method: small n) */
static int sac_dense_traces(spill_ctx *ctx, spill__ldet *ld, const spill_weights *w, double rho, double lambda,
                            double t[8])
{
  size_t n = (size_t)w->n;
  double *gm = NULL, *hm = NULL;
  int rc = SPILL_ENOMEM;
  memset(t, 0, 8 * sizeof *t);
  if (spill__mem_request(ctx, 3.0 * (double)n * (double)n * sizeof *gm, "the SAC's dense n x n G and H",
                         "use --logdet chol (symmetric W) or lu"))
    return SPILL_ENOMEM;
  gm = spill__malloc(ctx, n * n * sizeof *gm);
  hm = spill__malloc(ctx, n * n * sizeof *hm);
  if (!gm || !hm) goto done;
  if ((rc = spill__dense_g(ctx, ld, w, rho, gm)) || (rc = spill__dense_g(ctx, ld, w, lambda, hm))) goto done;
  for (size_t j = 0; j < n; j++) {
    t[0] += gm[j * n + j];
    t[3] += hm[j * n + j];
    for (size_t i = 0; i < n; i++) {
      double gij = gm[j * n + i], gji = gm[i * n + j], hij = hm[j * n + i], hji = hm[i * n + j];
      t[1] += gij * gji;
      t[2] += gij * gij;
      t[4] += hij * hji;
      t[5] += hij * hij;
      t[6] += hij * gji;
      t[7] += hij * gij;
    }
  }
done:
  free(gm);
  free(hm);
  return rc;
}

typedef struct sac_info {
  size_t nv, k;
  double tt, s2, *base;
} sac_info;

static void sac_add_traces(void *user, const double *t, double *info)
{
  sac_info *b = user;
  size_t k = b->k, nv = b->nv;
  double tt = b->tt, s2 = b->s2;
  memcpy(info, b->base, nv * nv * sizeof *info);
  info[k * nv + k] += tt * (t[1] + t[2]);
  info[k * nv + k + 1] = info[(k + 1) * nv + k] = tt * (t[6] + t[7]);
  info[k * nv + k + 2] = info[(k + 2) * nv + k] = tt * t[0] / s2;
  info[(k + 1) * nv + k + 1] = tt * (t[4] + t[5]);
  info[(k + 1) * nv + k + 2] = info[(k + 2) * nv + k + 1] = tt * t[3] / s2;
}

/* Information matrix of (b, rho, lambda, s2), G = W (I - rho W)^-1,
 * H = W (I - lambda W)^-1, Zs = (I_T x R) Z, Pr = (I_T x R G) Z b
 * (R G R^-1 = G for one W; Lee and Yu 2010, eq. 39):
 *   I_bb = Zs'Zs/s2, I_br = Zs'Pr/s2, I_rr = Pr'Pr/s2 + T tr(GG + G'G),
 *   I_rl = T tr(HG + H'G), I_rs = T tr G/s2, I_ll = T tr(HH + H'H),
 *   I_ls = T tr H/s2, I_ss = NT/(2 s2^2), I_bl = I_bs = 0.
 * The traces: dense for the eigen method, sums over the unit vectors with
 * sparse solves for small n, Hutchinson probes for large n (as the SDM). */
int spill__vcov_sac(spill_ctx *ctx, const spill__design *d, const spill_weights *w, spill__ldet *ld,
                    double rho, double lambda, double sigma2, const double *coef, double *vcov)
{
  size_t k = d->k, nv = k + 3, nt = (size_t)d->nt, n = (size_t)d->n, T = (size_t)d->t;
  double *zs = NULL, *zb = NULL, *pv = NULL, *pr = NULL, *tmp = NULL, *wk = NULL, *sol = NULL, t[8];
  double s2 = sigma2;
  sac_info si = {nv, k, (double)d->t, sigma2, NULL};
  sac_probe sp;
  int rc = SPILL_ENOMEM, exact = spill__traces_use_exact(ld);
  memset(&sp, 0, sizeof sp);
  zs = spill__malloc(ctx, k * nt * sizeof *zs);
  zb = spill__malloc(ctx, nt * sizeof *zb);
  pv = spill__malloc(ctx, nt * sizeof *pv);
  pr = spill__malloc(ctx, nt * sizeof *pr);
  tmp = spill__malloc(ctx, nt * sizeof *tmp);
  sol = spill__malloc(ctx, nt * sizeof *sol);
  wk = spill__malloc(ctx, (n + T) * sizeof *wk);
  si.base = spill__calloc(ctx, nv * nv, sizeof *si.base);
  if (!zs || !zb || !pv || !pr || !tmp || !sol || !wk || !si.base) goto done;
  for (size_t i = 0; i < nt; i++) {
    double s = 0.0;
    for (size_t j = 0; j < k; j++) s += d->z[j * nt + i] * coef[j];
    zb[i] = s;
  }
  /* pv_t = G zb_t: one solve per period */
  if ((rc = spill__ldet_solve(ctx, ld, rho, zb, d->t, sol))) goto done;
  spill__wlag(w, sol, d->t, pv);
  rfilter(d, w, lambda, pv, wk, tmp, pr);
  for (size_t j = 0; j < k; j++) rfilter(d, w, lambda, d->z + j * nt, wk, tmp, zs + j * nt);
  for (size_t a = 0; a < k; a++) {
    for (size_t b = 0; b < k; b++) si.base[a * nv + b] = dotn(zs + a * nt, zs + b * nt, nt) / s2;
    si.base[a * nv + k] = si.base[k * nv + a] = dotn(zs + a * nt, pr, nt) / s2;
  }
  si.base[k * nv + k] = dotn(pr, pr, nt) / s2;
  si.base[(k + 2) * nv + k + 2] = (double)nt / (2.0 * s2 * s2);
  if (spill__ldet_method(ld) == SPILL_LOGDET_EIGEN) {
    if ((rc = sac_dense_traces(ctx, ld, w, rho, lambda, t))) goto done;
  } else {
    sp.ld = ld;
    sp.rho = rho;
    sp.lam = lambda;
    spill__w_traces(w, sp.c);
    if (!(sp.tw = spill__ldet_twin(ctx, ld))) {
      rc = ctx->status;
      goto done;
    }
    /* both factors now: the probe workers only read them */
    if ((rc = spill__ldet_prepare(ctx, ld, rho)) || (rc = spill__ldet_prepare(ctx, sp.tw, lambda))) goto done;
    if (!exact) {
      rc = spill__vcov_probes(ctx, ld, 8, sac_forms, &sp, nv, sac_add_traces, &si, vcov);
      goto done;
    }
    rc = spill__ldet_sac_traces(ctx, ld, sp.tw, rho, lambda, t); /* Cholesky: two solves per block */
    if (rc == 1) rc = spill__traces_exact_units(ctx, ld, 8, sac_forms, &sp, t);
    if (rc) goto done;
  }
  sac_add_traces(&si, t, vcov);
  if (spill__inverse(vcov, nv)) {
    rc = spill__fail(ctx, SPILL_ENUM, "the SAC information matrix is singular: rho and lambda are not "
                                      "separately identified in these data");
    goto done;
  }
  rc = SPILL_OK;
done:
  spill__ldet_free(sp.tw);
  free(zs);
  free(zb);
  free(pv);
  free(pr);
  free(tmp);
  free(sol);
  free(wk);
  free(si.base);
  return rc;
}

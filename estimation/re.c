/* Random unit effects with a spatial lag of y (SAR, SDM) by ML, as R splm's
 * spml(model = "random", lag = TRUE, spatial.error = "none") (spreml errors
 * "re"; Elhorst 2014, sec. 3.3; Baltagi 2021, ch. 13):
 *   y = rho (I_T x W) y + X b + (iota_T x mu) + e,  Var = s2 (I_N x (phi J_T + I_T)),
 * phi = s2_mu / s2_e. With theta = 1/sqrt(1 + T phi) the GLS transform is
 * the quasi-demeaning v - (1 - theta) vbar_i, which commutes with W, so for
 * each phi the model is a spatial lag model on quasi-demeaned data and
 *   lnL(phi, rho) = -(NT/2)(ln 2 pi + ln s2(phi, rho) + 1) + T ln|I - rho W|
 *                   - (N/2) ln(1 + T phi)
 * (splm's sarREmod: ll.c). rho is found by Brent's method over the profile
 * in phi, so each rho costs one log-determinant; phi by Brent's method in
 * ln phi on (1e-8, 1e8), splm's bounds, from Gram matrices (O(k^3) each),
 * then secant steps on its score. Variance as splm:
 * the slopes' sigma2 (X*'X*)^-1 at the estimates; (phi, rho) from the
 * inverse of a central-difference Hessian of lnL(phi, rho) (splm: fdHess);
 * sigma2 from 2 s2^2 / NT; blocks between them zero. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

#define LOG_2PI 1.83787706640934548356
#define LNPHI_MIN (-18.420680743952367) /* ln 1e-8 */
#define LNPHI_MAX (18.420680743952367)

typedef struct re_state {
  const spill__design *d;
  spill__ldet *ld;
  spill__design q;   /* shallow: quasi-demeaned z, y, wy */
  double *ubar;      /* n */
  double *coef;      /* k */
  size_t m;          /* k + 2 vectors: Z columns, y, W y */
  double *gw, *gb;   /* m x m: a'(I - Pbar) b and a'Pbar b (Pbar: unit means over time) */
  double *a, *c;     /* k x k, k work */
  double rho, ld_rho, xphi, sigma2;
} re_state;

/* out = v - (1 - theta) vbar_i (time-major n*t) */
static void quasi(const double *v, int64_t n, int64_t t, double theta, double *ubar, double *out)
{
  for (int64_t i = 0; i < n; i++) ubar[i] = 0.0;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) ubar[i] += v[s * n + i];
  for (int64_t i = 0; i < n; i++) ubar[i] *= (1.0 - theta) / (double)t;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) out[s * n + i] = v[s * n + i] - ubar[i];
}

static void re_transform(re_state *s, double phi)
{
  const spill__design *d = s->d;
  double theta = 1.0 / sqrt(1.0 + (double)d->t * phi);
  size_t nt = (size_t)d->nt;
  quasi(d->y, d->n, d->t, theta, s->ubar, s->q.y);
  quasi(d->wy, d->n, d->t, theta, s->ubar, s->q.wy);
  for (size_t j = 0; j < d->k; j++) quasi(d->z + j * nt, d->n, d->t, theta, s->ubar, s->q.z + j * nt);
}

/* SSR of the quasi-demeaned y - rho Wy on Z from the Gram matrices:
 * a* = (I - Pbar) a + theta Pbar a, so a*'b* = a'(I - Pbar) b + theta^2 a'Pbar b,
 * a sum of two positive parts (no cancellation when theta is small). Also
 * the raw residual's between sum e'Pbar e (for the score). 0 ok, -1 singular. */
static int re_ssr(re_state *s, double phi, double rho, double *ssr, double *ebe)
{
  size_t k = s->d->k, m = s->m, iy = k, iw = k + 1;
  double th2 = 1.0 / (1.0 + (double)s->d->t * phi), vv, cb = 0.0, eb;
#define GS(i, j) (s->gw[(i) * m + (j)] + th2 * s->gb[(i) * m + (j)])
#define GB(i, j) (s->gb[(i) * m + (j)])
  vv = GS(iy, iy) - 2.0 * rho * GS(iy, iw) + rho * rho * GS(iw, iw);
  for (size_t i = 0; i < k; i++) {
    for (size_t j = 0; j < k; j++) s->a[j * k + i] = GS(i, j);
    s->c[i] = GS(i, iy) - rho * GS(i, iw);
  }
  if (spill__spd_inverse(s->a, k)) return -1;
  for (size_t i = 0; i < k; i++) {
    double b = 0.0;
    for (size_t j = 0; j < k; j++) b += s->a[j * k + i] * s->c[j];
    s->coef[i] = b;
    cb += s->c[i] * b;
  }
  *ssr = vv - cb;
  if (ebe) { /* e = y - rho Wy - Z b: e'Pbar e */
    eb = GB(iy, iy) - 2.0 * rho * GB(iy, iw) + rho * rho * GB(iw, iw);
    for (size_t i = 0; i < k; i++) {
      eb -= 2.0 * s->coef[i] * (GB(i, iy) - rho * GB(i, iw));
      for (size_t j = 0; j < k; j++) eb += s->coef[i] * s->coef[j] * GB(i, j);
    }
    *ebe = eb;
  }
#undef GS
#undef GB
  return 0;
}

/* lnL at (phi = exp(x), rho = s->rho), b and s2 concentrated out */
static int re_inner(spill_ctx *ctx, void *user, double x, double *f)
{
  re_state *s = user;
  const spill__design *d = s->d;
  double phi = exp(x), ssr, nt = (double)d->nt;
  (void)ctx;
  if (re_ssr(s, phi, s->rho, &ssr, NULL) || !(ssr > 0)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  *f = -0.5 * nt * (LOG_2PI + log(ssr / nt) + 1.0) + (double)d->t * s->ld_rho -
       0.5 * (double)d->n * log(1.0 + (double)d->t * phi);
  return SPILL_OK;
}

/* The score in x = ln phi at fixed rho, without its positive factor
 * (NT/2) theta^2 T phi (Baltagi 2021, eq. 3.30 with the envelope theorem):
 * theta^2 T e'Pbar e / SSR - 1, e the untransformed residual. Its root is
 * well conditioned where lnL is flat in phi. */
static double re_score(re_state *s, double x)
{
  double phi = exp(x), theta2 = 1.0 / (1.0 + (double)s->d->t * phi), ssr, ebe;
  if (re_ssr(s, phi, s->rho, &ssr, &ebe)) return NAN;
  return theta2 * (double)s->d->t * ebe / ssr - 1.0;
}

/* max over phi at rho: a scan and Brent in ln phi, then secant steps on the score */
static int re_outer(spill_ctx *ctx, void *user, double rho, double *f)
{
  re_state *s = user;
  double x, fx, x0, x1, g0, g1, f1;
  int rc = spill__ldet_eval(ctx, s->ld, rho, &s->ld_rho);
  if (rc) return rc;
  if (!isfinite(s->ld_rho)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  s->rho = rho;
  if ((rc = spill__maximise(ctx, re_inner, s, LNPHI_MIN, LNPHI_MAX, 36, 1e-10, &x, &fx))) return rc;
  /* secant steps on the score; the point with the smallest |score| is kept */
  x0 = x;
  x1 = x + 1e-5;
  g0 = re_score(s, x0);
  g1 = re_score(s, x1);
  {
    double xb = x0, gb = fabs(g0);
    if (fabs(g1) < gb) {
      xb = x1;
      gb = fabs(g1);
    }
    for (int it = 0; it < 40 && x > LNPHI_MIN + 1e-3 && isfinite(g0) && isfinite(g1) && g1 != g0; it++) {
      double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
      if (!(x2 > LNPHI_MIN && x2 < LNPHI_MAX) || fabs(x2 - x) > 1e-2) break;
      x0 = x1;
      g0 = g1;
      x1 = x2;
      g1 = re_score(s, x1);
      if (fabs(g1) < gb) {
        xb = x1;
        gb = fabs(g1);
      }
      if (fabs(x1 - x0) < 1e-13 * (1.0 + fabs(x1))) break;
    }
    if (xb != x && (rc = re_inner(ctx, s, xb, &f1)) == SPILL_OK && f1 >= fx - 1e-12 * fabs(fx)) {
      x = xb;
      fx = f1;
    }
    if (rc) return rc;
  }
  s->xphi = x;
  *f = fx;
  return SPILL_OK;
}

/* d/d rho of the profile max_phi lnL (envelope theorem):
 * NT e*'(Wy)* / SSR - T tr(W (I - rho W)^-1), e* the quasi-demeaned residual. */
static int re_rho_score(spill_ctx *ctx, re_state *s, double rho, double *g, double *f)
{
  size_t k = s->d->k, m = s->m, iy = k, iw = k + 1;
  double ssr, ew, trg, th2;
  int rc = re_outer(ctx, s, rho, f);
  if (rc) return rc;
  if ((rc = spill__ldet_trace_g(ctx, s->ld, rho, &trg))) return rc;
  if (re_ssr(s, exp(s->xphi), rho, &ssr, NULL)) {
    *g = NAN;
    return SPILL_OK;
  }
  th2 = 1.0 / (1.0 + (double)s->d->t * exp(s->xphi));
#define GS(i, j) (s->gw[(i) * m + (j)] + th2 * s->gb[(i) * m + (j)])
  ew = GS(iy, iw) - rho * GS(iw, iw);
  for (size_t i = 0; i < k; i++) ew -= s->coef[i] * GS(i, iw);
#undef GS
  *g = (double)s->d->nt * ew / ssr - (double)s->d->t * trg;
  return SPILL_OK;
}

/* Secant steps on the rho score from Brent's answer; kept if lnL is no worse. */
static int re_rho_polish(spill_ctx *ctx, re_state *s, double lo, double hi, double *rho, double *fx)
{
  double x0 = *rho, x1 = *rho + 1e-6, g0, g1, f0, f1;
  int rc;
  if ((rc = re_rho_score(ctx, s, x0, &g0, &f0)) || (rc = re_rho_score(ctx, s, x1, &g1, &f1))) return rc;
  for (int it = 0; it < 20 && isfinite(g0) && isfinite(g1) && g1 != g0; it++) {
    double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
    if (!(x2 > lo && x2 < hi) || fabs(x2 - *rho) > 1e-3) return SPILL_OK;
    x0 = x1;
    g0 = g1;
    x1 = x2;
    if ((rc = re_rho_score(ctx, s, x1, &g1, &f1))) return rc;
    if (fabs(x1 - x0) < 1e-15 * (1.0 + fabs(x1))) break;
  }
  if (f1 >= *fx - 1e-10 * fabs(*fx)) {
    *rho = x1;
    *fx = f1;
  }
  return SPILL_OK;
}

/* lnL at (phi, rho) with b and s2 concentrated out, from the data itself */
static int re_loglik(spill_ctx *ctx, re_state *s, double phi, double rho, double *f)
{
  const spill__design *d = s->d;
  size_t k = d->k, nt = (size_t)d->nt;
  double *rr = NULL, *ys = NULL, ld, sse = 0.0;
  int rc = SPILL_ENOMEM;
  rr = spill__malloc(ctx, k * k * sizeof *rr);
  ys = spill__malloc(ctx, nt * sizeof *ys);
  if (!rr || !ys) goto done;
  if ((rc = spill__ldet_eval(ctx, s->ld, rho, &ld))) goto done;
  re_transform(s, phi);
  for (size_t i = 0; i < nt; i++) ys[i] = s->q.y[i] - rho * s->q.wy[i];
  if ((rc = spill__xtx_chol(ctx, s->q.z, d->nt, k, rr))) goto done;
  spill__ls_solve(s->q.z, d->nt, k, rr, ys, s->coef);
  for (size_t i = 0; i < nt; i++) {
    double e = ys[i];
    for (size_t j = 0; j < k; j++) e -= s->q.z[j * nt + i] * s->coef[j];
    sse += e * e;
  }
  s->sigma2 = sse / (double)nt;
  *f = -0.5 * (double)nt * (LOG_2PI + log(s->sigma2) + 1.0) + (double)d->t * ld -
       0.5 * (double)d->n * log(1.0 + (double)d->t * phi);
  rc = SPILL_OK;
done:
  free(rr);
  free(ys);
  return rc;
}

/* Inverse of minus the central-difference Hessian of lnL(phi, rho). */
static int re_hessian(spill_ctx *ctx, re_state *s, double phi, double rho, double v[4])
{
  double hp = 1e-4 * phi, hr = 1e-4, f[3][3], det, h[4];
  int rc;
  for (int a = -1; a <= 1; a++)
    for (int b = -1; b <= 1; b++)
      if ((rc = re_loglik(ctx, s, phi + a * hp, rho + b * hr, &f[a + 1][b + 1]))) return rc;
  h[0] = (f[2][1] - 2.0 * f[1][1] + f[0][1]) / (hp * hp);
  h[3] = (f[1][2] - 2.0 * f[1][1] + f[1][0]) / (hr * hr);
  h[1] = h[2] = (f[2][2] - f[2][0] - f[0][2] + f[0][0]) / (4.0 * hp * hr);
  det = h[0] * h[3] - h[1] * h[2];
  if (!(det > 0) || !(h[0] < 0))
    return spill__fail(ctx, SPILL_ENUM, "random effects: the likelihood is not concave at the estimates "
                                        "(phi %g, rho %g); the variance of phi and rho is not available", phi, rho);
  /* (-H)^-1 */
  v[0] = -h[3] / det;
  v[3] = -h[0] / det;
  v[1] = v[2] = h[1] / det;
  return SPILL_OK;
}

static double dotn(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static int fit_re_lag(spill_ctx *ctx, spill_fit *f, const spill__design *d, spill__ldet *ld)
{
  size_t k = d->k, nt = (size_t)d->nt, nv = f->nv, n = (size_t)d->n, T = (size_t)d->t, m = k + 2;
  re_state s;
  double rho, fx, lo, hi, v2[4] = {0, 0, 0, 0}, *xtx = NULL, *mb = NULL;
  int rc = SPILL_ENOMEM;
  memset(&s, 0, sizeof s);
  s.d = d;
  s.ld = ld;
  s.q = *d;
  s.m = m;
  s.q.z = spill__malloc(ctx, k * nt * sizeof *s.q.z);
  s.q.y = spill__malloc(ctx, nt * sizeof *s.q.y);
  s.q.wy = spill__malloc(ctx, nt * sizeof *s.q.wy);
  s.ubar = spill__malloc(ctx, n * sizeof *s.ubar);
  s.coef = spill__malloc(ctx, k * sizeof *s.coef);
  s.gw = spill__malloc(ctx, m * m * sizeof *s.gw);
  s.gb = spill__malloc(ctx, m * m * sizeof *s.gb);
  s.a = spill__malloc(ctx, k * k * sizeof *s.a);
  s.c = spill__malloc(ctx, k * sizeof *s.c);
  xtx = spill__malloc(ctx, k * k * sizeof *xtx);
  mb = spill__calloc(ctx, m * n, sizeof *mb);
  if (!s.q.z || !s.q.y || !s.q.wy || !s.ubar || !s.coef || !s.gw || !s.gb || !s.a || !s.c || !xtx || !mb)
    goto done;
  /* Gram matrices of [Z, y, Wy]: within (deviations from unit means) and
   * between (T sum_i abar_i bbar_i) */
  for (size_t a = 0; a < m; a++) {
    const double *va = a < k ? d->z + a * nt : a == k ? d->y : d->wy;
    for (size_t q = 0; q < nt; q++) mb[a * n + q % n] += va[q] / (double)T;
  }
  for (size_t a = 0; a < m; a++)
    for (size_t b = a; b < m; b++) {
      const double *va = a < k ? d->z + a * nt : a == k ? d->y : d->wy;
      const double *vb = b < k ? d->z + b * nt : b == k ? d->y : d->wy;
      double acc = 0.0;
      for (size_t q = 0; q < nt; q++) acc += (va[q] - mb[a * n + q % n]) * (vb[q] - mb[b * n + q % n]);
      s.gw[a * m + b] = s.gw[b * m + a] = acc;
      s.gb[a * m + b] = s.gb[b * m + a] = (double)T * dotn(mb + a * n, mb + b * n, n);
    }
  spill__ldet_interval(ld, &lo, &hi);
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  if ((rc = spill__maximise(ctx, re_outer, &s, lo, hi, spill__ldet_method(ld) == SPILL_LOGDET_EIGEN ? 200 : 20,
                            1e-11, &rho, &fx)))
    goto done;
  if ((rc = re_rho_polish(ctx, &s, lo, hi, &rho, &fx))) goto done;
  if ((rc = re_outer(ctx, &s, rho, &fx))) goto done;
  f->phi = exp(s.xphi);
  f->rho = rho;
  if (s.xphi < LNPHI_MIN + 1e-3)
    spill__notice(ctx, "random effects: phi = s2_mu/s2_e is at its lower bound 1e-8 (no unit effect "
                       "variance): the model is the pooled spatial model");
  /* the estimates from the data themselves at (phi, rho) */
  if ((rc = re_loglik(ctx, &s, f->phi, f->rho, &f->loglik))) goto done;
  f->sigma2 = s.sigma2;
  memcpy(f->coef, s.coef, k * sizeof *f->coef);
  /* the slopes: s2 (X*'X*)^-1 on the quasi-demeaned data at phi */
  memset(f->vcov, 0, nv * nv * sizeof *f->vcov);
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) xtx[a * k + b] = dotn(s.q.z + a * nt, s.q.z + b * nt, nt);
  if (spill__spd_inverse(xtx, k)) {
    rc = spill__fail(ctx, SPILL_ENUM, "random effects: the quasi-demeaned regressors are collinear");
    goto done;
  }
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) f->vcov[a * nv + b] = f->sigma2 * xtx[a * k + b];
  if ((rc = re_hessian(ctx, &s, f->phi, f->rho, v2))) goto done;
  /* vcov order: coef, rho, phi, sigma2 */
  f->vcov[k * nv + k] = v2[3];
  f->vcov[k * nv + k + 1] = f->vcov[(k + 1) * nv + k] = v2[1];
  f->vcov[(k + 1) * nv + k + 1] = v2[0];
  f->vcov[(k + 2) * nv + k + 2] = 2.0 * f->sigma2 * f->sigma2 / (double)nt;
  rc = SPILL_OK;
done:
  free(s.q.z);
  free(s.q.y);
  free(s.q.wy);
  free(s.ubar);
  free(s.coef);
  free(s.gw);
  free(s.gb);
  free(s.a);
  free(s.c);
  free(xtx);
  free(mb);
  return rc;
}

/* ---- random effects with a spatial error: splm's semREmod ("semre",
 * Baltagi, Song and Koh 2003; Elhorst 2014, sec. 3.3):
 *   y = X b + (iota_T x mu) + e, e_t = lambda W e_t + v_t,
 *   Omega/s2 = phi (J_T x I_N) + I_T x (B'B)^-1, B = I - lambda W,
 *   Omega^-1 s2 = Jbar_T x (T phi I + (B'B)^-1)^-1 + E_T x B'B,
 *   lnL = -(NT/2)(ln 2 pi + ln s2 + 1) - (1/2) ln|T phi I + (B'B)^-1| + (T-1) ln|B|.
 * With B'B = V diag(d) V' (dense, LAPACK dsyevd, once per lambda) every
 * quadratic form is a weighted sum over the eigenvectors: within part
 * sum_t sum_i d_i (V'a~_t)_i (V'b~_t)_i, between part
 * T sum_i d_i / (T phi d_i + 1) (V'abar)_i (V'bbar)_i. ---- */

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info);

#define SEMRE_MAX_N 1000

typedef struct semre_state {
  const spill__design *d;
  const spill_weights *w;
  spill__ldet *ld;
  size_t k, m;       /* m = k + 1 vectors: Z columns, then y */
  double *ev;        /* n eigenvalues of B'B */
  double *vm;        /* n x n eigenvectors */
  double *pb;        /* m x n: V' (unit means of each vector) */
  double *aw;        /* m x m within quadratic forms */
  double *a, *c;     /* k x k, k work */
  double *coef;      /* k: GLS at the last evaluation */
  double s2, lam, xphi;
} semre_state;

/* Eigen-decompose B'B at lambda and project the data. */
static int semre_setup(spill_ctx *ctx, semre_state *s, double lam)
{
  const spill__design *d = s->d;
  const spill_weights *w = s->w;
  int n = (int)d->n, info = 0, lwork = -1, liwork = -1, iw;
  size_t nn = (size_t)n, nt = (size_t)d->nt, T = (size_t)d->t, m = s->m;
  double wq, *work = NULL, *b = NULL, *dev = NULL, *proj = NULL;
  int *iwork = NULL, rc = SPILL_ENOMEM;
  b = spill__calloc(ctx, nn * nn, sizeof *b);
  dev = spill__malloc(ctx, nt * sizeof *dev);
  proj = spill__malloc(ctx, nn * sizeof *proj);
  if (!b || !dev || !proj) goto done;
  /* B (dense, column-major), then B'B into vm */
  for (size_t i = 0; i < nn; i++) {
    b[i * nn + i] = 1.0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) b[(size_t)w->j[q] * nn + i] -= lam * w->x[q];
  }
  for (size_t c = 0; c < nn; c++)
    for (size_t r = c; r < nn; r++) {
      double acc = 0.0;
      for (size_t q = 0; q < nn; q++) acc += b[r * nn + q] * b[c * nn + q];
      s->vm[c * nn + r] = s->vm[r * nn + c] = acc;
    }
  dsyevd_("V", "L", &n, s->vm, &n, s->ev, &wq, &lwork, &iw, &liwork, &info);
  lwork = (int)wq;
  liwork = iw;
  work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
  iwork = spill__malloc(ctx, (size_t)liwork * sizeof *iwork);
  if (!work || !iwork) goto done;
  dsyevd_("V", "L", &n, s->vm, &n, s->ev, work, &lwork, iwork, &liwork, &info);
  if (info) {
    rc = spill__fail(ctx, SPILL_ENUM, "random-effects SEM: the eigen-decomposition of B'B failed (LAPACK %d)", info);
    goto done;
  }
  /* projections: between part V' vbar; within part accumulated into aw */
  memset(s->aw, 0, m * m * sizeof *s->aw);
  {
    double *pw = spill__malloc(ctx, m * nt * sizeof *pw); /* V' v~_t for each vector */
    if (!pw) goto done;
    for (size_t v = 0; v < m; v++) {
      const double *src = v < s->k ? d->z + v * nt : d->y;
      for (size_t i = 0; i < nn; i++) proj[i] = 0.0;
      for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < nn; i++) proj[i] += src[t * nn + i] / (double)T;
      for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < nn; i++) dev[t * nn + i] = src[t * nn + i] - proj[i];
      for (size_t e = 0; e < nn; e++) {
        double acc = 0.0;
        for (size_t i = 0; i < nn; i++) acc += s->vm[e * nn + i] * proj[i];
        s->pb[v * nn + e] = acc;
        for (size_t t = 0; t < T; t++) {
          double a2 = 0.0;
          for (size_t i = 0; i < nn; i++) a2 += s->vm[e * nn + i] * dev[t * nn + i];
          pw[v * nt + t * nn + e] = a2;
        }
      }
    }
    for (size_t a = 0; a < m; a++)
      for (size_t c = a; c < m; c++) {
        double acc = 0.0;
        for (size_t t = 0; t < T; t++)
          for (size_t e = 0; e < nn; e++) acc += s->ev[e] * pw[a * nt + t * nn + e] * pw[c * nt + t * nn + e];
        s->aw[a * m + c] = s->aw[c * m + a] = acc;
      }
    free(pw);
  }
  s->lam = lam;
  rc = SPILL_OK;
done:
  free(work);
  free(iwork);
  free(b);
  free(dev);
  free(proj);
  return rc;
}

/* lnL at phi = exp(x) for the lambda set up; fills coef and s2 */
static int semre_ll(spill_ctx *ctx, void *user, double x, double *f)
{
  semre_state *s = user;
  const spill__design *d = s->d;
  size_t k = s->k, m = s->m, n = (size_t)d->n;
  double phi = exp(x), tt = (double)d->t, q[65 * 65], yy, cb = 0.0, ldo = 0.0, ldb = 0.0;
  (void)ctx;
  for (size_t a = 0; a < m; a++)
    for (size_t c = a; c < m; c++) {
      double acc = s->aw[a * m + c];
      for (size_t e = 0; e < n; e++) acc += tt * s->ev[e] / (tt * phi * s->ev[e] + 1.0) * s->pb[a * n + e] * s->pb[c * n + e];
      q[a * m + c] = q[c * m + a] = acc;
    }
  for (size_t a = 0; a < k; a++) {
    for (size_t c = 0; c < k; c++) s->a[c * k + a] = q[a * m + c];
    s->c[a] = q[a * m + k];
  }
  yy = q[k * m + k];
  if (spill__spd_inverse(s->a, k)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  for (size_t a = 0; a < k; a++) {
    double b = 0.0;
    for (size_t c = 0; c < k; c++) b += s->a[c * k + a] * s->c[c];
    s->coef[a] = b;
    cb += s->c[a] * b;
  }
  s->s2 = (yy - cb) / (double)d->nt;
  for (size_t e = 0; e < n; e++) {
    ldo += log(tt * phi + 1.0 / s->ev[e]);
    ldb += 0.5 * log(s->ev[e]);
  }
  *f = !(s->s2 > 0) ? -INFINITY
                    : -0.5 * (double)d->nt * (LOG_2PI + log(s->s2) + 1.0) - 0.5 * ldo + (tt - 1.0) * ldb;
  return SPILL_OK;
}

/* the profile in lambda: max over ln phi */
static int semre_outer(spill_ctx *ctx, void *user, double lam, double *f)
{
  semre_state *s = user;
  int rc = semre_setup(ctx, s, lam);
  if (rc) return rc;
  return spill__maximise(ctx, semre_ll, s, LNPHI_MIN, LNPHI_MAX, 24, 1e-10, &s->xphi, f);
}

static int semre_at(spill_ctx *ctx, semre_state *s, double phi, double lam, double *f)
{
  int rc = semre_setup(ctx, s, lam);
  if (rc) return rc;
  return semre_ll(ctx, s, log(phi), f);
}

static int fit_re_error(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                        spill__ldet *ld)
{
  size_t k = d->k, n = (size_t)d->n, nv = f->nv, m = k + 1;
  semre_state s;
  double lo, hi, lam, fx, hp, hl = 1e-4, ff[3][3], h[4], det;
  int rc = SPILL_ENOMEM;
  if (d->n > SEMRE_MAX_N)
    return spill__fail(ctx, SPILL_EINVAL, "the random-effects SEM uses a dense eigen-decomposition of B'B for "
                                          "each lambda: N = %lld is above %d; use the random-effects SAR/SDM or "
                                          "fixed effects", (long long)d->n, SEMRE_MAX_N);
  if (k > 64) return spill__fail(ctx, SPILL_EINVAL, "the random-effects SEM takes at most 64 regressors");
  memset(&s, 0, sizeof s);
  s.d = d;
  s.w = w;
  s.ld = ld;
  s.k = k;
  s.m = m;
  s.ev = spill__malloc(ctx, n * sizeof *s.ev);
  s.vm = spill__malloc(ctx, n * n * sizeof *s.vm);
  s.pb = spill__malloc(ctx, m * n * sizeof *s.pb);
  s.aw = spill__malloc(ctx, m * m * sizeof *s.aw);
  s.a = spill__malloc(ctx, k * k * sizeof *s.a);
  s.c = spill__malloc(ctx, k * sizeof *s.c);
  s.coef = spill__malloc(ctx, k * sizeof *s.coef);
  if (!s.ev || !s.vm || !s.pb || !s.aw || !s.a || !s.c || !s.coef) goto done;
  spill__ldet_interval(ld, &lo, &hi);
  lo += 1e-6 * (hi - lo);
  hi -= 1e-6 * (hi - lo);
  if ((rc = spill__maximise(ctx, semre_outer, &s, lo, hi, 24, 1e-9, &lam, &fx))) goto done;
  if ((rc = semre_outer(ctx, &s, lam, &f->loglik))) goto done;
  if ((rc = semre_ll(ctx, &s, s.xphi, &f->loglik))) goto done; /* coef, s2 at the optimum */
  f->rho = lam;
  f->phi = exp(s.xphi);
  f->sigma2 = s.s2;
  memcpy(f->coef, s.coef, k * sizeof *f->coef);
  memset(f->vcov, 0, nv * nv * sizeof *f->vcov);
  for (size_t a = 0; a < k; a++) /* s2 (X' Omega^-1 X)^-1, s->a holds the inverse */
    for (size_t c = 0; c < k; c++) f->vcov[a * nv + c] = s.s2 * s.a[c * k + a];
  /* (phi, lambda) block: central-difference Hessian of the profile */
  hp = 1e-4 * f->phi;
  for (int a = -1; a <= 1; a++)
    for (int b = -1; b <= 1; b++)
      if ((rc = semre_at(ctx, &s, f->phi + a * hp, lam + b * hl, &ff[a + 1][b + 1]))) goto done;
  h[0] = (ff[2][1] - 2.0 * ff[1][1] + ff[0][1]) / (hp * hp);
  h[3] = (ff[1][2] - 2.0 * ff[1][1] + ff[1][0]) / (hl * hl);
  h[1] = (ff[2][2] - ff[2][0] - ff[0][2] + ff[0][0]) / (4.0 * hp * hl);
  det = h[0] * h[3] - h[1] * h[1];
  if (det > 0 && h[0] < 0) {
    f->vcov[k * nv + k] = -h[0] / det;                          /* lambda */
    f->vcov[k * nv + k + 1] = f->vcov[(k + 1) * nv + k] = h[1] / det;
    f->vcov[(k + 1) * nv + k + 1] = -h[3] / det;                /* phi */
  } else {
    f->vcov[k * nv + k] = f->vcov[(k + 1) * nv + k + 1] = NAN;
    spill__notice(ctx, "random-effects SEM: the likelihood is not concave at the estimates; no SEs for "
                       "lambda and phi");
  }
  f->vcov[(k + 2) * nv + k + 2] = 2.0 * f->sigma2 * f->sigma2 / (double)d->nt;
  rc = SPILL_OK;
done:
  free(s.ev);
  free(s.vm);
  free(s.pb);
  free(s.aw);
  free(s.a);
  free(s.c);
  free(s.coef);
  return rc;
}

int spill__fit_re(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                  spill__ldet *ld, spill_model model)
{
  if (model == SPILL_MODEL_SAR || model == SPILL_MODEL_SDM) return fit_re_lag(ctx, f, d, ld);
  if (model == SPILL_MODEL_SEM) return fit_re_error(ctx, f, d, w, ld);
  return spill__fail(ctx, SPILL_EINVAL, "random effects: the %s is not implemented", spill__model_name(model));
}

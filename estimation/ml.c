/* Maximum likelihood for the spatial lag (SAR/SDM) and spatial error models
 * on the likelihood concentrated in rho (Anselin 1988, ch. 6; Elhorst 2014,
 * ch. 3): one-dimensional, maximised by a scan plus Brent's method. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

#define LOG_2PI 1.83787706640934548356

/* Brent (1973, ch. 5) minimisation of -f on [a, b] with golden sections and
 * parabolic steps; tol is absolute in x. */
static int brent_max(spill_ctx *ctx, spill__objective fn, void *user, double a, double b,
                     double tol, double *xmax, double *fmax)
{
  const double c = 0.381966011250105151795; /* (3 - sqrt 5) / 2 */
  const double eps = sqrt(DBL_EPSILON);
  double x, w, v, fx, fw, fv, d = 0.0, e = 0.0, u, fu;
  int rc;
  x = w = v = a + c * (b - a);
  if ((rc = fn(ctx, user, x, &fx))) return rc;
  fx = -fx;
  fw = fv = fx;
  for (int iter = 0; iter < 200; iter++) {
    double xm = 0.5 * (a + b), tol1 = eps * fabs(x) + tol / 3.0, tol2 = 2.0 * tol1;
    if (fabs(x - xm) <= tol2 - 0.5 * (b - a)) break;
    if (fabs(e) > tol1) {
      double r = (x - w) * (fx - fv), q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
      q = 2.0 * (q - r);
      if (q > 0.0) p = -p;
      else q = -q;
      r = e;
      e = d;
      if (fabs(p) >= fabs(0.5 * q * r) || p <= q * (a - x) || p >= q * (b - x)) {
        e = (x < xm) ? b - x : a - x;
        d = c * e;
      } else {
        d = p / q;
        u = x + d;
        if (u - a < tol2 || b - u < tol2) d = x < xm ? tol1 : -tol1;
      }
    } else {
      e = (x < xm) ? b - x : a - x;
      d = c * e;
    }
    u = x + (fabs(d) >= tol1 ? d : (d > 0 ? tol1 : -tol1));
    if ((rc = fn(ctx, user, u, &fu))) return rc;
    fu = isnan(fu) ? INFINITY : -fu;
    if (fu <= fx) {
      if (u < x) b = x;
      else a = x;
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w == x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u;
        fv = fu;
      }
    }
  }
  *xmax = x;
  *fmax = -fx;
  return SPILL_OK;
}

int spill__maximise(spill_ctx *ctx, spill__objective fn, void *user, double lo, double hi,
                    int npts, double tol, double *xmax, double *fmax)
{
  double best = -INFINITY, bx = NAN, h = (hi - lo) / (npts + 1), a, b, x, f;
  int ib = -1, rc;
  for (int i = 1; i <= npts; i++) {
    double xi = lo + h * i, fi;
    if ((rc = fn(ctx, user, xi, &fi))) return rc;
    if (fi > best) {
      best = fi;
      bx = xi;
      ib = i;
    }
  }
  if (ib < 0)
    return spill__fail(ctx, SPILL_ENUM, "the likelihood is not finite anywhere in (%g, %g)", lo, hi);
  a = lo + h * (ib - 1);
  b = lo + h * (ib + 1);
  if (ib == 1) a = lo + 1e-9 * (hi - lo);
  if (ib == npts) b = hi - 1e-9 * (hi - lo);
  if ((rc = brent_max(ctx, fn, user, a, b, tol, &x, &f))) return rc;
  if (!(f >= best)) { /* never worse than the scan */
    x = bx;
    f = best;
  }
  *xmax = x;
  *fmax = f;
  return SPILL_OK;
}

/* ---- spatial lag ---- */

typedef struct lag_state {
  spill__ldet *ld;
  double e0e0, e0e1, e1e1, nt, t;
} lag_state;

/* lnL(rho) = -(NT/2) ln(2 pi s2) + T ln|I - rho W| - NT/2, s2 = |e0 - rho e1|^2 / NT */
static int lag_loglik(spill_ctx *ctx, void *user, double rho, double *f)
{
  lag_state *s = user;
  double ld, s2 = (s->e0e0 - 2.0 * rho * s->e0e1 + rho * rho * s->e1e1) / s->nt;
  int rc = spill__ldet_eval(ctx, s->ld, rho, &ld);
  if (rc) return rc;
  *f = (isfinite(ld) && s2 > 0) ? -0.5 * s->nt * (LOG_2PI + log(s2)) + s->t * ld - 0.5 * s->nt : -INFINITY;
  return SPILL_OK;
}

/* Score of the concentrated lnL: (e0'e1 - rho e1'e1) / s2 - T tr(G). */
static int lag_score(spill_ctx *ctx, lag_state *s, double rho, double *g)
{
  double trg, s2 = (s->e0e0 - 2.0 * rho * s->e0e1 + rho * rho * s->e1e1) / s->nt;
  int rc = spill__ldet_trace_g(ctx, s->ld, rho, &trg);
  if (rc) return rc;
  *g = (s->e0e1 - rho * s->e1e1) / s2 - s->t * trg;
  return SPILL_OK;
}

/* Polish the maximiser found from function values (accurate to about the
 * square root of the rounding in lnL) by secant steps on the score, whose
 * root is well conditioned. Kept only if lnL does not get worse. */
static int lag_polish(spill_ctx *ctx, lag_state *s, double lo, double hi, double *rho, double *f)
{
  double x0 = *rho, x1 = *rho + 1e-6, g0, g1, fx;
  int rc;
  if ((rc = lag_score(ctx, s, x0, &g0)) || (rc = lag_score(ctx, s, x1, &g1))) return rc;
  for (int it = 0; it < 20 && g1 != g0; it++) {
    double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
    if (!(x2 > lo && x2 < hi) || fabs(x2 - *rho) > 1e-3) return SPILL_OK;
    x0 = x1;
    g0 = g1;
    x1 = x2;
    if ((rc = lag_score(ctx, s, x1, &g1))) return rc;
    if (fabs(x1 - x0) < 1e-15 * (1.0 + fabs(x1))) break;
  }
  if ((rc = lag_loglik(ctx, s, x1, &fx))) return rc;
  if (fx >= *f - 1e-10 * fabs(*f)) {
    *rho = x1;
    *f = fx;
  }
  return SPILL_OK;
}

static int npoints(const spill__ldet *ld)
{
  return spill__ldet_method(ld) == SPILL_LOGDET_EIGEN ? 200 : 20;
}

int spill__ml_lag(spill_ctx *ctx, const spill__design *d, spill__ldet *ld, spill__mlres *r)
{
  size_t k = d->k, nt = (size_t)d->nt;
  double *rr = NULL, *b0 = NULL, *b1 = NULL, lo, hi;
  lag_state st = {ld, 0, 0, 0, (double)d->nt, (double)d->t};
  int rc = SPILL_ENOMEM;
  rr = spill__malloc(ctx, k * k * sizeof *rr);
  b0 = spill__malloc(ctx, k * sizeof *b0);
  b1 = spill__malloc(ctx, k * sizeof *b1);
  if (!rr || !b0 || !b1) goto done;
  if ((rc = spill__xtx_chol(ctx, d->z, d->nt, k, rr))) goto done;
  spill__ls_solve(d->z, d->nt, k, rr, d->y, b0);
  spill__ls_solve(d->z, d->nt, k, rr, d->wy, b1);
  for (size_t i = 0; i < nt; i++) {
    double e0 = d->y[i], e1 = d->wy[i];
    for (size_t j = 0; j < k; j++) {
      e0 -= d->z[j * nt + i] * b0[j];
      e1 -= d->z[j * nt + i] * b1[j];
    }
    st.e0e0 += e0 * e0;
    st.e0e1 += e0 * e1;
    st.e1e1 += e1 * e1;
  }
  spill__ldet_interval(ld, &lo, &hi);
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  if ((rc = spill__maximise(ctx, lag_loglik, &st, lo, hi, npoints(ld), 1e-11, &r->rho, &r->loglik)))
    goto done;
  if ((rc = lag_polish(ctx, &st, lo, hi, &r->rho, &r->loglik))) goto done;
  for (int it = 0, again = 1; it < 5 && again; it++) { /* approximate log-dets: exact near the optimum */
    if ((rc = spill__ldet_refine(ctx, ld, r->rho, &again))) goto done;
    if (again && ((rc = spill__maximise(ctx, lag_loglik, &st, lo, hi, npoints(ld), 1e-11, &r->rho, &r->loglik)) ||
                  (rc = lag_polish(ctx, &st, lo, hi, &r->rho, &r->loglik))))
      goto done;
  }
  for (size_t j = 0; j < k; j++) r->coef[j] = b0[j] - r->rho * b1[j];
  r->sigma2 = (st.e0e0 - 2.0 * r->rho * st.e0e1 + r->rho * r->rho * st.e1e1) / st.nt;
  rc = SPILL_OK;
done:
  free(rr);
  free(b0);
  free(b1);
  return rc;
}

/* ---- spatial error: y* = y - lam W y on Z* = Z - lam W Z ---- */

typedef struct err_state {
  spill__ldet *ld;
  size_t k;
  double nt, t;
  double *zz, *zwz, *wzwz;     /* k x k */
  double *zy, *zwy, *wzy, *wzwy; /* k */
  double yy, ywy, wywy;
  double *a, *c;               /* work */
} err_state;

static int err_beta(err_state *s, double lam, double *beta, double *sse)
{
  size_t k = s->k;
  double yy = s->yy - 2.0 * lam * s->ywy + lam * lam * s->wywy, cb = 0.0;
  for (size_t i = 0; i < k; i++) {
    for (size_t j = 0; j < k; j++)
      s->a[j * k + i] = s->zz[j * k + i] - lam * (s->zwz[j * k + i] + s->zwz[i * k + j]) +
                        lam * lam * s->wzwz[j * k + i];
    s->c[i] = s->zy[i] - lam * (s->zwy[i] + s->wzy[i]) + lam * lam * s->wzwy[i];
  }
  if (spill__spd_inverse(s->a, k)) return -1;
  for (size_t i = 0; i < k; i++) {
    double b = 0.0;
    for (size_t j = 0; j < k; j++) b += s->a[j * k + i] * s->c[j];
    beta[i] = b;
    cb += s->c[i] * b;
  }
  *sse = yy - cb;
  return 0;
}

static int err_loglik(spill_ctx *ctx, void *user, double lam, double *f)
{
  err_state *s = user;
  double ld, sse, beta[64];
  int rc = spill__ldet_eval(ctx, s->ld, lam, &ld);
  if (rc) return rc;
  if (!isfinite(ld) || err_beta(s, lam, beta, &sse) || !(sse > 0)) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  *f = -0.5 * s->nt * (LOG_2PI + log(sse / s->nt)) + s->t * ld - 0.5 * s->nt;
  return SPILL_OK;
}

static double dotv(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

int spill__ml_error(spill_ctx *ctx, const spill__design *d, const spill_weights *w,
                    spill__ldet *ld, spill__mlres *r)
{
  size_t k = d->k, nt = (size_t)d->nt;
  double *wz = NULL, *blk = NULL, *wk = NULL, lo, hi, sse;
  err_state st;
  int rc = SPILL_ENOMEM;
  memset(&st, 0, sizeof st);
  if (k > 64) return spill__fail(ctx, SPILL_EINVAL, "the error model takes at most 64 regressors");
  st.ld = ld;
  st.k = k;
  st.nt = (double)d->nt;
  st.t = (double)d->t;
  blk = spill__malloc(ctx, (3 * k * k + 6 * k) * sizeof *blk);
  wz = spill__malloc(ctx, k * nt * sizeof *wz);
  if (!blk || !wz) goto done;
  st.zz = blk;
  st.zwz = st.zz + k * k;
  st.wzwz = st.zwz + k * k;
  st.zy = st.wzwz + k * k;
  st.zwy = st.zy + k;
  st.wzy = st.zwy + k;
  st.wzwy = st.wzy + k;
  st.c = st.wzwy + k;
  st.a = NULL;
  /* W Z by the design's convention, as its W y (d->wy) */
  if (!(wk = spill__malloc(ctx, (size_t)(d->n + d->t) * sizeof *wk))) goto done;
  for (size_t j = 0; j < k; j++) spill__design_wlag(d, w, d->z + j * nt, wk, wz + j * nt);
  for (size_t i = 0; i < k; i++) {
    for (size_t j = 0; j < k; j++) {
      st.zz[j * k + i] = dotv(d->z + i * nt, d->z + j * nt, nt);
      st.zwz[j * k + i] = dotv(d->z + i * nt, wz + j * nt, nt);
      st.wzwz[j * k + i] = dotv(wz + i * nt, wz + j * nt, nt);
    }
    st.zy[i] = dotv(d->z + i * nt, d->y, nt);
    st.zwy[i] = dotv(d->z + i * nt, d->wy, nt);
    st.wzy[i] = dotv(wz + i * nt, d->y, nt);
    st.wzwy[i] = dotv(wz + i * nt, d->wy, nt);
  }
  st.yy = dotv(d->y, d->y, nt);
  st.ywy = dotv(d->y, d->wy, nt);
  st.wywy = dotv(d->wy, d->wy, nt);
  st.a = spill__malloc(ctx, k * k * sizeof *st.a);
  if (!st.a) goto done;
  spill__ldet_interval(ld, &lo, &hi);
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  if ((rc = spill__maximise(ctx, err_loglik, &st, lo, hi, npoints(ld), 1e-11, &r->rho, &r->loglik)))
    goto done;
  for (int it = 0, again = 1; it < 5 && again; it++) { /* approximate log-dets: exact near the optimum */
    if ((rc = spill__ldet_refine(ctx, ld, r->rho, &again))) goto done;
    if (again && (rc = spill__maximise(ctx, err_loglik, &st, lo, hi, npoints(ld), 1e-11, &r->rho, &r->loglik)))
      goto done;
  }
  if (err_beta(&st, r->rho, r->coef, &sse)) {
    rc = spill__fail(ctx, SPILL_ENUM, "error model: singular regressors at lambda = %g", r->rho);
    goto done;
  }
  { /* residuals computed directly, for sigma2 and the log-likelihood */
    double s = 0.0, ldv;
    for (size_t i = 0; i < nt; i++) {
      double e = d->y[i] - r->rho * d->wy[i];
      for (size_t j = 0; j < k; j++) e -= (d->z[j * nt + i] - r->rho * wz[j * nt + i]) * r->coef[j];
      s += e * e;
    }
    r->sigma2 = s / st.nt;
    if ((rc = spill__ldet_eval(ctx, ld, r->rho, &ldv))) goto done;
    r->loglik = -0.5 * st.nt * (LOG_2PI + log(r->sigma2)) + st.t * ldv - 0.5 * st.nt;
  }
  rc = SPILL_OK;
done:
  free(blk);
  free(wz);
  free(wk);
  free(st.a);
  return rc;
}

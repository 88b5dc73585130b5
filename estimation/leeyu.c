/* Lee and Yu (2010, J. Econometrics 154, sec. 4): the transformation approach
 * to the spatial lag panel with fixed effects. The unit effects are removed
 * by an orthonormal (T-1)-column transform F_T of the time dimension and,
 * with time effects too, the cross-section by F_N (N-1 columns; needs W
 * row-standardised so that F_N' W = (F_N' W F_N) F_N'). Sums of squares of
 * the within-transformed data equal those of the transformed data, so the
 * likelihood concentrated in rho is (their eq. 4.3 with sigma2 profiled out)
 *   lnL(rho) = -(M/2)(ln 2 pi + ln(SSR(rho)/M) + 1)
 *              + (T-1) [ln|I - rho W| - ln(1 - rho)]   (two-way, M = (N-1)(T-1))
 *   lnL(rho) = -(M/2)(...) + (T-1) ln|I - rho W|        (unit, M = N(T-1)),
 * SSR(rho) the residual sum of squares of Q y - rho Q (W y) on Q Z. The
 * variance is the inverse of the transformed model's own information matrix
 * (their eq. 4.5), with G~ = F_N' G F_N, G = W (I - rho W)^-1:
 *   tr G~ = tr G - 1/(1-rho),  tr G~G~ = tr GG - 1/(1-rho)^2,
 *   tr G~'G~ = tr G'G - |G'1|^2 / N   (G 1 = 1/(1-rho) 1 for row-stochastic W),
 * the traces of G exact for small n, by Hutchinson probes for large n (as
 * the SDM: spill__vcov_traces), G'1 by one transposed solve. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/effects.h"

#define LOG_2PI 1.83787706640934548356

typedef struct ly_state {
  spill__ldet *ld;
  double e0e0, e0e1, e1e1, m, tw;
  int two;
} ly_state;

static double ly_ssr(const ly_state *s, double rho)
{
  return s->e0e0 - 2.0 * rho * s->e0e1 + rho * rho * s->e1e1;
}

static int ly_loglik(spill_ctx *ctx, void *user, double rho, double *f)
{
  ly_state *s = user;
  double ld, ssr = ly_ssr(s, rho);
  int rc = spill__ldet_eval(ctx, s->ld, rho, &ld);
  if (rc) return rc;
  if (!isfinite(ld) || !(ssr > 0) || (s->two && !(rho < 1.0))) {
    *f = -INFINITY;
    return SPILL_OK;
  }
  *f = -0.5 * s->m * (LOG_2PI + log(ssr / s->m) + 1.0) + s->tw * (ld - (s->two ? log(1.0 - rho) : 0.0));
  return SPILL_OK;
}

/* d lnL / d rho = M (e0'e1 - rho e1'e1)/SSR - (T-1) [tr G - 1/(1-rho)] */
static int ly_score(spill_ctx *ctx, ly_state *s, double rho, double *g)
{
  double trg;
  int rc = spill__ldet_trace_g(ctx, s->ld, rho, &trg);
  if (rc) return rc;
  *g = s->m * (s->e0e1 - rho * s->e1e1) / ly_ssr(s, rho) - s->tw * (trg - (s->two ? 1.0 / (1.0 - rho) : 0.0));
  return SPILL_OK;
}

/* Secant steps on the score from Brent's answer; kept if lnL is no worse. */
static int ly_polish(spill_ctx *ctx, ly_state *s, double lo, double hi, double *rho, double *f)
{
  double x0 = *rho, x1 = *rho + 1e-6, g0, g1, fx;
  int rc;
  if ((rc = ly_score(ctx, s, x0, &g0)) || (rc = ly_score(ctx, s, x1, &g1))) return rc;
  for (int it = 0; it < 20 && g1 != g0; it++) {
    double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
    if (!(x2 > lo && x2 < hi) || fabs(x2 - *rho) > 1e-3) return SPILL_OK;
    x0 = x1;
    g0 = g1;
    x1 = x2;
    if ((rc = ly_score(ctx, s, x1, &g1))) return rc;
    if (fabs(x1 - x0) < 1e-15 * (1.0 + fabs(x1))) break;
  }
  if ((rc = ly_loglik(ctx, s, x1, &fx))) return rc;
  if (fx >= *f - 1e-10 * fabs(*f)) {
    *rho = x1;
    *f = fx;
  }
  return SPILL_OK;
}

static double dotn(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* The information without its trace terms, completed for the traces of G
 * (exact or Monte Carlo, spill__vcov_traces) with those of G~. */
typedef struct ly_info {
  size_t nv, k;
  double tw, s2, c, cs2, *base; /* c = 1/(1-rho), cs2 = |G'1|^2 / N (two-way); else 0 */
  int two;
} ly_info;

static void ly_add_traces(void *user, const double *tr, double *v)
{
  ly_info *b = user;
  size_t k = b->k, nv = b->nv;
  double trg = tr[0], trgg = tr[1], trgtg = tr[2];
  if (b->two) {
    trg -= b->c;
    trgg -= b->c * b->c;
    trgtg -= b->cs2;
  }
  memcpy(v, b->base, nv * nv * sizeof *v);
  v[k * nv + k] += b->tw * (trgg + trgtg);
  v[k * nv + k + 1] = v[(k + 1) * nv + k] = b->tw * trg / b->s2;
}

/* Inverse information of (b, rho, s2) for the transformed model. */
static int ly_vcov(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                   spill__ldet *ld, const ly_state *s)
{
  size_t k = d->k, nv = k + 2, nt = (size_t)d->nt, n = (size_t)d->n, T = (size_t)d->t;
  double *zb = NULL, *pv = NULL, *work = NULL, *cs = NULL, *sol = NULL, s2 = f->sigma2, rho = f->rho;
  ly_info li = {nv, k, s->tw, s2, 0.0, 0.0, NULL, s->two};
  int rc = SPILL_ENOMEM;
  zb = spill__malloc(ctx, nt * sizeof *zb);
  pv = spill__malloc(ctx, nt * sizeof *pv);
  sol = spill__malloc(ctx, nt * sizeof *sol);
  work = spill__malloc(ctx, (n + T) * sizeof *work);
  cs = spill__malloc(ctx, n * sizeof *cs);
  li.base = spill__calloc(ctx, nv * nv, sizeof *li.base);
  if (!zb || !pv || !sol || !work || !cs || !li.base) goto done;
  if (s->two) { /* G'1 = W'(I - rho W)^-T 1: one solve */
    for (size_t i = 0; i < n; i++) work[i] = 1.0;
    if ((rc = spill__ldet_solve_t(ctx, ld, rho, 1, work, 1, sol))) goto done;
    spill__wtmul(w, sol, cs);
    li.c = 1.0 / (1.0 - rho);
    li.cs2 = dotn(cs, cs, n) / (double)n;
  }
  for (size_t i = 0; i < nt; i++) {
    double a = 0.0;
    for (size_t j = 0; j < k; j++) a += d->z[j * nt + i] * f->coef[j];
    zb[i] = a;
  }
  /* P = (I_T x G) Z b (one solve per period), then transformed */
  if ((rc = spill__ldet_solve(ctx, ld, rho, zb, d->t, sol))) goto done;
  spill__wlag(w, sol, d->t, pv);
  spill__within(pv, d->n, d->t, f->fe, work, pv);
  for (size_t a = 0; a < k; a++) {
    for (size_t b = 0; b < k; b++) li.base[a * nv + b] = dotn(d->z + a * nt, d->z + b * nt, nt) / s2;
    li.base[a * nv + k] = li.base[k * nv + a] = dotn(d->z + a * nt, pv, nt) / s2;
  }
  li.base[k * nv + k] = dotn(pv, pv, nt) / s2;
  li.base[(k + 1) * nv + k + 1] = s->m / (2.0 * s2 * s2);
  rc = spill__vcov_traces(ctx, ld, rho, nv, ly_add_traces, &li, f->vcov);
  if (rc == SPILL_ENUM)
    spill__fail_prefix(ctx, "the Lee-Yu transformed model: ");
done:
  free(zb);
  free(pv);
  free(sol);
  free(work);
  free(cs);
  free(li.base);
  return rc;
}

int spill__fit_lee_yu(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                      spill__ldet *ld)
{
  size_t k = d->k, nt = (size_t)d->nt;
  double *rr = NULL, *b0 = NULL, *b1 = NULL, lo, hi;
  ly_state st;
  int rc = SPILL_ENOMEM;
  memset(&st, 0, sizeof st);
  st.ld = ld;
  st.two = f->fe == SPILL_FE_TWOWAYS;
  st.tw = (double)(d->t - 1);
  st.m = (double)(st.two ? d->n - 1 : d->n) * st.tw;
  rr = spill__malloc(ctx, k * k * sizeof *rr);
  b0 = spill__malloc(ctx, k * sizeof *b0);
  b1 = spill__malloc(ctx, k * sizeof *b1);
  if (!rr || !b0 || !b1) goto done;
  if (!(st.m > (double)k + 1)) {
    rc = spill__fail(ctx, SPILL_EDATA, "the Lee-Yu transformation leaves %.0f observations for %zu "
                                       "coefficients", st.m, k);
    goto done;
  }
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
  if (st.two && hi > 1.0) hi = 1.0;
  lo += 1e-9 * (hi - lo);
  hi -= 1e-9 * (hi - lo);
  if ((rc = spill__maximise(ctx, ly_loglik, &st, lo, hi,
                            spill__ldet_method(ld) == SPILL_LOGDET_EIGEN ? 200 : 20, 1e-11, &f->rho,
                            &f->loglik)))
    goto done;
  if ((rc = ly_polish(ctx, &st, lo, hi, &f->rho, &f->loglik))) goto done;
  for (size_t j = 0; j < k; j++) f->coef[j] = b0[j] - f->rho * b1[j];
  f->sigma2 = ly_ssr(&st, f->rho) / st.m;
  rc = ly_vcov(ctx, f, d, w, ld, &st);
done:
  free(rr);
  free(b0);
  free(b1);
  return rc;
}

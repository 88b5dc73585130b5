/* Moran's I of least-squares residuals with the moments of Cliff and Ord
 * (1981, sec. 8.3) for a general W. spdep lm.morantest applies the form
 * for symmetric W to (W + W')/2; the two agree (the quadratic form e'We
 * depends on the symmetric part only): on Columbus (queen, W) both give
 * Var = 0.008099305. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/moran.h"

/* tr(A^-1 U'V) for n x k column-major U, V and the k x k inverse ai. */
static double tr_ainv_utv(const double *ai, const double *u, const double *v, int64_t n, size_t k)
{
  double s = 0;
  for (size_t a = 0; a < k; a++)
    for (size_t c = 0; c < k; c++) {
      double uv = 0;
      for (int64_t i = 0; i < n; i++) uv += u[c * (size_t)n + (size_t)i] * v[a * (size_t)n + (size_t)i];
      s += ai[a * k + c] * uv; /* (A^-1)_{ac} (U'V)_{ca} */
    }
  return s;
}

int spill_moran_residuals(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_moran_resid *o)
{
  int64_t n = p->n;
  size_t k = 1 + (p->d ? 1 : 0) + p->nx, sz;
  double *x = NULL, *wx = NULL, *wtx = NULL, *ai = NULL, *b = NULL, *e = NULL, *we = NULL;
  double s0, s1, s2, trw = 0, tww = 0, twwt = 0, ee = 0, ewe = 0, trmw, t1, t2, dn = (double)n, nk;
  int rc = SPILL_ENOMEM;
  memset(o, 0, sizeof *o);
  if (p->t != 1) return spill__fail(ctx, SPILL_EINVAL, "Moran's I of residuals with exact moments is for a cross-section (T = 1); use the permutation p-value for panels");
  if ((rc = spill__w_sums(ctx, w, &s0, &s1, &s2))) return rc;
  rc = SPILL_ENOMEM;
  sz = k * (size_t)n * sizeof(double);
  x = spill__malloc(ctx, sz);
  wx = spill__calloc(ctx, 1, sz);
  wtx = spill__calloc(ctx, 1, sz);
  ai = spill__calloc(ctx, k * k, sizeof *ai);
  b = spill__malloc(ctx, k * k * sizeof *b);
  e = spill__malloc(ctx, (size_t)n * sizeof *e);
  we = spill__malloc(ctx, (size_t)n * sizeof *we);
  if (!x || !wx || !wtx || !ai || !b || !e || !we) goto done;
  if ((rc = spill_ls_residuals(ctx, p, w, SPILL_FE_NONE, e))) goto done;
  rc = SPILL_ENOMEM;
  /* X = [1, d, x...] as the least-squares fit used it */
  for (int64_t i = 0; i < n; i++) x[i] = 1.0;
  {
    size_t c = 1;
    if (p->d) memcpy(x + (c++) * (size_t)n, p->d, (size_t)n * sizeof *x);
    for (size_t j = 0; j < p->nx; j++, c++) memcpy(x + c * (size_t)n, p->x + j * (size_t)n, (size_t)n * sizeof *x);
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      int64_t j = w->j[q];
      double wij = w->x[q], wji;
      spill__w_find(w, j, i, &wji);
      if (j == i) trw += wij;
      tww += wij * wji;
      twwt += wij * wij;
      for (size_t c = 0; c < k; c++) {
        wx[c * (size_t)n + (size_t)i] += wij * x[c * (size_t)n + (size_t)j];
        wtx[c * (size_t)n + (size_t)j] += wij * x[c * (size_t)n + (size_t)i];
      }
    }
  for (size_t a = 0; a < k; a++)
    for (size_t c = 0; c < k; c++) {
      double s = 0;
      for (int64_t i = 0; i < n; i++) s += x[a * (size_t)n + (size_t)i] * x[c * (size_t)n + (size_t)i];
      ai[a * k + c] = s;
    }
  if (spill__spd_inverse(ai, k)) {
    rc = spill__fail(ctx, SPILL_ENUM, "X'X is singular: a regressor is constant or collinear");
    goto done;
  }
  /* B = X'WX */
  for (size_t a = 0; a < k; a++)
    for (size_t c = 0; c < k; c++) {
      double s = 0;
      for (int64_t i = 0; i < n; i++) s += x[a * (size_t)n + (size_t)i] * wx[c * (size_t)n + (size_t)i];
      b[a * k + c] = s;
    }
  trmw = trw - tr_ainv_utv(ai, x, wx, n, k); /* tr(MW) = tr(W) - tr(A^-1 X'WX) */
  {
    /* tr(A^-1 B A^-1 B') and tr(A^-1 B A^-1 B) */
    double pb = 0, pbb = 0;
    double *ab = spill__calloc(ctx, k * k, sizeof *ab);
    if (!ab) goto done;
    for (size_t a = 0; a < k; a++)
      for (size_t c = 0; c < k; c++)
        for (size_t m = 0; m < k; m++) ab[a * k + c] += ai[a * k + m] * b[m * k + c];
    for (size_t a = 0; a < k; a++)
      for (size_t c = 0; c < k; c++) {
        pbb += ab[a * k + c] * ab[c * k + a];                 /* tr((A^-1 B)^2) */
        for (size_t m = 0; m < k; m++) pb += ab[a * k + c] * ai[c * k + m] * b[a * k + m]; /* tr(A^-1 B A^-1 B') */
      }
    free(ab);
    /* tr(MWMW') and tr(MWMW) by expanding M = I - X A^-1 X' */
    t1 = twwt - tr_ainv_utv(ai, wtx, wtx, n, k) - tr_ainv_utv(ai, wx, wx, n, k) + pb;
    t2 = tww - 2 * tr_ainv_utv(ai, wtx, wx, n, k) + pbb;
  }
  for (int64_t i = 0; i < n; i++) {
    double acc = 0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) acc += w->x[q] * e[w->j[q]];
    we[i] = acc;
    ee += e[i] * e[i];
    ewe += e[i] * acc;
  }
  nk = dn - (double)k;
  o->n = n;
  o->k = k;
  o->moran_i = dn / s0 * ewe / ee;
  o->e = dn / s0 * trmw / nk;
  o->var = (dn / s0) * (dn / s0) * (t1 + t2 + trmw * trmw) / (nk * (nk + 2)) - o->e * o->e;
  o->z = (o->moran_i - o->e) / sqrt(o->var);
  o->p = 0.5 * erfc(o->z / sqrt(2.0));
  rc = SPILL_OK;
done:
  free(x);
  free(wx);
  free(wtx);
  free(ai);
  free(b);
  free(e);
  free(we);
  return rc;
}

/* Specification tests of the SDM: H0 SAR (theta = 0) and H0 SEM (common
 * factor theta = -rho beta; Burridge 1981; Elhorst 2014, sec. 2.9), by Wald
 * here and by LR in fit.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

/* Regularised upper incomplete gamma Q(a, x): series for x < a + 1, else the
 * continued fraction by modified Lentz (Press et al. 2007, sec. 6.2). */
static double gamma_q(double a, double x)
{
  double gln = lgamma(a);
  if (x <= 0) return 1.0;
  if (x < a + 1.0) {
    double ap = a, sum = 1.0 / a, del = sum;
    for (int n = 0; n < 1000; n++) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (fabs(del) < fabs(sum) * 1e-16) break;
    }
    return 1.0 - sum * exp(-x + a * log(x) - gln);
  } else {
    double b = x + 1.0 - a, c = 1.0 / DBL_MIN, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; i++) {
      double an = -i * (i - a), del;
      b += 2.0;
      d = an * d + b;
      if (fabs(d) < DBL_MIN) d = DBL_MIN;
      c = b + an / c;
      if (fabs(c) < DBL_MIN) c = DBL_MIN;
      d = 1.0 / d;
      del = d * c;
      h *= del;
      if (fabs(del - 1.0) < 1e-16) break;
    }
    return exp(-x + a * log(x) - gln) * h;
  }
}

double spill__chi2_sf(double x, double df)
{
  if (!(x >= 0) || !(df > 0)) return NAN;
  return gamma_q(0.5 * df, 0.5 * x);
}

double spill__normal_p2(double z)
{
  return erfc(fabs(z) / sqrt(2.0));
}

/* W = g' (J V J')^-1 g with g the restrictions and J their Jacobian. */
static double wald(const double *g, const double *jac, size_t q, const double *v, size_t nv)
{
  double *jv = malloc(q * nv * sizeof *jv), *m = malloc(q * q * sizeof *m), w = NAN;
  if (!jv || !m || q == 0) goto done;
  spill__sandwich(jac, q, nv, v, jv, m);
  if (spill__spd_inverse(m, q)) goto done;
  w = 0.0;
  for (size_t a = 0; a < q; a++)
    for (size_t b = 0; b < q; b++) w += g[a] * m[a * q + b] * g[b];
done:
  free(jv);
  free(m);
  return w;
}

int spill__wald_sdm(spill_ctx *ctx, spill_fit *f, const spill__design *d)
{
  size_t nv = f->nv, q = 0, ri = f->k;
  double *g = NULL, *jac = NULL;
  g = spill__malloc(ctx, f->k * sizeof *g);
  jac = spill__calloc(ctx, f->k * nv, sizeof *jac);
  if (!g || !jac) {
    free(g);
    free(jac);
    return ctx->status;
  }
  /* theta = 0 */
  for (size_t j = 0; j < f->k; j++)
    if (d->base[j] >= 0 || (d->base[j] < 0 && !strncmp(f->names[j], "W*", 2))) {
      g[q] = f->coef[j];
      jac[q * nv + j] = 1.0;
      q++;
    }
  f->wald_sar = wald(g, jac, q, f->vcov, nv);
  f->wald_sar_p = spill__chi2_sf(f->wald_sar, (double)q);
  /* theta_j + rho beta_j = 0 for every base with a W term */
  q = 0;
  memset(jac, 0, f->k * nv * sizeof *jac);
  for (size_t j = 0; j < f->k; j++) {
    long m = d->wlag[j];
    if (m < 0) continue;
    g[q] = f->coef[m] + f->rho * f->coef[j];
    jac[q * nv + (size_t)m] = 1.0;
    jac[q * nv + j] = f->rho;
    jac[q * nv + ri] = f->coef[j];
    q++;
  }
  f->wald_sem = wald(g, jac, q, f->vcov, nv);
  f->wald_sem_p = spill__chi2_sf(f->wald_sem, (double)q);
  free(g);
  free(jac);
  return SPILL_OK;
}

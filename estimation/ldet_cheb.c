/* ln|I - rho W| for large n without a factorisation per rho: the Chebyshev
 * series of Pace and LeSage (2004, Comput. Stat. Data Anal. 45), with
 * ln(1 - x lam) = -ln(1 + r^2) - 2 sum_k r^k T_k(lam) / k, r = x / (1 + sqrt(1 - x^2))
 * (the generating function of T_k, Mason and Handscomb 2003, sec. 5.8), x = rho a,
 * lam an eigenvalue of W / a, a >= the spectral radius (max row sum of |W|),
 * and tr T_k(W / a) by Hutchinson's estimator (Rademacher probes, the three-term
 * recurrence) for k >= 3, exactly for k <= 2. The series is then corrected by
 * exact Cholesky log-determinants at rho0 and rho0 +- h around each optimum
 * (a quadratic in rho - rho0), so the maximiser is that of the exact likelihood. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/logdet.h"
#include "estimation/effects.h"
#include "spatial/parallel.h"

#define CHEB_PROBES 16
#define CHEB_MAX_ORDER 150

static double wij(const spill_weights *w, int64_t i, int64_t j)
{
  int64_t lo = w->p[i], hi = w->p[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (w->j[mid] < j) lo = mid + 1;
    else hi = mid;
  }
  return lo < w->p[i + 1] && w->j[lo] == j ? w->x[lo] : 0.0;
}

/* Probe r's Rademacher signs come from a generator of its own, so the
 * result does not depend on how probes are split among threads. */
void spill__probe_signs(uint64_t seed, int64_t probe, int64_t n, double *z, size_t stride)
{
  spill_rng rng;
  spill_rng_seed(&rng, seed * 0x9E3779B97F4A7C15ULL + (uint64_t)probe * 0xD1B54A32D192ED03ULL + 1);
  for (int64_t i = 0; i < n; i += 64) {
    uint64_t bits = spill_rng_u64(&rng);
    for (int64_t b = 0; b < 64 && i + b < n; b++) z[(size_t)(i + b) * stride] = (bits >> b) & 1 ? 1.0 : -1.0;
  }
}

typedef struct cheb_job {
  spill__ldet *ld;
  int m, r;
} cheb_job;

/* probes [r0, r1) of this thread, advanced together (row i holds the probes) */
static int cheb_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  cheb_job *jb = user;
  spill__ldet *ld = jb->ld;
  const spill_weights *w = ld->w;
  int64_t n = ld->n;
  int r0 = jb->r * thread / nthreads, r1 = jb->r * (thread + 1) / nthreads, q = r1 - r0, m = jb->m;
  double *z, *a, *b, *c, *acc, inv = 1.0 / ld->scale;
  if (q <= 0) return SPILL_OK;
  z = spill__malloc(ctx, (size_t)n * (size_t)q * sizeof *z);
  a = spill__malloc(ctx, (size_t)n * (size_t)q * sizeof *a);
  b = spill__malloc(ctx, (size_t)n * (size_t)q * sizeof *b);
  c = spill__malloc(ctx, (size_t)n * (size_t)q * sizeof *c);
  acc = spill__calloc(ctx, (size_t)q, sizeof *acc);
  if (!z || !a || !b || !c || !acc) {
    free(z); free(a); free(b); free(c); free(acc);
    return SPILL_ENOMEM;
  }
  for (int s = 0; s < q; s++) spill__probe_signs(ld->seed, r0 + s, n, z + s, (size_t)q);
  memcpy(a, z, (size_t)n * (size_t)q * sizeof *a); /* T_0 z */
  for (int k = 1; k <= m; k++) {
    /* c = T_k z = 2 (W/a) T_{k-1} z - T_{k-2} z  (T_1 z = (W/a) z) */
    for (int64_t i = 0; i < n; i++) {
      double *ci = c + (size_t)i * q;
      for (int s = 0; s < q; s++) ci[s] = 0.0;
      for (int64_t p = w->p[i]; p < w->p[i + 1]; p++) {
        const double *aj = a + (size_t)w->j[p] * q;
        double wv = w->x[p] * inv * (k == 1 ? 1.0 : 2.0);
        for (int s = 0; s < q; s++) ci[s] += wv * aj[s];
      }
      if (k > 1)
        for (int s = 0; s < q; s++) ci[s] -= b[(size_t)i * q + s];
    }
    if (k >= 3) {
      for (int s = 0; s < q; s++) acc[s] = 0.0;
      for (int64_t i = 0; i < n; i++)
        for (int s = 0; s < q; s++) acc[s] += z[(size_t)i * q + s] * c[(size_t)i * q + s];
      for (int s = 0; s < q; s++) ld->cheb_tr[(size_t)(r0 + s) * (m + 1) + k] = acc[s] / (double)n;
    }
    { double *t = b; b = a; a = c; c = t; } /* b = T_{k-1}, a = T_k */
    if (thread == 0) spill__progress(ctx, "log-det: Chebyshev traces", (double)k / m);
  }
  free(z); free(a); free(b); free(c); free(acc);
  return SPILL_OK;
}

int spill__cheb_setup(spill_ctx *ctx, spill__ldet *ld)
{
  const spill_weights *w = ld->w;
  int64_t n = ld->n;
  double t1 = 0.0, t2 = 0.0, xmax, r;
  cheb_job jb;
  int m, rc;
  ld->scale = spill__ldet_abs_rowsum(w);
  if (!(ld->scale > 0)) ld->scale = 1.0;
  /* the order: truncation <= 1e-6 n at the largest |rho| searched, capped at 0.98 / a
   * (the exact corrections at each optimum remove what remains near it) */
  xmax = fmin(0.98, fmax(fabs(ld->lo), fabs(ld->hi)) * ld->scale);
  r = xmax / (1.0 + sqrt(1.0 - xmax * xmax));
  m = (int)ceil(log(1e-6 * (1.0 - r)) / log(r));
  if (m < 10) m = 10;
  if (m > CHEB_MAX_ORDER) m = CHEB_MAX_ORDER;
  ld->cheb_m = m;
  ld->cheb_r = CHEB_PROBES;
  ld->cheb_t = spill__calloc(ctx, (size_t)m + 1, sizeof *ld->cheb_t);
  ld->cheb_tr = spill__calloc(ctx, (size_t)ld->cheb_r * ((size_t)m + 1), sizeof *ld->cheb_tr);
  if (!ld->cheb_t || !ld->cheb_tr) return SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      if (w->j[q] == i) t1 += w->x[q];
      t2 += w->x[q] * wij(w, w->j[q], i);
    }
  t1 /= ld->scale;
  t2 /= ld->scale * ld->scale;
  jb.ld = ld;
  jb.m = m;
  jb.r = ld->cheb_r;
  if ((rc = spill__run_parallel(ctx, spill__thread_count(ctx, n * m), cheb_task, &jb))) return rc;
  for (int s = 0; s < ld->cheb_r; s++) {
    double *row = ld->cheb_tr + (size_t)s * (m + 1);
    row[0] = 1.0;
    row[1] = t1 / (double)n;
    if (m >= 2) row[2] = (2.0 * t2 - (double)n) / (double)n; /* T_2 = 2 x^2 - 1 */
  }
  for (int k = 0; k <= m; k++) {
    double s = 0.0;
    for (int q = 0; q < ld->cheb_r; q++) s += ld->cheb_tr[(size_t)q * (m + 1) + k];
    ld->cheb_t[k] = s / ld->cheb_r;
  }
  return SPILL_OK;
}

/* the series with traces t (per unit), and its rho-derivative */
static void series(const spill__ldet *ld, const double *t, double rho, double *val, double *dval)
{
  double x = rho * ld->scale, s = sqrt(fmax(0.0, 1.0 - x * x)), r = x / (1.0 + s);
  double dr = 1.0 / (s * (1.0 + s)), nn = (double)ld->n, sum = 0.0, dsum = 0.0, rk = 1.0;
  for (int k = 1; k <= ld->cheb_m; k++) { /* rk = r^(k-1) */
    dsum += rk * t[k];
    rk *= r;
    sum += rk * t[k] / k;
  }
  *val = -nn * log1p(r * r) - 2.0 * nn * sum;
  *dval = ld->scale * (-nn * 2.0 * r * dr / (1.0 + r * r) - 2.0 * nn * dr * dsum);
}

static int nearest_anchor(const spill__ldet *ld, double rho)
{
  int best = -1;
  for (int a = 0; a < ld->n_anchor; a++)
    if (best < 0 || fabs(rho - ld->anc[a][0]) < fabs(rho - ld->anc[best][0])) best = a;
  return best;
}

void spill__cheb_eval(const spill__ldet *ld, double rho, double *val, double *dval)
{
  int a = nearest_anchor(ld, rho);
  series(ld, ld->cheb_t, rho, val, dval);
  if (a >= 0) {
    double d = rho - ld->anc[a][0];
    *val += ld->anc[a][1] + ld->anc[a][2] * d + ld->anc[a][3] * d * d;
    *dval += ld->anc[a][2] + 2.0 * ld->anc[a][3] * d;
  }
}

void spill__cheb_error(const spill__ldet *ld, double rho, double *mcse, double *trunc)
{
  double x = fabs(rho) * ld->scale, r = x / (1.0 + sqrt(fmax(0.0, 1.0 - x * x)));
  double m = 0.0, v = 0.0, vals[CHEB_PROBES], d;
  int R = ld->cheb_r;
  for (int q = 0; q < R; q++) {
    series(ld, ld->cheb_tr + (size_t)q * (ld->cheb_m + 1), rho, &vals[q], &d);
    m += vals[q];
  }
  m /= R;
  for (int q = 0; q < R; q++) v += (vals[q] - m) * (vals[q] - m);
  *mcse = sqrt(v / (R - 1) / R);
  *trunc = r < 1.0 ? 2.0 * (double)ld->n * pow(r, ld->cheb_m + 1) / ((ld->cheb_m + 1) * (1.0 - r)) : INFINITY;
}

int spill__ldet_refine(spill_ctx *ctx, spill__ldet *ld, double rho, int *again)
{
  double h = 1e-3 * (ld->hi - ld->lo) / 2.0, x[3], d[3], e, v, dv;
  int a = nearest_anchor(ld, rho), rc, slot;
  *again = 0;
  if (ld->method != SPILL_LOGDET_CHEB || !(rho > ld->lo && rho < ld->hi)) return SPILL_OK;
  if (a >= 0 && fabs(rho - ld->anc[a][0]) <= 0.5 * ld->anc[a][4]) return SPILL_OK;
  h = fmin(h, 0.5 * fmin(rho - ld->lo, ld->hi - rho));
  x[0] = rho - h;
  x[1] = rho;
  x[2] = rho + h;
  for (int i = 0; i < 3; i++) {
    if ((rc = spill__ldet_exact_eval(ctx, ld, x[i], &e))) return rc;
    if (!isfinite(e)) return SPILL_OK; /* not positive definite so close to the edge: keep the series */
    series(ld, ld->cheb_t, x[i], &v, &dv);
    d[i] = e - v;
  }
  slot = ld->n_anchor < SPILL__ANCHORS ? ld->n_anchor++ : (int)(ld->n_anchor % SPILL__ANCHORS);
  ld->anc[slot][0] = rho;
  ld->anc[slot][1] = d[1];
  ld->anc[slot][2] = (d[2] - d[0]) / (2.0 * h);
  ld->anc[slot][3] = (d[2] - 2.0 * d[1] + d[0]) / (2.0 * h * h);
  ld->anc[slot][4] = h;
  *again = 1;
  return SPILL_OK;
}

/* The error of ln|I - rho W| as used at rho: measured against the exact
 * Cholesky value for the Chebyshev method (the factorisation is needed for
 * the variance anyway), 0 for the exact methods. */
double spill__ldet_error(spill_ctx *ctx, spill__ldet *ld, double rho)
{
  double e, v, dv;
  if (ld->method != SPILL_LOGDET_CHEB) return 0.0;
  if (spill__ldet_exact_eval(ctx, ld, rho, &e) || !isfinite(e)) return NAN;
  spill__cheb_eval(ld, rho, &v, &dv);
  return fabs(v - e);
}

/* Traces of functions of W for the effects: exact from the eigenvalues, or
 * a power series in rho with tr(W^j) from Hutchinson's estimator (LeSage and
 * Pace 2009, sec. 4.1-4.2; Hutchinson 1989 with Rademacher vectors), plus
 * the sparse LU of I - rho W (UMFPACK) for exact totals and city effects. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <umfpack.h>
#include "estimation/effects.h"
#include "spatial/parallel.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);
extern void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
                   double *wr, double *wi, double *vl, const int *ldvl, double *vr,
                   const int *ldvr, double *work, const int *lwork, int *info);

/* Largest n for the exact eigen route under SPILL_TRACE_AUTO (dsyevd on
 * n = 1500 takes ~0.2 s, dgeev is several times slower). */
#define AUTO_EIGEN_SYM 1500
#define AUTO_EIGEN_GEN 800
/* Largest n the eigen route accepts at all (dense n x n). */
#define MAX_EIGEN 8000

void spill__wmul(const spill_weights *w, const double *x, double *y)
{
  for (int64_t i = 0; i < w->n; i++) {
    double acc = 0.0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) acc += w->x[k] * x[w->j[k]];
    y[i] = acc;
  }
}

void spill__wtmul(const spill_weights *w, const double *x, double *y)
{
  memset(y, 0, (size_t)w->n * sizeof *y);
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) y[w->j[k]] += w->x[k] * x[i];
}

int spill__series_order(double rho_abs, double wnorm, double tol, int max_order)
{
  double q = rho_abs * wnorm;
  int j;
  if (q <= 0.0) return 2;
  if (q >= 1.0) return max_order;
  /* q^(J+1)/(1-q) <= tol */
  j = (int)ceil(log(tol * (1.0 - q)) / log(q)) - 1;
  if (j < 2) j = 2;
  return j > max_order ? max_order : j;
}

void spill_traces_free(spill_traces *tr)
{
  if (!tr) return;
  free(tr->ev_re);
  free(tr->ev_im);
  free(tr->t);
  free(tr->t_se);
  free(tr->tr_r);
  free(tr->s);
  free(tr);
}

spill_trace_method spill_traces_method(const spill_traces *tr) { return (spill_trace_method)tr->method; }
int spill_traces_order(const spill_traces *tr) { return tr->method == SPILL_TRACE_MC ? tr->order : 0; }
const double *spill_traces_values(const spill_traces *tr) { return tr->t; }
const double *spill_traces_se(const spill_traces *tr) { return tr->t_se; }

/* Value of w_ij, or 0 (columns are sorted within a row). */
static double wget(const spill_weights *w, int64_t i, int64_t j)
{
  int64_t lo = w->p[i], hi = w->p[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (w->j[mid] < j) lo = mid + 1;
    else hi = mid;
  }
  return lo < w->p[i + 1] && w->j[lo] == j ? w->x[lo] : 0.0;
}

/* W = D^-1 B with B symmetric: find d (d_j = d_i w_ij / w_ji along a
 * spanning forest) and check it on every entry. On success fills the dense
 * symmetric M = D^1/2 W D^-1/2 (column-major, n x n) and returns 1. */
static int symmetric_similar(spill_ctx *ctx, const spill_weights *w, double *m, int *fail)
{
  int64_t n = w->n, *queue = NULL;
  double *d = NULL;
  int ok = 1;
  *fail = 0;
  queue = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *queue);
  d = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *d);
  if (!queue || !d) {
    *fail = 1;
    ok = 0;
    goto done;
  }
  for (int64_t i = 0; i < n; i++) d[i] = 0.0;
  for (int64_t root = 0; root < n && ok; root++) {
    int64_t head = 0, tail = 0;
    if (d[root] != 0.0) continue;
    d[root] = 1.0;
    queue[tail++] = root;
    while (head < tail && ok) {
      int64_t i = queue[head++];
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
        int64_t j = w->j[k];
        double wji = wget(w, j, i);
        if (w->x[k] <= 0.0 || wji <= 0.0) {
          ok = (w->x[k] == 0.0 && wji == 0.0);
          if (!ok) break;
          continue;
        }
        if (d[j] == 0.0) {
          d[j] = d[i] * w->x[k] / wji;
          queue[tail++] = j;
        }
      }
    }
  }
  for (int64_t i = 0; i < n && ok; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1] && ok; k++) {
      int64_t j = w->j[k];
      double a = d[i] * w->x[k], b = d[j] * wget(w, j, i);
      if (fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b))) ok = 0;
    }
  if (ok) {
    memset(m, 0, (size_t)n * (size_t)n * sizeof *m);
    for (int64_t i = 0; i < n; i++)
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
        m[(size_t)w->j[k] * (size_t)n + (size_t)i] = w->x[k] * sqrt(d[i] / d[w->j[k]]);
  }
done:
  free(queue);
  free(d);
  return ok;
}

static int eigenvalues(spill_ctx *ctx, const spill_weights *w, spill_traces *tr, int sym_only)
{
  int n = (int)w->n, info = 0, lwork = -1, liwork = -1, iwq = 0, fail = 0, rc = SPILL_OK;
  double *a = NULL, *work = NULL, wq = 0.0;
  int *iwork = NULL;
  if (spill__mem_request(ctx, 3.0 * (double)n * (double)n * sizeof *a, "effects: the eigenvalues of the dense n x n W",
                         "use Monte Carlo traces (--effects-method mc)"))
    return SPILL_ENOMEM;
  a = spill__malloc(ctx, (size_t)n * (size_t)n * sizeof *a);
  tr->ev_re = spill__calloc(ctx, (size_t)n, sizeof *tr->ev_re);
  tr->ev_im = spill__calloc(ctx, (size_t)n, sizeof *tr->ev_im);
  if (!a || !tr->ev_re || !tr->ev_im) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  if (symmetric_similar(ctx, w, a, &fail)) {
    dsyevd_("N", "U", &n, a, &n, tr->ev_re, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq;
    liwork = iwq;
    work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
    iwork = spill__malloc(ctx, (size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
      rc = SPILL_ENOMEM;
      goto done;
    }
    dsyevd_("N", "U", &n, a, &n, tr->ev_re, work, &lwork, iwork, &liwork, &info);
    tr->real_spectrum = 1;
  } else if (fail) {
    rc = SPILL_ENOMEM;
    goto done;
  } else if (sym_only) {
    rc = 1; /* not symmetric-similar: let the caller choose */
    goto done;
  } else {
    double dummy = 0.0;
    int one = 1;
    memset(a, 0, (size_t)n * (size_t)n * sizeof *a);
    for (int64_t i = 0; i < w->n; i++)
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
        a[(size_t)w->j[k] * (size_t)n + (size_t)i] = w->x[k];
    dgeev_("N", "N", &n, a, &n, tr->ev_re, tr->ev_im, &dummy, &one, &dummy, &one, &wq, &lwork, &info);
    lwork = (int)wq;
    work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
    if (!work) {
      rc = SPILL_ENOMEM;
      goto done;
    }
    dgeev_("N", "N", &n, a, &n, tr->ev_re, tr->ev_im, &dummy, &one, &dummy, &one, work, &lwork, &info);
    tr->real_spectrum = 1;
    for (int i = 0; i < n; i++)
      if (tr->ev_im[i] != 0.0) tr->real_spectrum = 0;
  }
  if (info != 0)
    rc = spill__fail(ctx, SPILL_ENUM, "effects: LAPACK eigenvalues of W failed (info %d); "
                     "use Monte Carlo traces (--effects-method mc)", info);
done:
  free(a);
  free(work);
  free(iwork);
  return rc;
}

/* One power step y = W x for the R vectors (rows i, R-vectors contiguous),
 * rows in chunks of MC_CHUNK on the context's threads; part[c*R + r] gets
 * chunk c's share of z_r'y_r. Chunks are fixed and summed in order by the
 * caller, so the traces do not depend on the thread count. */
#define MC_CHUNK 4096
typedef struct mc_job {
  const spill_weights *w;
  int R;
  const signed char *z;
  const double *x;
  double *y, *part;
  int64_t nch;
} mc_job;

static int mc_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  mc_job *jb = user;
  const spill_weights *w = jb->w;
  int R = jb->R;
  (void)ctx;
  for (int64_t c = thread; c < jb->nch; c += nthreads) {
    int64_t i0 = c * MC_CHUNK, i1 = i0 + MC_CHUNK < w->n ? i0 + MC_CHUNK : w->n;
    double *pc = jb->part + (size_t)c * R;
    for (int r = 0; r < R; r++) pc[r] = 0.0;
    for (int64_t i = i0; i < i1; i++) {
      double *yi = jb->y + (size_t)i * (size_t)R;
      const signed char *zi = jb->z + (size_t)i * (size_t)R;
      for (int r = 0; r < R; r++) yi[r] = 0.0;
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
        const double *xj = jb->x + (size_t)w->j[k] * (size_t)R;
        double wk = w->x[k];
        for (int r = 0; r < R; r++) yi[r] += wk * xj[r];
      }
      for (int r = 0; r < R; r++) pc[r] += zi[r] * yi[r];
    }
  }
  return SPILL_OK;
}

/* tr(W^j)/n for j <= 2 exactly; j >= 3 by Hutchinson's estimator with R
 * Rademacher vectors advanced together (LeSage and Pace 2009, eq. 4.12). */
static int mc_traces(spill_ctx *ctx, const spill_weights *w, spill_traces *tr, uint64_t seed)
{
  int64_t n = w->n;
  int R = tr->vectors, J2 = tr->order + 2;
  signed char *z = NULL; /* the Rademacher signs, kept for z'W^j z */
  double *x = NULL, *y = NULL, t1 = 0.0, t2 = 0.0;
  spill_rng rng;
  mc_job jb = {0};
  int rc = SPILL_OK, th;
  z = spill__malloc(ctx, (size_t)n * (size_t)R);
  x = spill__malloc(ctx, (size_t)n * (size_t)R * sizeof *x);
  y = spill__malloc(ctx, (size_t)n * (size_t)R * sizeof *y);
  tr->t = spill__calloc(ctx, (size_t)J2, sizeof *tr->t);
  tr->t_se = spill__calloc(ctx, (size_t)J2, sizeof *tr->t_se);
  tr->tr_r = spill__calloc(ctx, (size_t)J2 * (size_t)R, sizeof *tr->tr_r);
  if (!z || !x || !y || !tr->t || !tr->t_se || !tr->tr_r) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      if (w->j[k] == i) t1 += w->x[k];
      t2 += w->x[k] * wget(w, w->j[k], i);
    }
  spill_rng_seed(&rng, seed ^ 0x5bd1e9955bd1e995ULL);
  for (size_t q = 0; q < (size_t)n * (size_t)R; q += 64) {
    uint64_t bits = spill_rng_u64(&rng);
    for (size_t b = 0; b < 64 && q + b < (size_t)n * (size_t)R; b++)
      z[q + b] = (bits >> b) & 1 ? 1 : -1;
  }
  for (size_t q = 0; q < (size_t)n * (size_t)R; q++) x[q] = z[q];
  jb.w = w;
  jb.R = R;
  jb.z = z;
  jb.nch = (n + MC_CHUNK - 1) / MC_CHUNK;
  if (!(jb.part = spill__malloc(ctx, (size_t)jb.nch * (size_t)R * sizeof *jb.part))) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  th = spill__thread_count(ctx, (int64_t)R * (w->p[n] + n));
  if (th > jb.nch) th = (int)jb.nch;
  for (int j = 1; j < J2; j++) {
    double *tj = tr->tr_r;
    jb.x = x;
    jb.y = y;
    if ((rc = spill__run_parallel(ctx, th, mc_task, &jb))) goto done;
    for (int r = 0; r < R; r++) tj[(size_t)r * J2 + j] = 0.0;
    for (int64_t c = 0; c < jb.nch; c++) /* the chunks' sums in order */
      for (int r = 0; r < R; r++) tj[(size_t)r * J2 + j] += jb.part[(size_t)c * R + r];
    { double *s = x; x = y; y = s; }
    spill__progress(ctx, "effects: traces", (double)j / (J2 - 1));
  }
  for (int r = 0; r < R; r++) {
    double *row = tr->tr_r + (size_t)r * J2;
    for (int j = 1; j < J2; j++) row[j] /= (double)n;
    row[0] = 1.0;
    row[1] = t1 / (double)n;
    if (J2 > 2) row[2] = t2 / (double)n;
  }
  for (int j = 0; j < J2; j++) {
    double m = 0.0, v = 0.0;
    for (int r = 0; r < R; r++) m += tr->tr_r[(size_t)r * J2 + j];
    m /= R;
    for (int r = 0; r < R; r++) {
      double e = tr->tr_r[(size_t)r * J2 + j] - m;
      v += e * e;
    }
    tr->t[j] = m;
    tr->t_se[j] = R > 1 ? sqrt(v / (R - 1) / R) : 0.0;
  }
done:
  free(z);
  free(x);
  free(y);
  free(jb.part);
  return rc;
}

/* s_j = 1'W^j 1/n, j = 0..J+1, by repeated products with W (exact). */
static int power_sums(spill_ctx *ctx, const spill_weights *w, spill_traces *tr)
{
  int64_t n = w->n;
  int J2 = tr->order + 2;
  double *v = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *v);
  double *u = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *u);
  tr->s = spill__calloc(ctx, (size_t)J2, sizeof *tr->s);
  if (!v || !u || !tr->s) {
    free(v);
    free(u);
    return SPILL_ENOMEM;
  }
  /* s[j] is scaled by wnorm^-j (|W^j 1| <= wnorm^j): unscaled, 1'W^j 1 overflows
   * for a W that is not row-stochastic and a long series (J ~ 1000) */
  double sc = tr->wnorm > 0.0 ? 1.0 / tr->wnorm : 1.0;
  for (int64_t i = 0; i < n; i++) v[i] = 1.0;
  for (int j = 0; j < J2; j++) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) acc += v[i];
    tr->s[j] = acc / (double)n;
    spill__wmul(w, v, u);
    for (int64_t i = 0; i < n; i++) u[i] *= sc;
    { double *s = v; v = u; u = s; }
  }
  free(v);
  free(u);
  return SPILL_OK;
}

spill_traces *spill_traces_new(spill_ctx *ctx, const spill_weights *w, double rho_abs_max,
                               const spill_effects_opts *opts)
{
  spill_effects_opts def;
  spill_traces *tr;
  int rc = SPILL_OK, method;
  if (!opts) {
    spill_effects_opts_init(&def);
    opts = &def;
  }
  if (!w || w->n <= 0) {
    spill__fail(ctx, SPILL_EINVAL, "effects: the weights matrix is empty");
    return NULL;
  }
  if (spill__effects_opts_check(ctx, opts)) return NULL;
  tr = spill__calloc(ctx, 1, sizeof *tr);
  if (!tr) return NULL;
  tr->n = w->n;
  tr->row_stochastic = 1;
  for (int64_t i = 0; i < w->n; i++) {
    double sum = 0.0, asum = 0.0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
      sum += w->x[k];
      asum += fabs(w->x[k]);
    }
    if (fabs(sum - 1.0) > 1e-12) tr->row_stochastic = 0;
    if (asum > tr->wnorm) tr->wnorm = asum;
  }
  if (!isfinite(rho_abs_max) || rho_abs_max < 0.0) rho_abs_max = 0.0;
  tr->order = opts->order > 0 ? opts->order
                              : spill__series_order(rho_abs_max, tr->wnorm, opts->tol, opts->max_order);
  tr->vectors = opts->vectors > 1 ? opts->vectors : 2;
  method = opts->method;
  if (method == SPILL_TRACE_EIGEN && w->n > MAX_EIGEN) {
    spill__fail(ctx, SPILL_EINVAL, "effects: the eigenvalue route holds W as a dense %lld x %lld "
                "matrix (%.1f GB here); above %d units use Monte Carlo traces (--effects-method mc)",
                (long long)w->n, (long long)w->n, 8e-9 * (double)w->n * (double)w->n, MAX_EIGEN);
    goto fail;
  }
  if (method == SPILL_TRACE_AUTO) {
    method = SPILL_TRACE_MC;
    if (w->n <= AUTO_EIGEN_SYM) {
      rc = eigenvalues(ctx, w, tr, w->n > AUTO_EIGEN_GEN);
      if (rc == SPILL_OK) method = SPILL_TRACE_EIGEN;
      else if (rc != 1) goto fail;
      if (rc == 1) {
        free(tr->ev_re);
        free(tr->ev_im);
        tr->ev_re = tr->ev_im = NULL;
      }
    }
  } else if (method == SPILL_TRACE_EIGEN) {
    if (eigenvalues(ctx, w, tr, 0) != SPILL_OK) goto fail;
  }
  tr->method = method;
  if (method == SPILL_TRACE_MC && mc_traces(ctx, w, tr, opts->seed) != SPILL_OK) goto fail;
  if (!tr->row_stochastic && power_sums(ctx, w, tr) != SPILL_OK) goto fail;
  return tr;
fail:
  spill_traces_free(tr);
  return NULL;
}

/* sum_j rho^j c[j+off] for j = 0..J, and its derivative in rho (Horner). */
static void series(const double *c, int J, int off, double rho, double *val, double *dval)
{
  double v = 0.0, dv = 0.0;
  for (int j = J; j >= 0; j--) {
    dv = dv * rho + v;
    v = v * rho + c[j + off];
  }
  *val = v;
  *dval = dv;
}

int spill__traces_eval(const spill_traces *tr, double rho, spill__tfun *f)
{
  double q = fabs(rho) * tr->wnorm, tail;
  int J = tr->order;
  memset(f, 0, sizeof *f);
  tail = q < 1.0 ? pow(q, J + 1) / (1.0 - q) : INFINITY;
  if (tr->method == SPILL_TRACE_EIGEN) {
    double s0 = 0.0, s1 = 0.0, d0 = 0.0, d1 = 0.0;
    if (tr->real_spectrum) {
      for (int64_t i = 0; i < tr->n; i++) {
        double l = tr->ev_re[i], g = 1.0 - rho * l, r;
        if (g == 0.0) return -1;
        r = 1.0 / g;
        s0 += r;
        s1 += l * r;
        d0 += l * r * r;
        d1 += l * l * r * r;
      }
    } else {
      for (int64_t i = 0; i < tr->n; i++) {
        double complex l = tr->ev_re[i] + I * tr->ev_im[i], g = 1.0 - rho * l, r;
        if (g == 0.0) return -1;
        r = 1.0 / g;
        s0 += creal(r);
        s1 += creal(l * r);
        d0 += creal(l * r * r);
        d1 += creal(l * l * r * r);
      }
    }
    f->a0 = s0 / (double)tr->n;
    f->a1 = s1 / (double)tr->n;
    f->da0 = d0 / (double)tr->n;
    f->da1 = d1 / (double)tr->n;
  } else {
    if (q >= 1.0) return -1;
    series(tr->t, J, 0, rho, &f->a0, &f->da0);
    series(tr->t, J, 1, rho, &f->a1, &f->da1);
    f->trunc_direct = tail;
  }
  if (tr->row_stochastic) {
    if (rho == 1.0) return -1;
    f->b0 = f->b1 = 1.0 / (1.0 - rho);
    f->db0 = f->db1 = 1.0 / ((1.0 - rho) * (1.0 - rho));
  } else {
    if (q >= 1.0) return -1;
    /* s is scaled by wnorm^-j: sum_j rho^j s_j = sum_j (rho wnorm)^j s~_j, and
     * sum_j rho^j s_(j+1) = wnorm sum_j (rho wnorm)^j s~_(j+1) */
    double wn = tr->wnorm > 0.0 ? tr->wnorm : 1.0;
    series(tr->s, J, 0, rho * wn, &f->b0, &f->db0);
    series(tr->s, J, 1, rho * wn, &f->b1, &f->db1);
    f->db0 *= wn;
    f->b1 *= wn;
    f->db1 *= wn * wn;
    f->trunc_total = tail;
  }
  return 0;
}

double spill__traces_direct_mcse(const spill_traces *tr, double beta, double theta, double rho)
{
  int R = tr->vectors, J = tr->order;
  double m = 0.0, v = 0.0, *est;
  if (tr->method != SPILL_TRACE_MC || R < 2) return 0.0;
  est = malloc((size_t)R * sizeof *est);
  if (!est) return NAN;
  for (int r = 0; r < R; r++) {
    const double *row = tr->tr_r + (size_t)r * (J + 2);
    double a0, a1, d;
    series(row, J, 0, rho, &a0, &d);
    series(row, J, 1, rho, &a1, &d);
    est[r] = beta * a0 + theta * a1;
    m += est[r];
  }
  m /= R;
  for (int r = 0; r < R; r++) v += (est[r] - m) * (est[r] - m);
  free(est);
  return sqrt(v / (R - 1) / R);
}

/* ---- sparse LU of I - rho W ---- */

struct spill__lu {
  SuiteSparse_long n;
  SuiteSparse_long *p, *i; /* CSC of A' = the CSR of A */
  double *x;
  void *numeric;
};

void spill__lu_free(spill__lu *lu)
{
  if (!lu) return;
  if (lu->numeric) umfpack_dl_free_numeric(&lu->numeric);
  free(lu->p);
  free(lu->i);
  free(lu->x);
  free(lu);
}

spill__lu *spill__lu_new(spill_ctx *ctx, const spill_weights *w, double rho)
{
  int64_t n = w->n, nz = w->p[n] + n, pos = 0;
  void *symbolic = NULL;
  double info[UMFPACK_INFO];
  spill__lu *lu = spill__calloc(ctx, 1, sizeof *lu);
  int status;
  if (!lu) return NULL;
  lu->n = n;
  lu->p = spill__malloc(ctx, ((size_t)n + 1) * sizeof *lu->p);
  lu->i = spill__malloc(ctx, (size_t)nz * sizeof *lu->i);
  lu->x = spill__malloc(ctx, (size_t)nz * sizeof *lu->x);
  if (!lu->p || !lu->i || !lu->x) goto fail;
  /* row r of A = I - rho W, diagonal merged in column order */
  for (int64_t r = 0; r < n; r++) {
    int diag = 0;
    lu->p[r] = pos;
    for (int64_t k = w->p[r]; k < w->p[r + 1]; k++) {
      if (!diag && w->j[k] >= r) {
        lu->i[pos] = r;
        lu->x[pos++] = 1.0 - (w->j[k] == r ? rho * w->x[k] : 0.0);
        diag = 1;
        if (w->j[k] == r) continue;
      }
      lu->i[pos] = w->j[k];
      lu->x[pos++] = -rho * w->x[k];
    }
    if (!diag) {
      lu->i[pos] = r;
      lu->x[pos++] = 1.0;
    }
  }
  lu->p[n] = pos;
  status = umfpack_dl_symbolic(n, n, lu->p, lu->i, lu->x, &symbolic, NULL, info);
  if (status == UMFPACK_OK) status = umfpack_dl_numeric(lu->p, lu->i, lu->x, symbolic, &lu->numeric, NULL, info);
  if (symbolic) umfpack_dl_free_symbolic(&symbolic);
  if (status != UMFPACK_OK) {
    spill__fail(ctx, status == UMFPACK_ERROR_out_of_memory ? SPILL_ENOMEM : SPILL_ENUM,
                "effects: UMFPACK cannot factorise I - rho W at rho = %g (status %d%s)", rho, status,
                status == UMFPACK_WARNING_singular_matrix ? ": singular" : "");
    goto fail;
  }
  return lu;
fail:
  spill__lu_free(lu);
  return NULL;
}

int spill__lu_solve(spill_ctx *ctx, spill__lu *lu, int transpose, const double *b, double *x)
{
  double info[UMFPACK_INFO];
  /* the stored matrix is A', so A x = b is UMFPACK's transposed system */
  int status = umfpack_dl_solve(transpose ? UMFPACK_A : UMFPACK_At, lu->p, lu->i, lu->x, x, b,
                                lu->numeric, NULL, info);
  if (status != UMFPACK_OK)
    return spill__fail(ctx, SPILL_ENUM, "effects: UMFPACK solve with I - rho W failed (status %d)", status);
  return SPILL_OK;
}

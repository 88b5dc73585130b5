/* ln|I - rho W| and the traces of G = W (I - rho W)^-1 that the variance
 * needs: eigenvalues (LAPACK) for small n; sparse Cholesky (CHOLMOD) of the
 * symmetric similar matrix I - rho D^1/2 W D^-1/2 when W = D^-1 B with B
 * symmetric (Pace and Barry 1997; Ord 1975); sparse LU (UMFPACK) otherwise.
 * The symbolic analysis is done once and reused for every rho. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <umfpack.h>
#include "estimation/logdet.h"
#include "estimation/effects.h"
#include "spatial/parallel.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);
extern void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
                   double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
                   double *work, const int *lwork, int *info);
extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b,
                   const int *ldb, int *info);
extern void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
                   double *work, int *info);

#define EIGEN_MAX_N 500 /* auto: eigenvalues up to this n */
#define BLOCK 256       /* right-hand sides per sparse solve for the traces */
#define IS_CHOL(ld) ((ld)->method == SPILL_LOGDET_CHOL || (ld)->method == SPILL_LOGDET_CHEB)
#define DENSE_MAX_N 8000 /* largest n for dense n x n work (512 MB per matrix) */
/* auto: the Chebyshev approximation when one Cholesky factorisation needs
 * more than this many flops (china_counties queen: 6e5; a 100 x 100 lattice: 1.2e7) */
#define CHEB_MIN_FLOPS 5e6


/* ---- helpers ---- */

static double wentry(const spill_weights *w, int64_t i, int64_t j)
{
  int64_t lo = w->p[i], hi = w->p[i + 1] - 1;
  while (lo <= hi) {
    int64_t mid = (lo + hi) / 2;
    if (w->j[mid] == j) return w->x[mid];
    if (w->j[mid] < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0.0;
}

/* W = D^-1 B with B symmetric and D > 0 diagonal: find d by walking each
 * component (d_j = d_i w_ij / w_ji), then check every pair. Returns 1 (and
 * d^1/2 in *dh_out), 0 when W is not of this form, -1 out of memory. */
static int find_similarity(spill_ctx *ctx, const spill_weights *w, double **dh_out)
{
  int64_t n = w->n, *stack = NULL, top = 0;
  double *d = NULL;
  int ok = 0;
  *dh_out = NULL;
  ok = -1;
  d = spill__malloc(ctx, (size_t)n * sizeof *d);
  stack = spill__malloc(ctx, (size_t)n * sizeof *stack);
  if (!d || !stack) goto done;
  ok = 0;
  for (int64_t i = 0; i < n; i++) d[i] = 0.0;
  for (int64_t r = 0; r < n; r++) {
    if (d[r] != 0.0) continue;
    d[r] = 1.0;
    stack[top++] = r;
    while (top) {
      int64_t i = stack[--top];
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
        int64_t j = w->j[q];
        double wij = w->x[q], wji;
        if (j == i || wij == 0.0) continue;
        wji = wentry(w, j, i);
        if (!(wij > 0.0 && wji > 0.0)) goto done; /* no positive similarity */
        if (d[j] == 0.0) {
          d[j] = d[i] * wij / wji;
          stack[top++] = j;
        }
      }
    }
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      int64_t j = w->j[q];
      double a = d[i] * w->x[q], b = d[j] * wentry(w, j, i);
      if (fabs(a - b) > 1e-12 * fabs(a)) goto done;
    }
  for (int64_t i = 0; i < n; i++) d[i] = sqrt(d[i]);
  *dh_out = d;
  d = NULL;
  ok = 1;
done:
  free(d);
  free(stack);
  return ok;
}

int spill__ldet_is_row_std(const spill_weights *w)
{
  for (int64_t i = 0; i < w->n; i++) {
    double s = 0.0;
    if (w->p[i] == w->p[i + 1]) continue;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      if (w->x[q] < 0) return 0;
      s += w->x[q];
    }
    if (fabs(s - 1.0) > 1e-10) return 0;
  }
  return 1;
}

double spill__ldet_abs_rowsum(const spill_weights *w)
{
  double m = 0.0;
  for (int64_t i = 0; i < w->n; i++) {
    double s = 0.0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) s += fabs(w->x[q]);
    if (s > m) m = s;
  }
  return m;
}

/* y = S x with S = D^1/2 W D^-1/2 (similar) */
static void s_mult(const spill__ldet *ld, const double *x, double *y)
{
  const spill_weights *w = ld->w;
  for (int64_t i = 0; i < w->n; i++) {
    double acc = 0.0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) acc += w->x[q] * x[w->j[q]] / ld->dh[w->j[q]];
    y[i] = acc * ld->dh[i];
  }
}

/* Extreme eigenvalues of the symmetric S by Lanczos with full
 * reorthogonalisation (Golub and Van Loan 2013, sec. 10.1); the Ritz values
 * of the tridiagonal (LAPACK dstev) converge first at the ends. */
static int lanczos_extremes(spill_ctx *ctx, spill__ldet *ld, double *lmin, double *lmax)
{
  int64_t n = ld->n;
  int m = n < 40 ? (int)n : 40, steps = 0, info = 0, one = 1;
  double *v = NULL, *alpha = NULL, *beta = NULL, *u = NULL, *work = NULL, dummy = 0;
  int rc = SPILL_ENOMEM;
  spill_rng rng;
  v = spill__malloc(ctx, (size_t)(m + 1) * (size_t)n * sizeof *v);
  alpha = spill__malloc(ctx, (size_t)m * sizeof *alpha);
  beta = spill__malloc(ctx, (size_t)m * sizeof *beta);
  u = spill__malloc(ctx, (size_t)n * sizeof *u);
  work = spill__malloc(ctx, (size_t)(2 * m) * sizeof *work);
  if (!v || !alpha || !beta || !u || !work) goto done;
  spill_rng_seed(&rng, 12345);
  {
    double nrm = 0.0;
    for (int64_t i = 0; i < n; i++) {
      v[i] = spill_rng_uniform(&rng) - 0.5;
      nrm += v[i] * v[i];
    }
    nrm = sqrt(nrm);
    for (int64_t i = 0; i < n; i++) v[i] /= nrm;
  }
  for (int k = 0; k < m; k++) {
    double *vk = v + (size_t)k * (size_t)n, *vn = v + (size_t)(k + 1) * (size_t)n, a = 0, b = 0;
    s_mult(ld, vk, u);
    for (int64_t i = 0; i < n; i++) a += u[i] * vk[i];
    alpha[k] = a;
    steps = k + 1;
    for (int pass = 0; pass < 1; pass++) /* one pass: only the ends are wanted */
      for (int j = 0; j <= k; j++) {
        const double *vj = v + (size_t)j * (size_t)n;
        double h = 0;
        for (int64_t i = 0; i < n; i++) h += u[i] * vj[i];
        for (int64_t i = 0; i < n; i++) u[i] -= h * vj[i];
      }
    for (int64_t i = 0; i < n; i++) b += u[i] * u[i];
    b = sqrt(b);
    if (k + 1 == m || b < 1e-12) break;
    beta[k] = b;
    for (int64_t i = 0; i < n; i++) vn[i] = u[i] / b;
  }
  dstev_("N", &steps, alpha, beta, &dummy, &one, work, &info);
  if (info) {
    rc = spill__fail(ctx, SPILL_ENUM, "Lanczos: LAPACK dstev failed (info %d)", info);
    goto done;
  }
  *lmin = alpha[0];
  *lmax = alpha[steps - 1];
  rc = SPILL_OK;
done:
  free(v);
  free(alpha);
  free(beta);
  free(u);
  free(work);
  return rc;
}

/* ---- set-up per method ---- */

static int setup_eigen(spill_ctx *ctx, spill__ldet *ld)
{
  int n = (int)ld->n, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double *a = NULL, wq = 0, *work = NULL;
  int *iwork = NULL, rc = SPILL_ENOMEM;
  const spill_weights *w = ld->w;
  if (ld->n > DENSE_MAX_N)
    return spill__fail(ctx, SPILL_ENOMEM, "--logdet eigen holds W as a dense %lld x %lld matrix, %.1f GB "
                       "here (and as much again for the variance): above %d units use chol, cheb or lu",
                       (long long)ld->n, (long long)ld->n, 8e-9 * (double)ld->n * (double)ld->n, DENSE_MAX_N);
  /* W dense, the eigen-solver's workspace and, for a non-symmetric W, its copy */
  if (spill__mem_request(ctx, 3.0 * (double)n * (double)n * sizeof *a, "the eigenvalues of the dense n x n W",
                         "use --logdet chol (symmetric W) or lu"))
    return SPILL_ENOMEM;
  a = spill__calloc(ctx, (size_t)n * (size_t)n, sizeof *a);
  ld->ev_re = spill__malloc(ctx, (size_t)n * sizeof *ld->ev_re);
  if (!a || !ld->ev_re) goto done;
  for (int64_t i = 0; i < w->n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      double v = w->x[q];
      if (ld->similar) v *= ld->dh[i] / ld->dh[w->j[q]];
      a[(size_t)w->j[q] * (size_t)n + (size_t)i] = v; /* column-major */
    }
  if (ld->similar) {
    dsyevd_("N", "U", &n, a, &n, ld->ev_re, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
    iwork = spill__malloc(ctx, (size_t)liwork * sizeof *iwork);
    if (!work || !iwork) goto done;
    dsyevd_("N", "U", &n, a, &n, ld->ev_re, work, &lwork, iwork, &liwork, &info);
  } else {
    int one = 1;
    ld->ev_im = spill__malloc(ctx, (size_t)n * sizeof *ld->ev_im);
    if (!ld->ev_im) goto done;
    dgeev_("N", "N", &n, a, &n, ld->ev_re, ld->ev_im, NULL, &one, NULL, &one, &wq, &lwork, &info);
    lwork = (int)wq + 1;
    work = spill__malloc(ctx, (size_t)lwork * sizeof *work);
    if (!work) goto done;
    dgeev_("N", "N", &n, a, &n, ld->ev_re, ld->ev_im, NULL, &one, NULL, &one, work, &lwork, &info);
  }
  if (info) {
    rc = spill__fail(ctx, SPILL_ENUM, "eigenvalues of W: LAPACK %s failed (info %d)",
                     ld->similar ? "dsyevd" : "dgeev", info);
    goto done;
  }
  {
    double mn = 0.0, mx = 0.0, rad = 0.0;
    for (int i = 0; i < n; i++) {
      double re = ld->ev_re[i], im = ld->ev_im ? ld->ev_im[i] : 0.0, mod = hypot(re, im);
      if (mod > rad) rad = mod;
      if (fabs(im) <= 1e-10 * (1.0 + fabs(re))) {
        if (re < mn) mn = re;
        if (re > mx) mx = re;
      }
    }
    if (rad == 0.0) rad = 1.0;
    ld->lo = mn < 0.0 ? 1.0 / mn : -1.0 / rad;
    ld->hi = mx > 0.0 ? 1.0 / mx : 1.0 / rad;
  }
  rc = SPILL_OK;
done:
  free(a);
  free(work);
  free(iwork);
  return rc;
}

static int setup_chol(spill_ctx *ctx, spill__ldet *ld)
{
  const spill_weights *w = ld->w;
  int64_t n = w->n, nz = 0, *cp, *ci;
  double lmin, lmax;
  int rc;
  if (!(ld->cc = spill__cholmod(ctx))) return ctx->status;
  /* upper triangle of the symmetric S with the diagonal, column j from row
   * j of W (S symmetric): entries (i, j) with i < j are S(j, i) = S(i, j) */
  for (int64_t j = 0; j < n; j++)
    for (int64_t q = w->p[j]; q < w->p[j + 1]; q++) nz += w->j[q] < j;
  nz += n;
  ld->A = cholmod_l_allocate_sparse((size_t)n, (size_t)n, (size_t)nz, 1, 1, 1, CHOLMOD_REAL, ld->cc);
  ld->s_val = spill__malloc(ctx, (size_t)nz * sizeof *ld->s_val);
  ld->s_diag = spill__malloc(ctx, (size_t)n * sizeof *ld->s_diag);
  if (!ld->A || !ld->s_val || !ld->s_diag)
    return spill__fail(ctx, SPILL_ENOMEM, "out of memory building I - rho W for CHOLMOD");
  cp = ld->A->p;
  ci = ld->A->i;
  nz = 0;
  for (int64_t j = 0; j < n; j++) {
    cp[j] = nz;
    for (int64_t q = w->p[j]; q < w->p[j + 1]; q++) {
      int64_t i = w->j[q];
      if (i >= j) continue;
      ci[nz] = i;
      ld->s_val[nz++] = w->x[q] * ld->dh[j] / ld->dh[i]; /* S(j,i) = d_j^1/2 w_ji d_i^-1/2 */
    }
    ci[nz] = j;
    ld->s_diag[j] = nz;
    ld->s_val[nz++] = wentry(w, j, j);
  }
  cp[n] = nz;
  for (int64_t q = 0; q < nz; q++) ((double *)ld->A->x)[q] = -0.0 * ld->s_val[q];
  for (int64_t j = 0; j < n; j++) ((double *)ld->A->x)[ld->s_diag[j]] = 1.0;
  ld->L = cholmod_l_analyze(ld->A, ld->cc);
  if (!ld->L) return spill__fail(ctx, SPILL_EDEP, "CHOLMOD analysis of I - rho W failed (status %d)", ld->cc->status);
  ld->L_rho = NAN;
  if (spill__ldet_is_row_std(w)) {
    if ((rc = lanczos_extremes(ctx, ld, &lmin, &lmax))) return rc;
    lmax = 1.0; /* the largest eigenvalue of a row-standardised W */
  } else if ((rc = lanczos_extremes(ctx, ld, &lmin, &lmax))) {
    return rc;
  }
  ld->lo = lmin < 0 ? 1.0 / lmin : -1.0 / spill__ldet_abs_rowsum(w);
  ld->hi = lmax > 0 ? 1.0 / lmax : 1.0 / spill__ldet_abs_rowsum(w);
  /* Ritz values lie inside the spectrum, and |lambda| <= max row sum of |W| */
  if (ld->lo < -1.0 / spill__ldet_abs_rowsum(w)) ld->lo = -1.0 / spill__ldet_abs_rowsum(w);
  return SPILL_OK;
}

static int setup_lu(spill_ctx *ctx, spill__ldet *ld)
{
  const spill_weights *w = ld->w;
  int64_t n = w->n, nz = 0;
  double info[UMFPACK_INFO], r;
  int64_t status;
  ld->up = spill__malloc(ctx, (size_t)(n + 1) * sizeof *ld->up);
  ld->ui = spill__malloc(ctx, (size_t)(w->p[n] + n) * sizeof *ld->ui);
  ld->ux = spill__malloc(ctx, (size_t)(w->p[n] + n) * sizeof *ld->ux);
  ld->w_val = spill__malloc(ctx, (size_t)(w->p[n] + n) * sizeof *ld->w_val);
  ld->u_diag = spill__malloc(ctx, (size_t)n * sizeof *ld->u_diag);
  if (!ld->up || !ld->ui || !ld->ux || !ld->w_val || !ld->u_diag) return ctx->status;
  /* rows of I - rho W with the diagonal merged in, columns sorted */
  for (int64_t i = 0; i < n; i++) {
    int placed = 0;
    ld->up[i] = nz;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      int64_t j = w->j[q];
      if (!placed && j >= i) {
        ld->ui[nz] = i;
        ld->w_val[nz] = j == i ? w->x[q] : 0.0;
        ld->u_diag[i] = nz++;
        placed = 1;
        if (j == i) continue;
      }
      ld->ui[nz] = j;
      ld->w_val[nz++] = w->x[q];
    }
    if (!placed) {
      ld->ui[nz] = i;
      ld->w_val[nz] = 0.0;
      ld->u_diag[i] = nz++;
    }
  }
  ld->up[n] = nz;
  for (int64_t q = 0; q < nz; q++) ld->ux[q] = 0.0;
  for (int64_t i = 0; i < n; i++) ld->ux[ld->u_diag[i]] = 1.0;
  status = umfpack_dl_symbolic(n, n, (const SuiteSparse_long *)ld->up,
                               (const SuiteSparse_long *)ld->ui, ld->ux, &ld->sym, NULL, info);
  if (status != UMFPACK_OK)
    return spill__fail(ctx, SPILL_EDEP, "UMFPACK symbolic analysis of I - rho W failed (status %ld)", (long)status);
  ld->num_rho = NAN;
  /* conservative interval: |lambda| <= max row sum of |W| (Gershgorin); for
   * a row-standardised W that is (-1, 1), a subset of the feasible interval
   * as in splm's default for LU */
  r = spill__ldet_abs_rowsum(w);
  if (r <= 0) r = 1.0;
  ld->lo = -1.0 / r;
  ld->hi = 1.0 / r;
  return SPILL_OK;
}

spill__ldet *spill__ldet_new(spill_ctx *ctx, const spill_weights *w, spill_logdet method)
{
  spill__ldet *ld = spill__calloc(ctx, 1, sizeof *ld);
  int rc, auto_pick = method == SPILL_LOGDET_AUTO;
  if (!ld) return NULL;
  ld->n = w->n;
  ld->w = w;
  ld->similar = find_similarity(ctx, w, &ld->dh);
  if (ld->similar < 0) goto fail;
  ld->traces = 0;
  ld->seed = 1;
  if (method == SPILL_LOGDET_AUTO)
    method = w->n <= EIGEN_MAX_N ? SPILL_LOGDET_EIGEN : ld->similar ? SPILL_LOGDET_CHOL : SPILL_LOGDET_LU;
  if ((method == SPILL_LOGDET_CHOL || method == SPILL_LOGDET_CHEB) && !ld->similar) {
    spill__fail(ctx, SPILL_EINVAL,
                "the %s log-determinant needs W similar to a symmetric matrix (W = D^-1 B, B "
                "symmetric, e.g. row-standardised contiguity); this W is not: use lu or eigen",
                method == SPILL_LOGDET_CHOL ? "Cholesky" : "Chebyshev");
    goto fail;
  }
  ld->method = method == SPILL_LOGDET_CHEB ? SPILL_LOGDET_CHOL : method;
  rc = method == SPILL_LOGDET_EIGEN ? setup_eigen(ctx, ld)
     : method == SPILL_LOGDET_LU ? setup_lu(ctx, ld) : setup_chol(ctx, ld);
  if (rc) goto fail;
  /* auto: exact while factorisations are cheap, else the Chebyshev series */
  if (method == SPILL_LOGDET_CHEB || (auto_pick && method == SPILL_LOGDET_CHOL && ld->cc->fl > CHEB_MIN_FLOPS)) {
    ld->method = SPILL_LOGDET_CHEB;
    if ((rc = spill__cheb_setup(ctx, ld))) goto fail;
  }
  return ld;
fail:
  spill__ldet_free(ld);
  return NULL;
}

void spill__ldet_free(spill__ldet *ld)
{
  if (!ld) return;
  free(ld->dh);
  free(ld->ev_re);
  free(ld->ev_im);
  if (ld->cc) {
    if (ld->A) cholmod_l_free_sparse(&ld->A, ld->cc);
    if (ld->L) cholmod_l_free_factor(&ld->L, ld->cc);
  }
  free(ld->s_val);
  free(ld->s_diag);
  if (ld->num) umfpack_dl_free_numeric(&ld->num);
  if (ld->sym) umfpack_dl_free_symbolic(&ld->sym);
  free(ld->up);
  free(ld->ui);
  free(ld->ux);
  free(ld->w_val);
  free(ld->u_diag);
  free(ld->cheb_t);
  free(ld->cheb_tr);
  free(ld);
}

void spill__ldet_interval(const spill__ldet *ld, double *lo, double *hi)
{
  *lo = ld->lo;
  *hi = ld->hi;
}

spill_logdet spill__ldet_method(const spill__ldet *ld) { return ld->method; }
const spill_weights *spill__ldet_weights(const spill__ldet *ld) { return ld->w; }

const char *spill__ldet_name(const spill__ldet *ld)
{
  switch (ld->method) {
  case SPILL_LOGDET_EIGEN: return "eigen";
  case SPILL_LOGDET_CHOL: return "chol";
  case SPILL_LOGDET_CHEB: return "cheb";
  default: return "lu";
  }
}

/* ---- per rho ---- */

int spill__ldet_chol_factor(spill_ctx *ctx, spill__ldet *ld, double rho, int *posdef)
{
  double *ax = ld->A->x;
  *posdef = 1;
  if (ld->L_rho == rho) return SPILL_OK;
  for (int64_t q = 0; q < (int64_t)ld->A->nzmax; q++) ax[q] = -rho * ld->s_val[q];
  for (int64_t j = 0; j < ld->n; j++) ax[ld->s_diag[j]] = 1.0 - rho * ld->s_val[ld->s_diag[j]];
  ld->L_rho = NAN;
  if (!cholmod_l_factorize(ld->A, ld->L, ld->cc) || ld->cc->status < CHOLMOD_OK)
    return spill__fail(ctx, SPILL_EDEP, "CHOLMOD factorisation of I - rho W failed (status %d)", ld->cc->status);
  if (ld->cc->status == CHOLMOD_NOT_POSDEF || (int64_t)ld->L->minor < ld->n) {
    *posdef = 0;
    return SPILL_OK;
  }
  ld->L_rho = rho;
  return SPILL_OK;
}

static double chol_logdet(const cholmod_factor *L)
{
  double s = 0.0;
  const double *x = L->x;
  if (L->is_super) {
    const int64_t *super = L->super, *pi = L->pi, *px = L->px;
    for (size_t k = 0; k < L->nsuper; k++) {
      int64_t k1 = super[k], k2 = super[k + 1], nsrow = pi[k + 1] - pi[k];
      for (int64_t jj = 0; jj < k2 - k1; jj++) s += 2.0 * log(x[px[k] + jj * nsrow + jj]);
    }
  } else {
    const int64_t *p = L->p;
    for (size_t j = 0; j < L->n; j++) s += L->is_ll ? 2.0 * log(x[p[j]]) : log(x[p[j]]);
  }
  return s;
}

static int lu_factor(spill_ctx *ctx, spill__ldet *ld, double rho, int *ok)
{
  double info[UMFPACK_INFO];
  int64_t status, nz = ld->up[ld->n];
  *ok = 1;
  if (ld->num && ld->num_rho == rho) return SPILL_OK;
  if (ld->num) umfpack_dl_free_numeric(&ld->num);
  ld->num = NULL;
  for (int64_t q = 0; q < nz; q++) ld->ux[q] = -rho * ld->w_val[q];
  for (int64_t i = 0; i < ld->n; i++) ld->ux[ld->u_diag[i]] += 1.0;
  status = umfpack_dl_numeric((const SuiteSparse_long *)ld->up, (const SuiteSparse_long *)ld->ui,
                              ld->ux, ld->sym, &ld->num, NULL, info);
  if (status == UMFPACK_WARNING_singular_matrix) {
    *ok = 0;
    return SPILL_OK;
  }
  if (status != UMFPACK_OK)
    return spill__fail(ctx, SPILL_EDEP, "UMFPACK factorisation of I - rho W failed (status %ld)", (long)status);
  ld->num_rho = rho;
  return SPILL_OK;
}

int spill__ldet_eval(spill_ctx *ctx, spill__ldet *ld, double rho, double *out)
{
  if (ld->method == SPILL_LOGDET_CHEB) {
    double d;
    if (!(rho > ld->lo && rho < ld->hi)) *out = -INFINITY;
    else spill__cheb_eval(ld, rho, out, &d);
    return SPILL_OK;
  }
  return spill__ldet_exact_eval(ctx, ld, rho, out);
}

int spill__ldet_exact_eval(spill_ctx *ctx, spill__ldet *ld, double rho, double *out)
{
  int ok, rc;
  if (ld->method == SPILL_LOGDET_EIGEN) {
    double s = 0.0;
    for (int64_t i = 0; i < ld->n; i++) {
      double re = 1.0 - rho * ld->ev_re[i], im = ld->ev_im ? -rho * ld->ev_im[i] : 0.0;
      if (!ld->ev_im) {
        if (re <= 0) {
          *out = -INFINITY;
          return SPILL_OK;
        }
        s += log(re);
      } else {
        s += 0.5 * log(re * re + im * im); /* ln|1 - rho lambda| (conjugate pairs) */
      }
    }
    *out = s;
    return SPILL_OK;
  }
  if (IS_CHOL(ld)) {
    if ((rc = spill__ldet_chol_factor(ctx, ld, rho, &ok))) return rc;
    *out = ok ? chol_logdet(ld->L) : -INFINITY;
    return SPILL_OK;
  }
  if ((rc = lu_factor(ctx, ld, rho, &ok))) return rc;
  if (!ok) {
    *out = -INFINITY;
    return SPILL_OK;
  }
  {
    double mx = 0, ex = 0, info[UMFPACK_INFO];
    int64_t status = umfpack_dl_get_determinant(&mx, &ex, ld->num, info);
    if (status != UMFPACK_OK && status != UMFPACK_WARNING_singular_matrix)
      return spill__fail(ctx, SPILL_EDEP, "UMFPACK determinant failed (status %ld)", (long)status);
    *out = mx > 0 ? log(mx) + ex * log(10.0) : -INFINITY; /* det = mx 10^ex */
  }
  return SPILL_OK;
}

/* Dense LU solve (I - rho W) X = B (or its transpose) for the eigen method. */
static int dense_solve(spill_ctx *ctx, const spill__ldet *ld, double rho, int trans, double *b,
                       int64_t m)
{
  int n = (int)ld->n, nrhs = (int)m, info = 0, *ipiv = NULL, rc = SPILL_ENOMEM;
  double *a = NULL;
  const spill_weights *w = ld->w;
  if (spill__mem_request(ctx, (double)n * (double)n * sizeof *a, "a dense LU of the n x n I - rho W",
                         "use --logdet chol or lu"))
    return SPILL_ENOMEM;
  a = spill__calloc(ctx, (size_t)n * (size_t)n, sizeof *a);
  ipiv = spill__malloc(ctx, (size_t)n * sizeof *ipiv);
  if (!a || !ipiv) goto done;
  for (int64_t i = 0; i < n; i++) {
    a[(size_t)i * (size_t)n + (size_t)i] = 1.0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      size_t r = (size_t)i, c = (size_t)w->j[q];
      a[(trans ? r * (size_t)n + c : c * (size_t)n + r)] -= rho * w->x[q];
    }
  }
  dgesv_(&n, &nrhs, a, &n, ipiv, b, &n, &info);
  rc = info ? spill__fail(ctx, SPILL_ENUM, "I - rho W is singular at rho = %g", rho) : SPILL_OK;
done:
  free(a);
  free(ipiv);
  return rc;
}

int spill__ldet_prepare(spill_ctx *ctx, spill__ldet *ld, double rho)
{
  int ok = 1, rc;
  if (ld->method == SPILL_LOGDET_EIGEN) return SPILL_OK;
  rc = IS_CHOL(ld) ? spill__ldet_chol_factor(ctx, ld, rho, &ok) : lu_factor(ctx, ld, rho, &ok);
  if (rc) return rc;
  return ok ? SPILL_OK : spill__fail(ctx, SPILL_ENUM, "I - rho W is singular at rho = %g", rho);
}

spill__ldet *spill__ldet_twin(spill_ctx *ctx, const spill__ldet *ld)
{
  spill__ldet *tw = spill__calloc(ctx, 1, sizeof *tw);
  int64_t n = ld->n;
  if (!tw) return NULL;
  tw->method = IS_CHOL(ld) ? SPILL_LOGDET_CHOL : ld->method;
  tw->n = n;
  tw->w = ld->w;
  tw->similar = ld->similar;
  tw->lo = ld->lo;
  tw->hi = ld->hi;
  tw->traces = ld->traces;
  tw->seed = ld->seed;
  tw->L_rho = tw->num_rho = NAN;
  if (ld->dh) {
    if (!(tw->dh = spill__malloc(ctx, (size_t)n * sizeof *tw->dh))) goto fail;
    memcpy(tw->dh, ld->dh, (size_t)n * sizeof *tw->dh);
  }
  if (ld->method == SPILL_LOGDET_EIGEN) return tw; /* dense solves need nothing kept */
  if (IS_CHOL(ld)) { /* the pattern and the symbolic factor copied: no new analysis */
    size_t nz = ld->A->nzmax;
    tw->cc = ld->cc;
    tw->A = cholmod_l_copy_sparse(ld->A, tw->cc);
    tw->L = cholmod_l_copy_factor(ld->L, tw->cc);
    tw->s_val = spill__malloc(ctx, nz * sizeof *tw->s_val);
    tw->s_diag = spill__malloc(ctx, (size_t)n * sizeof *tw->s_diag);
    if (!tw->A || !tw->L || !tw->s_val || !tw->s_diag) {
      spill__fail(ctx, SPILL_ENOMEM, "out of memory copying the factorisation of I - rho W");
      goto fail;
    }
    memcpy(tw->s_val, ld->s_val, nz * sizeof *tw->s_val);
    memcpy(tw->s_diag, ld->s_diag, (size_t)n * sizeof *tw->s_diag);
    return tw;
  }
  if (setup_lu(ctx, tw)) goto fail;
  tw->lo = ld->lo;
  tw->hi = ld->hi;
  return tw;
fail:
  spill__ldet_free(tw);
  return NULL;
}

int spill__ldet_solve(spill_ctx *ctx, spill__ldet *ld, double rho, const double *b, int64_t m,
                      double *x)
{
  return spill__ldet_solve_t(ctx, ld, rho, 0, b, m, x);
}

int spill__ldet_solve_t(spill_ctx *ctx, spill__ldet *ld, double rho, int trans, const double *b,
                        int64_t m, double *x)
{
  int64_t n = ld->n;
  int ok, rc;
  if (ld->method == SPILL_LOGDET_EIGEN) {
    memcpy(x, b, (size_t)(n * m) * sizeof *x);
    return dense_solve(ctx, ld, rho, trans, x, m);
  }
  if (IS_CHOL(ld)) {
    /* (I - rho W) = D^-1/2 (I - rho S) D^1/2: x = D^-1/2 (I - rho S)^-1 D^1/2 b,
     * and for the transpose x = D^1/2 (I - rho S)^-1 D^-1/2 b */
    /* the solve uses the calling context's own common (a worker thread's
     * differs from ld->cc): the factor itself is only read */
    cholmod_dense *B, *X;
    cholmod_common *cc;
    if ((rc = spill__ldet_chol_factor(ctx, ld, rho, &ok))) return rc;
    if (!ok) return spill__fail(ctx, SPILL_ENUM, "I - rho W is not invertible at rho = %g", rho);
    if (!(cc = spill__cholmod(ctx))) return ctx->status;
    B = cholmod_l_allocate_dense((size_t)n, (size_t)m, (size_t)n, CHOLMOD_REAL, cc);
    if (!B) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a CHOLMOD solve");
    for (int64_t c = 0; c < m; c++)
      for (int64_t i = 0; i < n; i++)
        ((double *)B->x)[c * n + i] = trans ? b[c * n + i] / ld->dh[i] : b[c * n + i] * ld->dh[i];
    X = cholmod_l_solve(CHOLMOD_A, ld->L, B, cc);
    cholmod_l_free_dense(&B, cc);
    if (!X) return spill__fail(ctx, SPILL_EDEP, "CHOLMOD solve failed (status %d)", cc->status);
    for (int64_t c = 0; c < m; c++)
      for (int64_t i = 0; i < n; i++)
        x[c * n + i] = trans ? ((double *)X->x)[c * n + i] * ld->dh[i] : ((double *)X->x)[c * n + i] / ld->dh[i];
    cholmod_l_free_dense(&X, cc);
    return SPILL_OK;
  }
  if ((rc = lu_factor(ctx, ld, rho, &ok))) return rc;
  if (!ok) return spill__fail(ctx, SPILL_ENUM, "I - rho W is singular at rho = %g", rho);
  for (int64_t c = 0; c < m; c++) {
    double info[UMFPACK_INFO];
    /* UMFPACK holds (I - rho W)' in compressed columns: A x = b is its transposed system */
    int64_t status = umfpack_dl_solve(trans ? UMFPACK_A : UMFPACK_At, (const SuiteSparse_long *)ld->up,
                                      (const SuiteSparse_long *)ld->ui, ld->ux, x + c * n,
                                      b + c * n, ld->num, NULL, info);
    if (status != UMFPACK_OK)
      return spill__fail(ctx, SPILL_EDEP, "UMFPACK solve failed (status %ld)", (long)status);
  }
  return SPILL_OK;
}

/* The exact traces by blocks of columns on the context's threads: block b
 * always holds the same columns and its sums go to part[3b..3b+2], added in
 * block order afterwards, so the traces do not depend on the thread count.
 * Cholesky: S~ = (I - rho S)^-1 S is symmetric and G = D^-1/2 S~ D^1/2, so
 * tr G = tr S~, tr G^2 = sum S~_ij^2, tr G'G = sum S~_ij^2 d_j / d_i.
 * LU: g = G e_j = A^-1 W e_j and h = G' e_j = W' A^-T e_j;
 * tr G^2 = sum_j h'g, tr G'G = sum_j g'g (nothing n x n kept). */
typedef struct exact_job {
  spill__ldet *ld;
  double rho, *part;
  int64_t nblk, bs;
} exact_job;

static int exact_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  exact_job *jb = user;
  spill__ldet *ld = jb->ld;
  const spill_weights *w = ld->w;
  int64_t n = ld->n;
  double *e = NULL, *g = NULL, *h = NULL, *u = NULL;
  cholmod_common *cc = NULL;
  int rc = SPILL_OK;
  if (IS_CHOL(ld)) {
    if (!(cc = spill__cholmod(ctx))) return ctx->status;
  } else {
    e = spill__calloc(ctx, (size_t)n, sizeof *e);
    g = spill__malloc(ctx, (size_t)n * sizeof *g);
    h = spill__malloc(ctx, (size_t)n * sizeof *h);
    u = spill__malloc(ctx, (size_t)n * sizeof *u);
    if (!e || !g || !h || !u) rc = SPILL_ENOMEM;
  }
  for (int64_t b = thread; b < jb->nblk && !rc; b += nthreads) {
    int64_t j0 = b * jb->bs, bs = n - j0 < jb->bs ? n - j0 : jb->bs;
    double *tr = jb->part + 3 * b;
    tr[0] = tr[1] = tr[2] = 0.0;
    if (IS_CHOL(ld)) {
      cholmod_dense *B = cholmod_l_zeros((size_t)n, (size_t)bs, CHOLMOD_REAL, cc), *X;
      const double *xx;
      if (!B) {
        rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory in a CHOLMOD solve");
        break;
      }
      for (int64_t c = 0; c < bs; c++) { /* column j of S = row j of S */
        int64_t j = j0 + c;
        for (int64_t q = w->p[j]; q < w->p[j + 1]; q++)
          ((double *)B->x)[c * n + w->j[q]] = w->x[q] * ld->dh[j] / ld->dh[w->j[q]];
      }
      X = cholmod_l_solve(CHOLMOD_A, ld->L, B, cc);
      cholmod_l_free_dense(&B, cc);
      if (!X) {
        rc = spill__fail(ctx, SPILL_EDEP, "CHOLMOD solve failed (status %d)", cc->status);
        break;
      }
      xx = X->x;
      for (int64_t c = 0; c < bs; c++) {
        int64_t j = j0 + c;
        double dj = ld->dh[j] * ld->dh[j];
        tr[0] += xx[c * n + j];
        for (int64_t i = 0; i < n; i++) {
          double s = xx[c * n + i];
          s *= s;
          tr[1] += s;
          tr[2] += s * dj / (ld->dh[i] * ld->dh[i]);
        }
      }
      cholmod_l_free_dense(&X, cc);
    } else {
      for (int64_t j = j0; j < j0 + bs && !rc; j++) {
        e[j] = 1.0;
        spill__wmul(w, e, u);
        if (!(rc = spill__ldet_solve_t(ctx, ld, jb->rho, 0, u, 1, g)) &&
            !(rc = spill__ldet_solve_t(ctx, ld, jb->rho, 1, e, 1, u))) {
          spill__wtmul(w, u, h);
          tr[0] += g[j];
          for (int64_t i = 0; i < n; i++) {
            tr[1] += h[i] * g[i];
            tr[2] += g[i] * g[i];
          }
        }
        e[j] = 0.0;
      }
    }
    if (thread == 0) spill__progress(ctx, "variance: exact traces", (double)(b + 1) / (double)jb->nblk);
  }
  free(e);
  free(g);
  free(h);
  free(u);
  return rc;
}

/* The SAC's eight exact traces with Cholesky factors at rho (ld) and lambda
 * (tw): with S~r = (I - rho S)^-1 S and S~l = (I - lambda S)^-1 S, both
 * symmetric, G = D^-1/2 S~r D^1/2 and H = D^-1/2 S~l D^1/2, so tr(X'Y) and
 * tr(XY) are sums over the entries of the two solves of the same columns:
 * tr HG = sum S~l_ij S~r_ij, tr H'G = sum S~l_ij S~r_ij d_i/d_j (d = dh^2),
 * as spill__ldet_traces does for G alone: two solves per block, not four. */
typedef struct sac_exact_job {
  spill__ldet *ld, *tw;
  double *part; /* nblk x 8 */
  int64_t nblk;
} sac_exact_job;

static int sac_exact_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  sac_exact_job *jb = user;
  spill__ldet *ld = jb->ld;
  const spill_weights *w = ld->w;
  int64_t n = ld->n;
  cholmod_common *cc = spill__cholmod(ctx);
  if (!cc) return ctx->status;
  for (int64_t b = thread; b < jb->nblk; b += nthreads) {
    int64_t j0 = b * BLOCK, bs = n - j0 < BLOCK ? n - j0 : BLOCK;
    double *t = jb->part + 8 * b;
    cholmod_dense *B = cholmod_l_zeros((size_t)n, (size_t)bs, CHOLMOD_REAL, cc), *X, *Y;
    const double *xr, *xl;
    for (int a = 0; a < 8; a++) t[a] = 0.0;
    if (!B) return spill__fail(ctx, SPILL_ENOMEM, "out of memory in a CHOLMOD solve");
    for (int64_t c = 0; c < bs; c++) {
      int64_t j = j0 + c;
      for (int64_t q = w->p[j]; q < w->p[j + 1]; q++)
        ((double *)B->x)[c * n + w->j[q]] = w->x[q] * ld->dh[j] / ld->dh[w->j[q]];
    }
    X = cholmod_l_solve(CHOLMOD_A, ld->L, B, cc);
    Y = X ? cholmod_l_solve(CHOLMOD_A, jb->tw->L, B, cc) : NULL;
    cholmod_l_free_dense(&B, cc);
    if (!X || !Y) {
      cholmod_l_free_dense(&X, cc);
      return spill__fail(ctx, SPILL_EDEP, "CHOLMOD solve failed (status %d)", cc->status);
    }
    xr = X->x;
    xl = Y->x;
    for (int64_t c = 0; c < bs; c++) {
      int64_t j = j0 + c;
      double dj = ld->dh[j] * ld->dh[j];
      t[0] += xr[c * n + j];
      t[3] += xl[c * n + j];
      for (int64_t i = 0; i < n; i++) {
        double r = xr[c * n + i], l = xl[c * n + i], f = dj / (ld->dh[i] * ld->dh[i]);
        t[1] += r * r;
        t[2] += r * r * f;
        t[4] += l * l;
        t[5] += l * l * f;
        t[6] += l * r;
        t[7] += l * r * f;
      }
    }
    cholmod_l_free_dense(&X, cc);
    cholmod_l_free_dense(&Y, cc);
  }
  return SPILL_OK;
}

int spill__ldet_sac_traces(spill_ctx *ctx, spill__ldet *ld, spill__ldet *tw, double rho, double lambda,
                           double t[8])
{
  sac_exact_job jb = {ld, tw, NULL, 0};
  int rc, th;
  if (!IS_CHOL(ld) || !IS_CHOL(tw)) return 1; /* not this route */
  if ((rc = spill__ldet_prepare(ctx, ld, rho)) || (rc = spill__ldet_prepare(ctx, tw, lambda))) return rc;
  jb.nblk = (ld->n + BLOCK - 1) / BLOCK;
  if (!(jb.part = spill__malloc(ctx, (size_t)jb.nblk * 8 * sizeof *jb.part))) return SPILL_ENOMEM;
  th = spill__thread_count(ctx, ld->n * ld->n / 64);
  if (th > jb.nblk) th = (int)jb.nblk;
  rc = spill__run_parallel(ctx, th, sac_exact_task, &jb);
  for (int a = 0; a < 8; a++) t[a] = 0.0;
  for (int64_t b = 0; b < jb.nblk && !rc; b++)
    for (int a = 0; a < 8; a++) t[a] += jb.part[8 * b + a];
  free(jb.part);
  return rc;
}

/* G = W (I - rho W)^-1 = (I - rho W)^-1 W: its columns solve (I - rho W) g = W e_j. */
int spill__ldet_traces(spill_ctx *ctx, spill__ldet *ld, double rho, const double *v, int64_t m,
                       double *gv, double tr[3])
{
  int64_t n = ld->n;
  const spill_weights *w = ld->w;
  double *blk = NULL, *sol = NULL, *tmp = NULL;
  int rc = SPILL_ENOMEM;
  tr[0] = tr[1] = tr[2] = 0.0;
  if (ld->method == SPILL_LOGDET_EIGEN) {
    /* dense G = (I - rho W)^-1 W (n <= DENSE_MAX_N for this method) */
    double *g;
    if (spill__mem_request(ctx, (double)n * (double)n * sizeof *g, "the dense n x n G = W (I - rho W)^-1",
                           "use --logdet chol (symmetric W)"))
      return SPILL_ENOMEM;
    g = spill__calloc(ctx, (size_t)n * (size_t)n, sizeof *g);
    if (!g) return ctx->status;
    for (int64_t i = 0; i < n; i++)
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) g[w->j[q] * n + i] = w->x[q];
    rc = dense_solve(ctx, ld, rho, 0, g, n);
    if (!rc)
      for (int64_t j = 0; j < n; j++) {
        tr[0] += g[j * n + j];
        for (int64_t i = 0; i < n; i++) {
          double a = g[j * n + i];
          tr[1] += a * g[i * n + j];
          tr[2] += a * a;
        }
      }
    free(g);
    if (rc) return rc;
  } else {
    exact_job jb = {ld, rho, NULL, 0, IS_CHOL(ld) ? BLOCK : 64};
    int th;
    if ((rc = spill__ldet_prepare(ctx, ld, rho))) return rc; /* the workers only read the factor */
    jb.nblk = (n + jb.bs - 1) / jb.bs;
    if (!(jb.part = spill__malloc(ctx, (size_t)jb.nblk * 3 * sizeof *jb.part))) return SPILL_ENOMEM;
    th = spill__thread_count(ctx, n * n / 64);
    if (th > jb.nblk) th = (int)jb.nblk;
    rc = spill__run_parallel(ctx, th, exact_task, &jb);
    for (int64_t b = 0; b < jb.nblk && !rc; b++)
      for (int a = 0; a < 3; a++) tr[a] += jb.part[3 * b + a];
    free(jb.part);
    if (rc) return rc;
  }
  if (m > 0) { /* gv = W (I - rho W)^-1 v */
    sol = spill__malloc(ctx, (size_t)(n * m) * sizeof *sol);
    if (!sol) goto done;
    if ((rc = spill__ldet_solve(ctx, ld, rho, v, m, sol))) goto done;
    spill__wlag(w, sol, m, gv);
  }
  rc = SPILL_OK;
done:
  free(blk);
  free(sol);
  free(tmp);
  return rc;
}

/* tr G = -d/drho ln|I - rho W|: exact from the eigenvalues, else a central
 * difference of the exact sparse log-determinants (error O(h^2)). */
int spill__ldet_trace_g(spill_ctx *ctx, spill__ldet *ld, double rho, double *out)
{
  if (ld->method == SPILL_LOGDET_CHEB) {
    double v, d;
    spill__cheb_eval(ld, rho, &v, &d);
    *out = -d;
    return SPILL_OK;
  }
  if (ld->method == SPILL_LOGDET_EIGEN) {
    double s = 0.0;
    for (int64_t i = 0; i < ld->n; i++) {
      double re = ld->ev_re[i], im = ld->ev_im ? ld->ev_im[i] : 0.0;
      double dr = 1.0 - rho * re, di = -rho * im, den = dr * dr + di * di;
      s += (re * dr + im * di) / den; /* Re(lambda / (1 - rho lambda)) */
    }
    *out = s;
    return SPILL_OK;
  } else {
    double h = 1e-5, a, b;
    int rc = spill__ldet_eval(ctx, ld, rho + h, &a);
    if (!rc) rc = spill__ldet_eval(ctx, ld, rho - h, &b);
    if (rc) return rc;
    *out = -(a - b) / (2.0 * h);
    return SPILL_OK;
  }
}

int spill_logdet_eval(spill_ctx *ctx, const spill_weights *w, spill_logdet method, double rho,
                      double *out)
{
  spill__ldet *ld = spill__ldet_new(ctx, w, method);
  int rc;
  if (!ld) return ctx->status;
  rc = spill__ldet_eval(ctx, ld, rho, out);
  spill__ldet_free(ld);
  return rc;
}

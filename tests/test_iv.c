/* IV-2SLS: coefficients and cluster-robust SEs against a dense dummy-variable
 * 2SLS; Kleibergen-Paap rk statistics against a direct computation of the
 * Kleibergen and Paap (2006) formulas (symmetric square roots and the
 * eigenvectors of Theta Theta' and Theta'Theta instead of ranktest's
 * Cholesky roots and SVD: the statistic is invariant to both); the rk Wald F
 * with one instrument against the squared cluster-robust first-stage t;
 * Cragg-Donald against the conventional first-stage F; Hansen J against a
 * dense two-step GMM. */
#include "check.h"
#include "spill.h"

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);
extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, double *work, const int *lwork, int *info);
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
                    const int *lwork, int *info);
extern void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda, int *info);

/* ---- dense helpers: column-major m x k ---- */
static double *mat(size_t r, size_t c) { return calloc(r * c, sizeof(double)); }

/* Inverse by Gauss-Jordan with partial pivoting (independent of LAPACK). */
static int inv(double *a, size_t k)
{
  double *b = mat(k, k);
  for (size_t i = 0; i < k; i++) b[i + i * k] = 1.0;
  for (size_t c = 0; c < k; c++) {
    size_t piv = c;
    for (size_t r = c + 1; r < k; r++)
      if (fabs(a[r + c * k]) > fabs(a[piv + c * k])) piv = r;
    if (fabs(a[piv + c * k]) < 1e-300) {
      free(b);
      return -1;
    }
    for (size_t j = 0; j < k; j++) {
      double t = a[c + j * k];
      a[c + j * k] = a[piv + j * k];
      a[piv + j * k] = t;
      t = b[c + j * k];
      b[c + j * k] = b[piv + j * k];
      b[piv + j * k] = t;
    }
    double d = a[c + c * k];
    for (size_t j = 0; j < k; j++) {
      a[c + j * k] /= d;
      b[c + j * k] /= d;
    }
    for (size_t r = 0; r < k; r++) {
      if (r == c) continue;
      double f = a[r + c * k];
      if (f == 0.0) continue;
      for (size_t j = 0; j < k; j++) {
        a[r + j * k] -= f * a[c + j * k];
        b[r + j * k] -= f * b[c + j * k];
      }
    }
  }
  memcpy(a, b, k * k * sizeof *a);
  free(b);
  return 0;
}

/* C = A' B (A m x a, B m x b) */
static double *tmul(const double *A, size_t a, const double *B, size_t b, size_t m)
{
  double *c = mat(a, b);
  for (size_t i = 0; i < a; i++)
    for (size_t j = 0; j < b; j++)
      for (size_t r = 0; r < m; r++) c[i + j * a] += A[i * m + r] * B[j * m + r];
  return c;
}

/* C = A B (A m x p, B p x n) */
static double *mmul(const double *A, const double *B, size_t m, size_t p, size_t n)
{
  double *c = mat(m, n);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      for (size_t q = 0; q < p; q++) c[i + j * m] += A[i + q * m] * B[q + j * p];
  return c;
}

/* Hansen's J of two-step efficient GMM (Hansen 1982; ivreg2's J): with the
 * meat S (L x L, inverted in place) of the first-step residuals, b = (X'Z
 * S^-1 Z'X)^-1 X'Z S^-1 Z'y and J = e'Z S^-1 Z'e at e = y - X b. Z is m x L,
 * X m x K, y m x 1, column-major. */
static double gmm_j(double *S, const double *Z, const double *X, const double *y, size_t L, size_t K, size_t m)
{
  double *zx, *zy, *a, *h, *hv, *b, *e = mat(m, 1), *ze, j = 0;
  inv(S, L);
  zx = tmul(Z, L, X, K, m);
  zy = tmul(Z, L, y, 1, m);
  a = mat(K, L);
  for (size_t i = 0; i < K; i++)
    for (size_t c = 0; c < L; c++)
      for (size_t q = 0; q < L; q++) a[i + c * K] += zx[q + i * L] * S[q + c * L];
  h = mmul(a, zx, K, L, K);
  hv = mmul(a, zy, K, L, 1);
  inv(h, K);
  b = mmul(h, hv, K, K, 1);
  for (size_t q = 0; q < m; q++) {
    e[q] = y[q];
    for (size_t c = 0; c < K; c++) e[q] -= X[c * m + q] * b[c];
  }
  ze = tmul(Z, L, e, 1, m);
  for (size_t i = 0; i < L; i++)
    for (size_t c = 0; c < L; c++) j += ze[i] * S[i + c * L] * ze[c];
  free(zx);
  free(zy);
  free(a);
  free(h);
  free(hv);
  free(b);
  free(e);
  free(ze);
  return j;
}

/* Fitted values of Y (m x b) on X (m x a) */
static double *fitted(const double *X, size_t a, const double *Y, size_t b, size_t m)
{
  double *xx = tmul(X, a, X, a, m), *xy = tmul(X, a, Y, b, m), *c, *f;
  inv(xx, a);
  c = mmul(xx, xy, a, a, b);
  f = mmul(X, c, m, a, b);
  free(xx);
  free(xy);
  free(c);
  return f;
}

static double *resid(const double *X, size_t a, const double *Y, size_t b, size_t m)
{
  double *f = fitted(X, a, Y, b, m);
  for (size_t q = 0; q < m * b; q++) f[q] = Y[q] - f[q];
  return f;
}

/* symmetric eigen (ascending), a -> vectors */
static void eig(double *a, size_t k, double *w)
{
  int n = (int)k, lw = (int)(10 * k + 10), info;
  double *work = malloc((size_t)lw * sizeof *work);
  dsyev_("V", "U", &n, a, &n, w, work, &lw, &info);
  free(work);
}

static double *symroot(const double *a, size_t k, int inverse)
{
  double *v = mat(k, k), *w = malloc(k * sizeof *w), *o = mat(k, k);
  memcpy(v, a, k * k * sizeof *v);
  eig(v, k, w);
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++)
      for (size_t q = 0; q < k; q++)
        o[i + j * k] += v[i + q * k] * (inverse ? 1.0 / sqrt(w[q]) : sqrt(w[q])) * v[j + q * k];
  free(v);
  free(w);
  return o;
}

/* The KP rk statistic directly: X (m x k), Z (m x l) already partialled. */
static double kp_direct_w(const double *X, size_t k, const double *Z, size_t l, size_t m, const int *const *gs,
                          const int *Gs, const double *sg, int ng, int wald);
static double kp_direct(const double *X, size_t k, const double *Z, size_t l, size_t m, const int *g, int G, int wald)
{
  const int *gs[1] = {g};
  double one = 1.0;
  return kp_direct_w(X, k, Z, l, m, gs, &G, &one, 1, wald);
}

/* The same with the meat a signed sum over clusterings (two-way: S_1 + S_2 - S_12). */
static double kp_direct_w(const double *X, size_t k, const double *Z, size_t l, size_t m, const int *const *gs,
                          const int *Gs, const double *sg, int ng, int wald)
{
  size_t d = k * l, lq = l - k + 1;
  double *zz = tmul(Z, l, Z, l, m), *zx = tmul(Z, l, X, k, m), *xx = tmul(X, k, X, k, m);
  double *zzi = mat(l, l), *pi, *E, *F = symroot(zz, l, 0), *H = symroot(xx, k, 1), *T, *tmp;
  double *S = mat(d, d), *Vpi, *Kz = mat(d, d), *KF = mat(d, d), *VT, *tt, *w, *U2, *V2, *lam, *R, *om, stat = 0;
  memcpy(zzi, zz, l * l * sizeof *zzi);
  inv(zzi, l);
  pi = mmul(zzi, zx, l, l, k);
  E = resid(Z, l, X, k, m);
  if (!wald) memcpy(E, X, m * k * sizeof *E);
  for (int w = 0; w < ng; w++)
    for (int c = 0; c < Gs[w]; c++) {
      double *s = calloc(d, sizeof *s);
      for (size_t r = 0; r < m; r++)
        if (gs[w][r] == c)
          for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < l; i++) s[j * l + i] += Z[i * m + r] * E[j * m + r];
      for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) S[a + b * d] += sg[w] * s[a] * s[b];
      free(s);
    }
  for (size_t b = 0; b < k; b++)
    for (size_t i = 0; i < l; i++)
      for (size_t j = 0; j < l; j++) Kz[(b * l + i) + (b * l + j) * d] = zzi[i + j * l];
  tmp = mmul(Kz, S, d, d, d);
  Vpi = mmul(tmp, Kz, d, d, d);
  free(tmp);
  /* Theta = F pi H, vec Theta = (H' x F) vec pi */
  tmp = mmul(F, pi, l, l, k);
  T = mmul(tmp, H, l, k, k);
  free(tmp);
  for (size_t b = 0; b < k; b++)
    for (size_t i = 0; i < l; i++)
      for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < l; j++) KF[(b * l + i) + (c * l + j) * d] = H[c + b * k] * F[i + j * l];
  tmp = mmul(KF, Vpi, d, d, d);
  VT = mat(d, d);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      for (size_t r = 0; r < d; r++) VT[i + j * d] += tmp[i + r * d] * KF[j + r * d];
  free(tmp);
  /* U2: eigenvectors of T T' for the l - k + 1 smallest eigenvalues; V2: of T'T for the smallest */
  tt = mat(l, l);
  for (size_t i = 0; i < l; i++)
    for (size_t j = 0; j < l; j++)
      for (size_t c = 0; c < k; c++) tt[i + j * l] += T[i + c * l] * T[j + c * l];
  w = malloc((l + k) * sizeof *w);
  eig(tt, l, w);
  U2 = tt; /* first lq columns */
  V2 = tmul(T, k, T, k, l);
  eig(V2, k, w);
  /* lambda = U2' T v2 (lq), R = v2' x U2' (lq x d) */
  R = mat(lq, d);
  for (size_t j = 0; j < lq; j++)
    for (size_t c = 0; c < k; c++)
      for (size_t i = 0; i < l; i++) R[j + (c * l + i) * lq] = V2[c] * U2[i + j * l];
  lam = mmul(R, T, lq, d, 1);
  tmp = mmul(R, VT, lq, d, d);
  om = mat(lq, lq);
  for (size_t i = 0; i < lq; i++)
    for (size_t j = 0; j < lq; j++)
      for (size_t r = 0; r < d; r++) om[i + j * lq] += tmp[i + r * lq] * R[j + r * lq];
  inv(om, lq);
  for (size_t i = 0; i < lq; i++)
    for (size_t j = 0; j < lq; j++) stat += lam[i] * om[i + j * lq] * lam[j];
  free(zz);
  free(zx);
  free(xx);
  free(zzi);
  free(pi);
  free(E);
  free(F);
  free(H);
  free(T);
  free(S);
  free(Vpi);
  free(Kz);
  free(KF);
  free(VT);
  free(tt);
  free(w);
  free(V2);
  free(lam);
  free(R);
  free(om);
  free(tmp);
  return stat;
}

/* A simulated panel: x[0] = z1, x[1] = z2, x[2] = z3, x[3] = c (exog),
 * x[4] = e2 (a second endogenous regressor), x[5] = province; d endogenous. */
static spill_panel *simulate(spill_ctx *ctx, int64_t n, int64_t t, uint64_t seed, int unbalanced)
{
  spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, 6, 1);
  spill_rng rng;
  size_t nt = (size_t)(n * t);
  spill_rng_seed(&rng, seed);
  double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)t * sizeof *b);
  for (int64_t i = 0; i < n; i++) a[i] = spill_rng_normal(&rng);
  for (int64_t s = 0; s < t; s++) b[s] = 0.3 * (double)s + spill_rng_normal(&rng);
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      size_t q = (size_t)(s * n + i);
      double z1 = spill_rng_normal(&rng) + 0.5 * a[i], z2 = spill_rng_normal(&rng), z3 = spill_rng_normal(&rng);
      double c = spill_rng_normal(&rng) + 0.2 * b[s], v = spill_rng_normal(&rng), v2 = spill_rng_normal(&rng);
      double u = spill_rng_normal(&rng) * (1.0 + 0.5 * fabs(z2));
      double d = a[i] + b[s] + 0.8 * z1 + 0.5 * z2 + 0.2 * z3 + 0.3 * c + v;
      double e2 = 0.5 * a[i] + 0.2 * z1 - 0.4 * z2 + 0.9 * z3 + v2;
      p->x[0 * nt + q] = z1;
      p->x[1 * nt + q] = z2;
      p->x[2 * nt + q] = z3;
      p->x[3 * nt + q] = c;
      p->x[4 * nt + q] = e2;
      p->x[5 * nt + q] = (double)(i % 7);
      p->d[q] = d;
      p->y[q] = 2.0 * a[i] - b[s] + 1.5 * d - 0.5 * e2 + 0.7 * c + u + 0.6 * v + 0.3 * v2;
    }
  if (unbalanced) {
    p->obs = malloc(nt);
    for (size_t q = 0; q < nt; q++) p->obs[q] = 1;
    for (int k = 0; k < (int)(nt / 8); k++) {
      size_t q = (size_t)(spill_rng_uniform(&rng) * (double)nt);
      p->obs[q] = 0;
      p->y[q] = p->d[q] = 0;
      for (int j = 0; j < 6; j++) p->x[(size_t)j * nt + q] = 0;
    }
  }
  free(a);
  free(b);
  return p;
}

/* Dense 2SLS with dummies on the observed cells: endogenous columns en, instruments in, exog ex. */
static void dense_check(spill_ctx *ctx, spill_panel *p, const size_t *en, size_t k1, const size_t *in, size_t l1,
                        const size_t *ex, size_t k2, int cluster_prov, int fe_none)
{
  int64_t n = p->n, t = p->t;
  size_t nd = fe_none ? 1 : (size_t)n + (size_t)t - 1;
  size_t nt = (size_t)(n * t), m = 0, K = k1 + k2 + nd, L = l1 + k2 + nd;
  double kfe = fe_none ? 1.0 : 1.0 + (double)(t - 1), absorbed = fe_none ? 0.0 : (double)(n + t - 1);
  double lcons = fe_none ? 1.0 : 0.0;
  int *g = malloc(nt * sizeof *g), G = 0;
  double *X = NULL, *Z = NULL, *y = NULL, *Xh, *xx, *xy, *b, *e, *meat, *tmp, *V;
  spill_iv_opts o;
  spill_iv_result *r;
  int64_t *cl = NULL;
  for (size_t q = 0; q < nt; q++) m += !p->obs || p->obs[q];
  X = mat(m, K);
  Z = mat(m, L);
  y = mat(m, 1);
  {
    size_t row = 0;
    for (size_t q = 0; q < nt; q++) {
      int64_t i = (int64_t)(q % (size_t)n), s = (int64_t)(q / (size_t)n);
      if (p->obs && !p->obs[q]) continue;
      y[row] = p->y[q];
      for (size_t j = 0; j < k1; j++)
        X[j * m + row] = en[j] == SPILL_IV_D ? p->d[q] : p->x[en[j] * nt + q];
      for (size_t j = 0; j < k2; j++) X[(k1 + j) * m + row] = Z[(l1 + j) * m + row] = p->x[ex[j] * nt + q];
      for (size_t j = 0; j < l1; j++) Z[j * m + row] = p->x[in[j] * nt + q];
      if (fe_none) X[(k1 + k2) * m + row] = Z[(l1 + k2) * m + row] = 1.0;
      else X[(k1 + k2 + (size_t)i) * m + row] = Z[(l1 + k2 + (size_t)i) * m + row] = 1.0;
      if (s > 0 && !fe_none) X[(k1 + k2 + (size_t)n + (size_t)s - 1) * m + row] = Z[(l1 + k2 + (size_t)n + (size_t)s - 1) * m + row] = 1.0;
      g[row] = cluster_prov ? (int)p->x[5 * nt + q] : (int)i;
      if (g[row] + 1 > G) G = g[row] + 1;
      row++;
    }
  }
  Xh = fitted(Z, L, X, K, m);
  xx = tmul(Xh, K, Xh, K, m);
  xy = tmul(Xh, K, y, 1, m);
  inv(xx, K);
  b = mmul(xx, xy, K, K, 1);
  e = mat(m, 1);
  for (size_t r0 = 0; r0 < m; r0++) {
    e[r0] = y[r0];
    for (size_t j = 0; j < K; j++) e[r0] -= X[j * m + r0] * b[j];
  }
  meat = mat(K, K);
  for (int c = 0; c < G; c++) {
    double *s = calloc(K, sizeof *s);
    for (size_t r0 = 0; r0 < m; r0++)
      if (g[r0] == c)
        for (size_t j = 0; j < K; j++) s[j] += Xh[j * m + r0] * e[r0];
    for (size_t a = 0; a < K; a++)
      for (size_t bb = 0; bb < K; bb++) meat[a + bb * K] += s[a] * s[bb];
    free(s);
  }
  tmp = mmul(xx, meat, K, K, K);
  V = mmul(tmp, xx, K, K, K);
  {
    /* Stata: c = G/(G-1) (N-1)/(N-K), K = regressors + constant + T-1 time dummies (unit dummies nested in the clusters) */
    double N = (double)m, Kc = (double)(k1 + k2) + kfe;
    double c = ((double)G / (G - 1.0)) * ((N - 1.0) / (N - Kc));
    spill_iv_opts_init(&o);
    o.endog = en;
    o.n_endog = k1;
    o.instr = in;
    o.n_instr = l1;
    o.exog = ex;
    o.n_exog = k2;
    if (fe_none) o.fe = SPILL_FE_NONE;
    if (cluster_prov) {
      cl = malloc(nt * sizeof *cl);
      for (size_t q = 0; q < nt; q++) cl[q] = (int64_t)p->x[5 * nt + q];
      o.cluster = cl;
    }
    r = spill_iv_fit(ctx, p, &o);
    CHECK_MSG(r != NULL, "%s", spill_ctx_error(ctx));
    if (r) {
      CHECK(r->nobs == (int64_t)m);
      CHECK(r->clusters == G);
      for (size_t j = 0; j < k1 + k2 + (size_t)fe_none; j++) {
        CHECK_REL(r->coef[j], b[j], 1e-10);
        CHECK_REL(r->se[j], sqrt(c * V[j + j * K]), 1e-10);
      }
    }
  }
  /* identification statistics on the dense-partialled X1, Z1 */
  if (r) {
    size_t kx = k2 + nd;
    double *W = mat(m, kx), *X1 = mat(m, k1), *Z1 = mat(m, l1), *x1p, *z1p;
    memcpy(W, Z + l1 * m, m * kx * sizeof *W);
    memcpy(X1, X, m * k1 * sizeof *X1);
    memcpy(Z1, Z, m * l1 * sizeof *Z1);
    x1p = resid(W, kx, X1, k1, m);
    z1p = resid(W, kx, Z1, l1, m);
    CHECK_REL(r->kp_rk_lm, kp_direct(x1p, k1, z1p, l1, m, g, G, 0), 1e-9);
    CHECK_REL(r->kp_rk_wald, kp_direct(x1p, k1, z1p, l1, m, g, G, 1), 1e-9);
    if (k1 == 1) {
      /* Cragg-Donald = conventional F of the excluded instruments */
      double *res = resid(z1p, l1, x1p, 1, m), ssu = 0, ssr = 0, N = (double)m;
      double dfr = N - (double)(l1 + k2) - lcons - absorbed;
      for (size_t q = 0; q < m; q++) {
        ssu += res[q] * res[q];
        ssr += x1p[q] * x1p[q];
      }
      CHECK_REL(r->cragg_donald_f, (ssr - ssu) / (double)l1 / (ssu / dfr), 1e-9);
      free(res);
    }
    if (k1 == 1 && l1 == 1) {
      double tt = r->first[0].coef[0] / r->first[0].se[0];
      CHECK_REL(r->kp_rk_wald_f, tt * tt, 1e-10);
      CHECK(r->j_df == 0 && isnan(r->hansen_j));
      /* the first-stage SE itself against the dense cluster sandwich */
      {
        double *Zz = Z, *zz = tmul(Zz, L, Zz, L, m), *fr = resid(Zz, L, X, 1, m), *mt = mat(L, L), *t1, *Vf;
        double N = (double)m, Kf = (double)(l1 + k2) + kfe;
        double c = ((double)G / (G - 1.0)) * ((N - 1.0) / (N - Kf));
        inv(zz, L);
        for (int cc = 0; cc < G; cc++) {
          double *s = calloc(L, sizeof *s);
          for (size_t r0 = 0; r0 < m; r0++)
            if (g[r0] == cc)
              for (size_t j = 0; j < L; j++) s[j] += Zz[j * m + r0] * fr[r0];
          for (size_t a = 0; a < L; a++)
            for (size_t bb = 0; bb < L; bb++) mt[a + bb * L] += s[a] * s[bb];
          free(s);
        }
        t1 = mmul(zz, mt, L, L, L);
        Vf = mmul(t1, zz, L, L, L);
        CHECK_REL(r->first[0].se[0], sqrt(c * Vf[0]), 1e-10);
        free(zz);
        free(fr);
        free(mt);
        free(t1);
        free(Vf);
      }
    }
    if (l1 > k1) {
      /* Hansen J: two-step GMM on the dense-partialled data */
      double *yp, *Xp = mat(m, k1 + k2), *Zp = mat(m, l1 + k2), *Wd = mat(m, nd);
      double *Sm, jv = 0, *e1, *xh1, *xx1, *xy1, *b1;
      size_t KK = k1 + k2, LL = l1 + k2;
      memcpy(Wd, X + (k1 + k2) * m, m * nd * sizeof *Wd);
      yp = resid(Wd, nd, y, 1, m);
      {
        double *t1 = mat(m, KK), *t2 = mat(m, LL), *p1, *p2;
        memcpy(t1, X, m * KK * sizeof *t1);
        memcpy(t2, Z, m * LL * sizeof *t2);
        p1 = resid(Wd, nd, t1, KK, m);
        p2 = resid(Wd, nd, t2, LL, m);
        memcpy(Xp, p1, m * KK * sizeof *Xp);
        memcpy(Zp, p2, m * LL * sizeof *Zp);
        free(t1);
        free(t2);
        free(p1);
        free(p2);
      }
      xh1 = fitted(Zp, LL, Xp, KK, m);
      xx1 = tmul(xh1, KK, xh1, KK, m);
      xy1 = tmul(xh1, KK, yp, 1, m);
      inv(xx1, KK);
      b1 = mmul(xx1, xy1, KK, KK, 1);
      e1 = mat(m, 1);
      for (size_t q = 0; q < m; q++) {
        e1[q] = yp[q];
        for (size_t j = 0; j < KK; j++) e1[q] -= Xp[j * m + q] * b1[j];
      }
      Sm = mat(LL, LL);
      for (int cc = 0; cc < G; cc++) {
        double *s = calloc(LL, sizeof *s);
        for (size_t q = 0; q < m; q++)
          if (g[q] == cc)
            for (size_t j = 0; j < LL; j++) s[j] += Zp[j * m + q] * e1[q];
        for (size_t i = 0; i < LL; i++)
          for (size_t j = 0; j < LL; j++) Sm[i + j * LL] += s[i] * s[j];
        free(s);
      }
      jv = gmm_j(Sm, Zp, Xp, yp, LL, KK, m);
      CHECK(r->j_df == (int)(l1 - k1));
      CHECK_REL(r->hansen_j, jv, 1e-8);
      free(yp);
      free(Xp);
      free(Zp);
      free(Wd);
      free(Sm);
      free(e1);
      free(xh1);
      free(xx1);
      free(xy1);
      free(b1);
    }
    free(W);
    free(X1);
    free(Z1);
    free(x1p);
    free(z1p);
  }
  spill_iv_result_free(r);
  free(cl);
  free(g);
  free(X);
  free(Z);
  free(y);
  free(Xh);
  free(xx);
  free(xy);
  free(b);
  free(e);
  free(meat);
  free(tmp);
  free(V);
}



/* Least squares by Householder QR (LAPACK dgels): the coefficients C
 * (a x b) of Y (m x b) on X (m x a), accurate to cond(X) rather than its
 * square (the explicit dummies make the normal equations ill-conditioned). */
static double *lsq(const double *X, size_t a, const double *Y, size_t b, size_t m)
{
  int im = (int)m, ia = (int)a, ib = (int)b, lw = -1, info = 0;
  double *A = mat(m, a), *B = mat(m, b), *C = mat(a, b), wq, *work;
  memcpy(A, X, m * a * sizeof *A);
  memcpy(B, Y, m * b * sizeof *B);
  dgels_("N", &im, &ia, &ib, A, &im, B, &im, &wq, &lw, &info);
  lw = (int)wq;
  work = malloc((size_t)lw * sizeof *work);
  dgels_("N", &im, &ia, &ib, A, &im, B, &im, work, &lw, &info);
  for (size_t j = 0; j < b; j++) memcpy(C + j * a, B + j * m, a * sizeof *C);
  free(A);
  free(B);
  free(work);
  return C;
}

static double *qresid(const double *X, size_t a, const double *Y, size_t b, size_t m)
{
  double *c = lsq(X, a, Y, b, m), *f = mmul(X, c, m, a, b);
  for (size_t q = 0; q < m * b; q++) f[q] = Y[q] - f[q];
  free(c);
  return f;
}

/* (X'X)^-1 = R^-1 R^-T from the QR factor of X. */
static double *xtx_inv_qr(const double *X, size_t a, size_t m)
{
  int im = (int)m, ia = (int)a, lw = -1, info = 0;
  double *A = mat(m, a), *tau = mat(a, 1), wq, *work, *R = mat(a, a), *o = mat(a, a);
  memcpy(A, X, m * a * sizeof *A);
  dgeqrf_(&im, &ia, A, &im, tau, &wq, &lw, &info);
  lw = (int)wq;
  work = malloc((size_t)lw * sizeof *work);
  dgeqrf_(&im, &ia, A, &im, tau, work, &lw, &info);
  for (size_t j = 0; j < a; j++)
    for (size_t i = 0; i <= j; i++) R[i + j * a] = A[i + j * m];
  dtrtri_("U", "N", &ia, R, &ia, &info);
  for (size_t i = 0; i < a; i++)
    for (size_t j = 0; j < a; j++)
      for (size_t q = (i > j ? i : j); q < a; q++) o[i + j * a] += R[i + q * a] * R[j + q * a];
  free(A);
  free(tau);
  free(work);
  free(R);
  return o;
}

/* ---- absorbed effects (--absorb) and one-/two-way clusters (--vce) ---- */
enum { AU = 60, AT = 8, AP = 10 };

/* A panel with provinces (text codes "P0".."P3", fixed within units) and
 * province-by-year shocks and trends; unit u0 is observed once (a singleton),
 * about one cell in ten is missing. */
static void write_prov_panel(const char *path, uint64_t seed)
{
  FILE *f = fopen(path, "w");
  spill_rng rng;
  double a[AU], b[AT], pb[AP * AT];
  spill_rng_seed(&rng, seed);
  for (int i = 0; i < AU; i++) a[i] = spill_rng_normal(&rng);
  for (int s = 0; s < AT; s++) b[s] = 0.3 * s + spill_rng_normal(&rng);
  for (int q = 0; q < AP * AT; q++) pb[q] = spill_rng_normal(&rng);
  fprintf(f, "id,year,prov,y,d,z1,z2,c\n");
  for (int i = 0; i < AU; i++)
    for (int s = 0; s < AT; s++) {
      int pr = i % AP;
      double z1 = spill_rng_normal(&rng) + 0.5 * a[i] + 0.3 * pb[pr * AT + s], z2 = spill_rng_normal(&rng);
      double c = spill_rng_normal(&rng) + 0.2 * b[s], v = spill_rng_normal(&rng);
      double u = spill_rng_normal(&rng) * (1.0 + 0.5 * fabs(z2)) + 0.8 * pb[((pr + 1) % AP) * AT + s];
      double d = a[i] + b[s] + pb[pr * AT + s] + 0.2 * pr * s + 0.8 * z1 + 0.5 * z2 + 0.3 * c + v;
      double y = 2.0 * a[i] - b[s] + pb[pr * AT + s] + 0.1 * pr * s + 1.5 * d + 0.7 * c + u + 0.6 * v;
      if ((i == 0 && s > 0) || spill_rng_uniform(&rng) < 0.1) continue;
      fprintf(f, "u%d,%d,P%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", i, 2001 + s, pr, y, d, z1, z2, c);
    }
  fclose(f);
}

/* Orthonormal basis Q (m x r, r returned) of the columns of D kept in
 * order when not spanned by those before (Gram-Schmidt, twice); cols gets the
 * kept columns of D themselves (the explicit full-rank dummies). */
static size_t fullrank(const double *D, size_t nd, size_t m, double *cols)
{
  double *Q = mat(m, nd), *v = mat(m, 1);
  size_t r = 0;
  for (size_t j = 0; j < nd; j++) {
    double n0 = 0, n1 = 0;
    memcpy(v, D + j * m, m * sizeof *v);
    for (size_t q = 0; q < m; q++) n0 += v[q] * v[q];
    for (int pass = 0; pass < 2; pass++)
      for (size_t c = 0; c < r; c++) {
        double dt = 0;
        for (size_t q = 0; q < m; q++) dt += Q[c * m + q] * v[q];
        for (size_t q = 0; q < m; q++) v[q] -= dt * Q[c * m + q];
      }
    for (size_t q = 0; q < m; q++) n1 += v[q] * v[q];
    if (n0 == 0 || n1 <= 1e-18 * n0) continue;
    for (size_t q = 0; q < m; q++) Q[r * m + q] = v[q] / sqrt(n1);
    memcpy(cols + r * m, D + j * m, m * sizeof *cols);
    r++;
  }
  free(Q);
  free(v);
  return r;
}

/* Groups of a kind: 0 unit, 1 province, 2 year, 3 province-by-year, 4 the observation. */
static int group_of(int kind, int i, int pr, int s, int row, int t)
{
  return kind == 0 ? i : kind == 1 ? pr : kind == 2 ? s : kind == 3 ? pr * t + s : row;
}

/* Dense 2SLS of y on d (endogenous) and c with explicit dummies (unit, year,
 * province-by-year when py, province trends when tr; full rank by dropping
 * the spanned ones), instruments z1 (and z2 when l1 = 2); the cluster
 * sandwich over clusterings w1 (and w2: two-way S_1 + S_2 - S_12, G the
 * smaller); K = 2 + kfe with kfe by the reghdfe rule given as kmode:
 * 0 the rank of the dummies (nothing nested), 1 the constant alone (all
 * nested), 2 rank - units + 1 (the units nested), 3 T (units and trends
 * nested, years not). */
static void absorb_check(spill_ctx *ctx, const char *csv, const spill_panel *p, const int *pr, int np, const char *ab,
                         int py, int tr, const char *vce, int w1, int w2, size_t l1, int kmode, const char *label)
{
  int64_t n = p->n, t = p->t;
  size_t nt = (size_t)(n * t), m = 0, nd = (size_t)n + (size_t)t + (py ? (size_t)(np * t) : 0) + (tr ? (size_t)np : 0);
  unsigned char *keep = malloc(nt);
  int *unit = malloc(nt * sizeof *unit), *yr = malloc(nt * sizeof *yr);
  int *prr = malloc(nt * sizeof *prr), dropped = 0;
  for (size_t q = 0; q < nt; q++) keep[q] = !p->obs || p->obs[q];
  /* singletons by brute force: a cell alone in its unit, year or province-year */
  for (int changed = 1; changed;) {
    changed = 0;
    for (size_t q = 0; q < nt; q++) {
      int64_t i = (int64_t)(q % (size_t)n), s = (int64_t)(q / (size_t)n);
      int cu = 0, cy = 0, cp = 0;
      if (!keep[q]) continue;
      for (size_t r = 0; r < nt; r++) {
        int64_t i2 = (int64_t)(r % (size_t)n), s2 = (int64_t)(r / (size_t)n);
        if (!keep[r]) continue;
        cu += i2 == i;
        cy += s2 == s;
        cp += s2 == s && pr[i2] == pr[i];
      }
      if (cu == 1 || cy == 1 || (py && cp == 1)) keep[q] = 0, dropped++, changed = 1;
    }
  }
  for (size_t q = 0; q < nt; q++) m += keep[q];
  {
    size_t K = 2, L = l1 + 1, row = 0, rank;
    double *D = mat(m, nd), *Dr = mat(m, nd), *y = mat(m, 1), *X, *Z, *Xh, *xx, *xy, *b, *e, *mt, *tmp, *V;
    int *g[3], G[3] = {0, 0, 0}, ng = w2 >= 0 ? 3 : 1;
    double sg[3] = {1, 1, -1};
    for (int w = 0; w < 3; w++) g[w] = malloc(m * sizeof(int));
    for (size_t q = 0; q < nt; q++) {
      int i = (int)(q % (size_t)n), s = (int)(q / (size_t)n);
      if (!keep[q]) continue;
      unit[row] = i, yr[row] = s, prr[row] = pr[i];
      D[(size_t)i * m + row] = 1;
      D[((size_t)n + (size_t)s) * m + row] = 1;
      if (py) D[((size_t)(n + t) + (size_t)(pr[i] * t + s)) * m + row] = 1;
      if (tr) D[((size_t)(n + t) + (py ? (size_t)(np * t) : 0) + (size_t)pr[i]) * m + row] = (double)p->times[s] - 2000.0;
      row++;
    }
    rank = fullrank(D, nd, m, Dr);
    X = mat(m, K + rank);
    Z = mat(m, L + rank);
    row = 0;
    for (size_t q = 0; q < nt; q++) {
      if (!keep[q]) continue;
      y[row] = p->y[q];
      X[row] = p->x[0 * nt + q];
      X[m + row] = Z[l1 * m + row] = p->x[3 * nt + q];
      for (size_t j = 0; j < l1; j++) Z[j * m + row] = p->x[(1 + j) * nt + q];
      row++;
    }
    memcpy(X + K * m, Dr, m * rank * sizeof *X);
    memcpy(Z + L * m, Dr, m * rank * sizeof *Z);
    for (size_t r0 = 0; r0 < m; r0++) {
      g[0][r0] = group_of(w1, unit[r0], prr[r0], yr[r0], (int)r0, (int)t);
      g[1][r0] = w2 >= 0 ? group_of(w2, unit[r0], prr[r0], yr[r0], (int)r0, (int)t) : 0;
    }
    for (int w = 0; w < 2; w++) {
      /* dense relabelling 0..G-1 */
      int mx = 0;
      for (size_t r0 = 0; r0 < m; r0++) mx = g[w][r0] > mx ? g[w][r0] : mx;
      int *lab = malloc(((size_t)mx + 1) * sizeof *lab);
      for (int c = 0; c <= mx; c++) lab[c] = -1;
      for (size_t r0 = 0; r0 < m; r0++) {
        if (lab[g[w][r0]] < 0) lab[g[w][r0]] = G[w]++;
        g[w][r0] = lab[g[w][r0]];
      }
      free(lab);
    }
    {
      int *lab = malloc((size_t)(G[0] * G[1] + 1) * sizeof *lab);
      for (int c = 0; c < G[0] * G[1]; c++) lab[c] = -1;
      for (size_t r0 = 0; r0 < m; r0++) {
        int key = g[0][r0] * G[1] + g[1][r0];
        if (lab[key] < 0) lab[key] = G[2]++;
        g[2][r0] = lab[key];
      }
      free(lab);
    }
    size_t KK = K + rank, LL = L + rank;
    {
      double *cz = lsq(Z, LL, X, KK, m);
      Xh = mmul(Z, cz, m, LL, KK);
      free(cz);
    }
    xx = xtx_inv_qr(Xh, KK, m);
    xy = NULL;
    b = lsq(Xh, KK, y, 1, m);
    e = mat(m, 1);
    for (size_t r0 = 0; r0 < m; r0++) {
      e[r0] = y[r0];
      for (size_t j = 0; j < KK; j++) e[r0] -= X[j * m + r0] * b[j];
    }
    mt = mat(KK, KK);
    for (int w = 0; w < ng; w++)
      for (int c = 0; c < G[w]; c++) {
        double *sc = calloc(KK, sizeof *sc);
        for (size_t r0 = 0; r0 < m; r0++)
          if (g[w][r0] == c)
            for (size_t j = 0; j < KK; j++) sc[j] += Xh[j * m + r0] * e[r0];
        for (size_t a = 0; a < KK; a++)
          for (size_t bb = 0; bb < KK; bb++) mt[a + bb * KK] += sg[w] * sc[a] * sc[bb];
        free(sc);
      }
    tmp = mmul(xx, mt, KK, KK, KK);
    V = mmul(tmp, xx, KK, KK, KK);
    {
      double N = (double)m, kfe = kmode == 0 ? (double)rank : kmode == 1 ? 1.0 : kmode == 2 ? (double)rank - (double)n + 1.0 : (double)t;
      int Gm = ng == 3 && G[1] < G[0] ? G[1] : G[0];
      double c = ((double)Gm / (Gm - 1.0)) * ((N - 1.0) / (N - (double)K - kfe));
      size_t en[1] = {0}, in[2] = {1, 2}, ex[1] = {3};
      const char *abl[1] = {ab};
      spill_iv_opts o;
      spill_iv_result *r;
      int64_t units = 0;
      for (int64_t i = 0; i < n; i++) {
        int any = 0;
        for (size_t r0 = 0; r0 < m; r0++) any |= unit[r0] == i;
        units += any;
      }
      if (kmode == 2) c = ((double)Gm / (Gm - 1.0)) * ((N - 1.0) / (N - (double)K - ((double)rank - (double)units + 1.0)));
      spill_iv_opts_init(&o);
      o.endog = en;
      o.n_endog = 1;
      o.instr = in;
      o.n_instr = l1;
      o.exog = ex;
      o.n_exog = 1;
      o.path = csv;
      o.id_col = "id";
      o.time_col = "year";
      o.absorb = ab ? abl : NULL;
      o.n_absorb = ab ? 1 : 0;
      o.vce = vce;
      r = spill_iv_fit(ctx, p, &o);
      CHECK_MSG(r != NULL, "%s: %s", label, spill_ctx_error(ctx));
      if (r) {
        CHECK_EQ_INT(r->nobs, (int64_t)m);
        CHECK_EQ_INT(r->singletons, dropped);
        CHECK_EQ_INT(r->clusters, Gm);
        /* the absorbed count is the rank of the dummies, except that every
         * province slope counts (as reghdfe, conservatively: the sum of the
         * province trends is the common trend that the year effects span) */
        CHECK_MSG(r->absorbed == (double)rank + (tr ? 1.0 : 0.0), "%s: absorbed %g, rank of the dummies %zu", label,
                  r->absorbed, rank);
        for (size_t j = 0; j < K; j++) {
          CHECK_REL(r->coef[j], b[j], 1e-10);
          CHECK_REL(r->se[j], sqrt(c * V[j + j * KK]), 1e-10);
        }
        printf("%s: b = %.6f (se %.6f), N = %zu, K = %g, G = %d, %d singletons\n", label, r->coef[0], r->se[0], m,
               r->df_k, Gm, dropped);
        /* identification on the dense-partialled X1, Z1 */
        {
          size_t kx = 1 + rank;
          double *W = mat(m, kx), *x1p, *z1p;
          const int *gs[3] = {g[0], g[1], g[2]};
          memcpy(W, Z + l1 * m, m * kx * sizeof *W);
          x1p = qresid(W, kx, X, 1, m);
          z1p = qresid(W, kx, Z, l1, m);
          CHECK_REL(r->kp_rk_lm, kp_direct_w(x1p, 1, z1p, l1, m, gs, G, sg, ng, 0), 1e-9);
          CHECK_REL(r->kp_rk_wald, kp_direct_w(x1p, 1, z1p, l1, m, gs, G, sg, ng, 1), 1e-9);
          if (l1 == 1) {
            /* the first-stage SE against the dense sandwich; rk Wald F = t^2 */
            double *zz = xtx_inv_qr(Z, LL, m), *fr = qresid(Z, LL, X, 1, m), *ms = mat(LL, LL), *t1, *Vf;
            double cf = ((double)Gm / (Gm - 1.0)) * ((N - 1.0) / (N - (double)L - (r->df_k - (double)K)));
            double tt;
            
            for (int w = 0; w < ng; w++)
              for (int cc = 0; cc < G[w]; cc++) {
                double *sc = calloc(LL, sizeof *sc);
                for (size_t r0 = 0; r0 < m; r0++)
                  if (g[w][r0] == cc)
                    for (size_t j = 0; j < LL; j++) sc[j] += Z[j * m + r0] * fr[r0];
                for (size_t a = 0; a < LL; a++)
                  for (size_t bb = 0; bb < LL; bb++) ms[a + bb * LL] += sg[w] * sc[a] * sc[bb];
                free(sc);
              }
            t1 = mmul(zz, ms, LL, LL, LL);
            Vf = mmul(t1, zz, LL, LL, LL);
            CHECK_REL(r->first[0].se[0], sqrt(cf * Vf[0]), 1e-10);
            tt = r->first[0].coef[0] / r->first[0].se[0];
            CHECK_REL(r->kp_rk_wald_f, tt * tt, 1e-10);
            free(zz);
            free(fr);
            free(ms);
            free(t1);
            free(Vf);
          }
          free(W);
          free(x1p);
          free(z1p);
        }
        if (l1 == 2) {
          /* Hansen J: two-step GMM on the data partialled of the dummies,
           * the weight the (two-way) meat of the 2SLS residuals */
          size_t K2 = K, L2 = L;
          double *Xp = qresid(Dr, rank, X, K2, m), *Zp = qresid(Dr, rank, Z, L2, m), *yp = qresid(Dr, rank, y, 1, m);
          double *c1 = lsq(Zp, L2, Xp, K2, m), *xh = mmul(Zp, c1, m, L2, K2), *b1 = lsq(xh, K2, yp, 1, m);
          double *e1 = mat(m, 1), *Sm = mat(L2, L2), jv = 0;
          for (size_t q = 0; q < m; q++) {
            e1[q] = yp[q];
            for (size_t j = 0; j < K2; j++) e1[q] -= Xp[j * m + q] * b1[j];
          }
          for (int w = 0; w < ng; w++)
            for (int cc = 0; cc < G[w]; cc++) {
              double *sc = calloc(L2, sizeof *sc);
              for (size_t q = 0; q < m; q++)
                if (g[w][q] == cc)
                  for (size_t j = 0; j < L2; j++) sc[j] += Zp[j * m + q] * e1[q];
              for (size_t i2 = 0; i2 < L2; i2++)
                for (size_t j = 0; j < L2; j++) Sm[i2 + j * L2] += sg[w] * sc[i2] * sc[j];
              free(sc);
            }
          jv = gmm_j(Sm, Zp, Xp, yp, L2, K2, m);
          CHECK_EQ_INT(r->j_df, 1);
          CHECK_REL(r->hansen_j, jv, 1e-8);
          free(Xp);
          free(Zp);
          free(yp);
          free(c1);
          free(xh);
          free(b1);
          free(e1);
          free(Sm);
        }
      }
      spill_iv_result_free(r);
    }
    for (int w = 0; w < 3; w++) free(g[w]);
    free(D);
    free(Dr);
    free(y);
    free(X);
    free(Z);
    free(Xh);
    free(xx);
    free(xy);
    free(b);
    free(e);
    free(mt);
    free(tmp);
    free(V);
  }
  free(keep);
  free(unit);
  free(yr);
  free(prr);
}

static void absorb_cases(spill_ctx *ctx)
{
  char path[1200];
  const char *cols[4] = {"d", "z1", "z2", "c"};
  spill_panel_spec spec = {"id", "year", "y", NULL, NULL, cols, 4, 0};
  spill_panel *p;
  int *pr;
  snprintf(path, sizeof path, "%s/prov.csv", check_tmpdir());
  write_prov_panel(path, 77);
  p = spill_panel_read_csv_unbalanced(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  pr = malloc((size_t)p->n * sizeof *pr);
  for (int64_t i = 0; i < p->n; i++) pr[i] = atoi(p->ids[i] + 1) % AP;
  /* province-by-year effects, clusters = units (nested): K = rank - units + 1 */
  absorb_check(ctx, path, p, pr, AP, "prov#year", 1, 0, NULL, 0, -1, 2, 2, "prov#year, cluster unit, 2 instruments");
  absorb_check(ctx, path, p, pr, AP, "prov#year", 1, 0, NULL, 0, -1, 1, 2, "prov#year, cluster unit, 1 instrument");
  /* two-way by province and year: every effect nested in one of them */
  absorb_check(ctx, path, p, pr, AP, "prov#year", 1, 0, "cluster prov#year", 1, 2, 1, 1, "prov#year, two-way prov#year");
  absorb_check(ctx, path, p, pr, AP, "prov#year", 1, 0, "cluster prov#year", 1, 2, 2, 1, "prov#year, two-way, 2 instruments");
  /* robust: nothing nested (HC1) */
  absorb_check(ctx, path, p, pr, AP, "prov#year", 1, 0, "robust", 4, -1, 1, 0, "prov#year, robust");
  /* province trends: clusters by province (units and trends nested, years not) */
  absorb_check(ctx, path, p, pr, AP, "prov#c.year", 0, 1, "cluster prov", 1, -1, 1, 3, "prov#c.year, cluster prov");
  absorb_check(ctx, path, p, pr, AP, "prov#c.year", 0, 1, "cluster prov#year", 1, 2, 2, 1, "prov#c.year, two-way");
  /* two-way by unit and year without extra effects */
  absorb_check(ctx, path, p, pr, AP, NULL, 0, 0, "cluster id#year", 0, 2, 1, 1, "two-way id#year, no --absorb");
  free(pr);
  spill_panel_free(p);
}

/* Castle doctrine (Cheng and Hoekstra): region-by-year effects (the region
 * from the four census dummies, written to a scratch copy), log prisoners
 * instrumented by their lag (and unemployment), the castle law (post) as
 * the control; clusters = states, and two-way states and years. */
static void castle_case(spill_ctx *ctx)
{
  char src[1200], path[1200], line[4096];
  FILE *in, *out;
  const char *cols[4] = {"l_prisoner", "l_lagprisoner", "unemployrt", "post"};
  spill_panel_spec spec = {"id", "year", "l_homicide", NULL, NULL, cols, 4, 0};
  spill_panel *p;
  int *pr, ok = 1;
  if (!check_shared("data/castle.csv", src, sizeof src)) return;
  snprintf(path, sizeof path, "%s/castle_region.csv", SPILL_TEST_TMP);
  in = fopen(src, "r");
  out = fopen(path, "w");
  if (!in || !out) {
    CHECK_MSG(0, "cannot copy %s to %s", src, path);
    if (in) fclose(in);
    if (out) fclose(out);
    return;
  }
  /* the last four columns are northeast, midwest, south, west */
  for (int row = 0; fgets(line, sizeof line, in); row++) {
    char *f[32], *c = line;
    int nf = 0;
    line[strcspn(line, "\r\n")] = 0;
    while (nf < 32 && (f[nf++] = c) && (c = strchr(c, ','))) *c++ = 0;
    if (nf < 19) ok = 0;
    fprintf(out, "%s,%s,%s,%s,%s,%s,%s,%s\n", row ? f[1] : "id", f[2], f[3], f[9], f[10], f[11], f[4],
            row ? (atoi(f[15]) ? "northeast" : atoi(f[16]) ? "midwest" : atoi(f[17]) ? "south" : "west") : "region");
  }
  fclose(in);
  fclose(out);
  CHECK_MSG(ok, "castle.csv has fewer columns than expected");
  p = spill_panel_read_csv_unbalanced(ctx, path, &spec);
  CHECK_MSG(p != NULL, "%s", spill_ctx_error(ctx));
  if (!p) return;
  CHECK_EQ_INT(p->n, 50);
  CHECK_EQ_INT(p->t, 11);
  /* the region of each state from the file itself */
  pr = malloc((size_t)p->n * sizeof *pr);
  {
    static const char *names[4] = {"northeast", "midwest", "south", "west"};
    in = fopen(path, "r");
    for (int64_t i = 0; i < p->n; i++) pr[i] = -1;
    while (in && fgets(line, sizeof line, in)) {
      char id[64], reg[64];
      if (sscanf(line, "%63[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%63[^,\n]", id, reg) != 2) continue;
      for (int64_t i = 0; i < p->n; i++)
        if (!strcmp(p->ids[i], id))
          for (int k = 0; k < 4; k++)
            if (!strcmp(reg, names[k])) pr[i] = k;
    }
    if (in) fclose(in);
    for (int64_t i = 0; i < p->n; i++) CHECK(pr[i] >= 0);
  }
  absorb_check(ctx, path, p, pr, 4, "region#year", 1, 0, "cluster id", 0, -1, 2, 2, "castle: region#year, cluster state");
  absorb_check(ctx, path, p, pr, 4, "region#year", 1, 0, "cluster id", 0, -1, 1, 2, "castle: region#year, 1 instrument");
  absorb_check(ctx, path, p, pr, 4, "region#year", 1, 0, "cluster id#year", 0, 2, 2, 1, "castle: two-way state#year");
  free(pr);
  spill_panel_free(p);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  size_t d = SPILL_IV_D, en2[2] = {SPILL_IV_D, 4}, in1[1] = {0}, in2[2] = {0, 1}, in3[3] = {0, 1, 2}, ex[1] = {3};
  for (int ub = 0; ub < 2; ub++) {
    spill_panel *p = simulate(ctx, 40, 6, 11 + (uint64_t)ub, ub);
    dense_check(ctx, p, &d, 1, in2, 2, ex, 1, 0, 0); /* the acceptance case: two instruments */
    dense_check(ctx, p, &d, 1, in1, 1, ex, 1, 0, 0); /* exactly identified: rk Wald F = t^2 */
    dense_check(ctx, p, &d, 1, in1, 1, ex, 1, 0, 1); /* no fixed effects: a constant */
    dense_check(ctx, p, &d, 1, in2, 2, ex, 1, 0, 1);
    dense_check(ctx, p, en2, 2, in3, 3, ex, 1, 0, 0); /* two endogenous, three instruments */
    dense_check(ctx, p, &d, 1, in2, 2, ex, 1, 1, 0); /* clusters = provinces (units nested) */
    spill_panel_free(p);
  }
  {
    /* bad input: no instrument, instrument constant within units, underidentified */
    spill_panel *p = simulate(ctx, 20, 5, 3, 0);
    spill_iv_opts o;
    size_t nt = 100, zi[1] = {5};
    spill_iv_opts_init(&o);
    o.endog = &d;
    o.n_endog = 1;
    CHECK(spill_iv_fit(ctx, p, &o) == NULL && strstr(spill_ctx_error(ctx), "not identified"));
    o.instr = zi; /* province: constant within units */
    o.n_instr = 1;
    CHECK(spill_iv_fit(ctx, p, &o) == NULL && strstr(spill_ctx_error(ctx), "collinear with the fixed effects"));
    (void)nt;
    spill_panel_free(p);
  }
  absorb_cases(ctx);
  castle_case(ctx);
  spill_ctx_free(ctx);
  return check_done("test_iv");
}

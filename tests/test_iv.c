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
static double kp_direct(const double *X, size_t k, const double *Z, size_t l, size_t m, const int *g, int G, int wald)
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
  for (int c = 0; c < G; c++) {
    double *s = calloc(d, sizeof *s);
    for (size_t r = 0; r < m; r++)
      if (g[r] == c)
        for (size_t j = 0; j < k; j++)
          for (size_t i = 0; i < l; i++) s[j * l + i] += Z[i * m + r] * E[j * m + r];
    for (size_t a = 0; a < d; a++)
      for (size_t b = 0; b < d; b++) S[a + b * d] += s[a] * s[b];
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
      double *Sm, *zx, *zy, *a, *h, *hv, *bg, *ze, jv = 0, *e1, *xh1, *xx1, *xy1, *b1;
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
      inv(Sm, LL);
      zx = tmul(Zp, LL, Xp, KK, m);
      zy = tmul(Zp, LL, yp, 1, m);
      a = mat(KK, LL);
      for (size_t i = 0; i < KK; i++)
        for (size_t j = 0; j < LL; j++)
          for (size_t q = 0; q < LL; q++) a[i + j * KK] += zx[q + i * LL] * Sm[q + j * LL];
      h = mmul(a, zx, KK, LL, KK);
      hv = mmul(a, zy, KK, LL, 1);
      inv(h, KK);
      bg = mmul(h, hv, KK, KK, 1);
      for (size_t q = 0; q < m; q++) {
        e1[q] = yp[q];
        for (size_t j = 0; j < KK; j++) e1[q] -= Xp[j * m + q] * bg[j];
      }
      ze = tmul(Zp, LL, e1, 1, m);
      for (size_t i = 0; i < LL; i++)
        for (size_t j = 0; j < LL; j++) jv += ze[i] * Sm[i + j * LL] * ze[j];
      CHECK(r->j_df == (int)(l1 - k1));
      CHECK_REL(r->hansen_j, jv, 1e-8);
      free(yp);
      free(Xp);
      free(Zp);
      free(Wd);
      free(Sm);
      free(zx);
      free(zy);
      free(a);
      free(h);
      free(hv);
      free(bg);
      free(ze);
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
  spill_ctx_free(ctx);
  return check_done("test_iv");
}

/* IV-2SLS with absorbed unit/time fixed effects and cluster-robust SEs, as
 * Stata ivreg2/ivreghdfe report it: both stages, the Kleibergen-Paap (2006)
 * rk LM and rk Wald F statistics, the Cragg-Donald F and Hansen's J. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt, double *work,
                    const int *lwork, int *info);
extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b,
                   const int *ldb, int *info);

void spill_iv_opts_init(spill_iv_opts *o)
{
  memset(o, 0, sizeof *o);
  o->fe = SPILL_FE_TWOWAYS;
}

/* ---- small dense helpers: matrices column-major, a[i + j*rows] ---- */

/* c (a x b) = A' B over m rows (A m x a, B m x b). */
static void cross(const double *A, size_t a, const double *B, size_t b, size_t m, double *c)
{
  for (size_t i = 0; i < a; i++)
    for (size_t j = 0; j < b; j++) {
      double s = 0.0;
      for (size_t r = 0; r < m; r++) s += A[i * m + r] * B[j * m + r];
      c[i + j * a] = s;
    }
}

/* In-place inverse of a symmetric positive definite k x k; -1 if not PD. */
static int spd_inv(double *a, size_t k)
{
  int n = (int)k, info = 0;
  if (!k) return 0;
  dpotrf_("U", &n, a, &n, &info);
  if (info) return -1;
  dpotri_("U", &n, a, &n, &info);
  if (info) return -1;
  for (size_t j = 0; j < k; j++)
    for (size_t i = j + 1; i < k; i++) a[i + j * k] = a[j + i * k];
  return 0;
}

/* Upper Cholesky factor R (R'R = a), lower part zeroed; -1 if not PD. */
static int chol_upper(const double *a, size_t k, double *r)
{
  int n = (int)k, info = 0;
  memcpy(r, a, k * k * sizeof *r);
  dpotrf_("U", &n, r, &n, &info);
  for (size_t j = 0; j < k; j++)
    for (size_t i = j + 1; i < k; i++) r[i + j * k] = 0.0;
  return info ? -1 : 0;
}

/* General inverse of a k x k (in place); -1 if singular. */
static int gen_inv(double *a, size_t k)
{
  int n = (int)k, info = 0, *ipiv = malloc(k * sizeof *ipiv);
  double *b = calloc(k * k, sizeof *b);
  if (!ipiv || !b) {
    free(ipiv);
    free(b);
    return -1;
  }
  for (size_t i = 0; i < k; i++) b[i + i * k] = 1.0;
  dgesv_(&n, &n, a, &n, ipiv, b, &n, &info);
  if (!info) memcpy(a, b, k * k * sizeof *b);
  free(ipiv);
  free(b);
  return info ? -1 : 0;
}

/* Symmetric eigen-decomposition: w ascending, a overwritten by vectors. */
static int sym_eig(double *a, size_t k, double *w)
{
  int n = (int)k, info = 0, lwork = (int)(3 * k + 8);
  double *work = malloc((size_t)lwork * sizeof *work);
  if (!work) return -1;
  dsyev_("V", "U", &n, a, &n, w, work, &lwork, &info);
  free(work);
  return info ? -1 : 0;
}

/* out = symmetric square root of the PSD k x k a. */
static int sym_sqrt(const double *a, size_t k, double *out)
{
  double *v = malloc(k * k * sizeof *v), *w = malloc(k * sizeof *w);
  int rc = -1;
  if (!v || !w) goto done;
  memcpy(v, a, k * k * sizeof *v);
  if (sym_eig(v, k, w)) goto done;
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) {
      double s = 0.0;
      for (size_t q = 0; q < k; q++) s += v[i + q * k] * sqrt(w[q] > 0 ? w[q] : 0.0) * v[j + q * k];
      out[i + j * k] = s;
    }
  rc = 0;
done:
  free(v);
  free(w);
  return rc;
}

/* C (m x n) = A (m x p) B (p x n). */
static void mul(const double *A, const double *B, size_t m, size_t p, size_t n, double *C)
{
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double s = 0.0;
      for (size_t q = 0; q < p; q++) s += A[i + q * m] * B[q + j * p];
      C[i + j * m] = s;
    }
}

/* Residuals of each of the b columns of Y (m rows) on the a columns of X,
 * in place; coef (a x b) receives the coefficients when not NULL. */
static int partial_out(double *Y, size_t b, const double *X, size_t a, size_t m, double *coef)
{
  double *xx = malloc((a * a + a * b + 1) * sizeof *xx), *xy = xx + a * a, *c;
  if (!xx) return -1;
  if (!a) {
    free(xx);
    return 0;
  }
  cross(X, a, X, a, m, xx);
  cross(X, a, Y, b, m, xy);
  if (spd_inv(xx, a)) {
    free(xx);
    return -2;
  }
  c = malloc(a * b * sizeof *c);
  if (!c) {
    free(xx);
    return -1;
  }
  mul(xx, xy, a, a, b, c);
  for (size_t j = 0; j < b; j++)
    for (size_t q = 0; q < a; q++) {
      double cq = c[q + j * a];
      for (size_t r = 0; r < m; r++) Y[j * m + r] -= X[q * m + r] * cq;
    }
  if (coef) memcpy(coef, c, a * b * sizeof *c);
  free(c);
  free(xx);
  return 0;
}

/* Cluster score sums: for the k columns of A (m rows) times the residual
 * columns E (m x ne), S (k*ne x k*ne) = sum_g s_g s_g', s_g = vec(A_g' E_g)
 * (block j of s_g: A_g' e_gj). g[r] in 0..G-1 (-1: unobserved). */
static int cluster_meat(const double *A, size_t k, const double *E, size_t ne, size_t m, const int64_t *g,
                        int64_t G, double *S)
{
  size_t d = k * ne;
  double *s = calloc((size_t)G * d, sizeof *s);
  if (!s) return -1;
  for (size_t r = 0; r < m; r++) {
    if (g[r] < 0) continue;
    double *sg = s + (size_t)g[r] * d;
    for (size_t j = 0; j < ne; j++) {
      double e = E[j * m + r];
      if (e == 0.0) continue;
      for (size_t q = 0; q < k; q++) sg[j * k + q] += A[q * m + r] * e;
    }
  }
  memset(S, 0, d * d * sizeof *S);
  for (int64_t c = 0; c < G; c++) {
    const double *sg = s + (size_t)c * d;
    for (size_t a = 0; a < d; a++)
      for (size_t b = 0; b < d; b++) S[a + b * d] += sg[a] * sg[b];
  }
  free(s);
  return 0;
}

/* Kleibergen and Paap (2006, sec. 2, eqs. 8-12, 21) rk statistic for
 * H0 rank(Pi) = k - 1, Pi (l x k) the coefficients of X (m x k) on Z
 * (m x l), both partialled of the exogenous regressors and the fixed
 * effects: Theta = F Pi G^-1 with F'F = Z'Z, G'G = X'X (Cholesky, as
 * ranktest), Theta = U S V', A = U_2 U_22^-1 (U_22 U_22')^1/2,
 * B = (V_22 V_22')^1/2 V_22'^-1 V_2', lambda = A' Theta B',
 * rk = lambda' [(B x A') V_theta (B x A')']^-1 lambda, V_theta =
 * (G^-1' x F) V_pi (G^-1' x F)', V_pi = (I x (Z'Z)^-1) S (I x (Z'Z)^-1),
 * S the cluster sum of vec(Z_g' E_g). E is the first-stage residual (Wald
 * version) or X itself (LM version: the scores under Pi = 0, as ranktest). */
static double kp_rk(const double *X, size_t k, const double *Z, size_t l, size_t m, const int64_t *g, int64_t G,
                    int wald)
{
  size_t q = k - 1, lq = l - q, d = k * l;
  double *zz = NULL, *xx = NULL, *F = NULL, *Gm = NULL, *Gi = NULL, *pi = NULL, *E = NULL, *S = NULL, *Vpi = NULL;
  double *T = NULL, *tmp = NULL, *s = NULL, *U = NULL, *VT = NULL, *work = NULL, *A = NULL, *Bv = NULL;
  double *KR = NULL, *KRf = NULL, *Vt = NULL, *lam = NULL, *om = NULL;
  double rk = NAN;
  int il = (int)l, ik = (int)k, lwork = (int)(5 * (l + k) + 64), info = 0;
  zz = malloc(l * l * sizeof *zz);
  xx = malloc(k * k * sizeof *xx);
  F = malloc(l * l * sizeof *F);
  Gm = malloc(k * k * sizeof *Gm);
  Gi = malloc(k * k * sizeof *Gi);
  pi = malloc(d * sizeof *pi);
  E = malloc(m * k * sizeof *E);
  S = malloc(d * d * sizeof *S);
  Vpi = malloc(d * d * sizeof *Vpi);
  T = malloc(d * sizeof *T);
  tmp = malloc(d * d * sizeof *tmp);
  s = malloc((l + k) * sizeof *s);
  U = malloc(l * l * sizeof *U);
  VT = malloc(k * k * sizeof *VT);
  work = malloc((size_t)lwork * sizeof *work);
  A = malloc(l * lq * sizeof *A);
  Bv = malloc(k * sizeof *Bv);
  KR = malloc(lq * d * sizeof *KR);
  KRf = malloc(d * d * sizeof *KRf);
  Vt = malloc(d * d * sizeof *Vt);
  lam = malloc(lq * sizeof *lam);
  om = malloc(lq * lq * sizeof *om);
  if (!zz || !xx || !F || !Gm || !Gi || !pi || !E || !S || !Vpi || !T || !tmp || !s || !U || !VT || !work || !A ||
      !Bv || !KR || !KRf || !Vt || !lam || !om)
    goto done;
  cross(Z, l, Z, l, m, zz);
  cross(X, k, X, k, m, xx);
  if (chol_upper(zz, l, F) || chol_upper(xx, k, Gm)) goto done;
  memcpy(E, X, m * k * sizeof *E);
  if (partial_out(E, k, Z, l, m, pi)) goto done;
  if (!wald) memcpy(E, X, m * k * sizeof *E);
  if (cluster_meat(Z, l, E, k, m, g, G, S)) goto done;
  /* V_pi = (I_k x zzi) S (I_k x zzi) */
  {
    double *zzi = malloc(l * l * sizeof *zzi), *Kz;
    if (!zzi) goto done;
    cross(Z, l, Z, l, m, zzi);
    if (spd_inv(zzi, l)) {
      free(zzi);
      goto done;
    }
    Kz = calloc(d * d, sizeof *Kz);
    if (!Kz) {
      free(zzi);
      goto done;
    }
    for (size_t b = 0; b < k; b++)
      for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < l; j++) Kz[(b * l + i) + (b * l + j) * d] = zzi[i + j * l];
    mul(Kz, S, d, d, d, tmp);
    mul(tmp, Kz, d, d, d, Vpi);
    free(zzi);
    free(Kz);
  }
  /* Gi = G^-1; Theta = F pi Gi; vec Theta = (Gi' x F) vec pi */
  memcpy(Gi, Gm, k * k * sizeof *Gi);
  if (gen_inv(Gi, k)) goto done;
  mul(F, pi, l, l, k, tmp);
  mul(tmp, Gi, l, k, k, T);
  for (size_t b = 0; b < k; b++)
    for (size_t i = 0; i < l; i++)
      for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < l; j++) KRf[(b * l + i) + (c * l + j) * d] = Gi[c + b * k] * F[i + j * l];
  mul(KRf, Vpi, d, d, d, tmp);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double acc = 0.0;
      for (size_t r = 0; r < d; r++) acc += tmp[i + r * d] * KRf[j + r * d];
      Vt[i + j * d] = acc;
    }
  /* SVD of Theta (l x k) */
  memcpy(tmp, T, d * sizeof *T);
  dgesvd_("A", "A", &il, &ik, tmp, &il, s, U, &il, VT, &ik, work, &lwork, &info);
  if (info) goto done;
  {
    /* A = U_2 U_22^-1 (U_22 U_22')^1/2: U_2 the last lq columns, U_22 its last lq rows */
    double *u22 = malloc(lq * lq * sizeof *u22), *uu = malloc(lq * lq * sizeof *uu), *r = malloc(lq * lq * sizeof *r);
    double *m2 = malloc(lq * lq * sizeof *m2), v22, b0;
    int ok = u22 && uu && r && m2;
    if (ok) {
      for (size_t i = 0; i < lq; i++)
        for (size_t j = 0; j < lq; j++) u22[i + j * lq] = U[(q + i) + (q + j) * l];
      for (size_t i = 0; i < lq; i++)
        for (size_t j = 0; j < lq; j++) {
          double acc = 0.0;
          for (size_t c = 0; c < lq; c++) acc += u22[i + c * lq] * u22[j + c * lq];
          uu[i + j * lq] = acc;
        }
      ok = !sym_sqrt(uu, lq, r) && !gen_inv(u22, lq);
    }
    if (ok) {
      mul(u22, r, lq, lq, lq, m2);
      for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < lq; j++) {
          double acc = 0.0;
          for (size_t c = 0; c < lq; c++) acc += U[i + (q + c) * l] * m2[c + j * lq];
          A[i + j * l] = acc;
        }
      /* B (1 x k) = |v22| / v22 * V_2', V_2 the last column of V (row q of VT) */
      v22 = VT[q + q * k];
      b0 = v22 < 0 ? -1.0 : 1.0;
      for (size_t c = 0; c < k; c++) Bv[c] = b0 * VT[q + c * k];
    }
    free(u22);
    free(uu);
    free(r);
    free(m2);
    if (!ok) goto done;
  }
  /* KR = B x A' (lq x d): element (j, c*l + i) = B_c A_ij */
  for (size_t j = 0; j < lq; j++)
    for (size_t c = 0; c < k; c++)
      for (size_t i = 0; i < l; i++) KR[j + (c * l + i) * lq] = Bv[c] * A[i + j * l];
  mul(KR, T, lq, d, 1, lam);
  mul(KR, Vt, lq, d, d, tmp);
  for (size_t i = 0; i < lq; i++)
    for (size_t j = 0; j < lq; j++) {
      double acc = 0.0;
      for (size_t r = 0; r < d; r++) acc += tmp[i + r * lq] * KR[j + r * lq];
      om[i + j * lq] = acc;
    }
  if (spd_inv(om, lq)) goto done;
  rk = 0.0;
  for (size_t i = 0; i < lq; i++)
    for (size_t j = 0; j < lq; j++) rk += lam[i] * om[i + j * lq] * lam[j];
done:
  free(zz);
  free(xx);
  free(F);
  free(Gm);
  free(Gi);
  free(pi);
  free(E);
  free(S);
  free(Vpi);
  free(T);
  free(tmp);
  free(s);
  free(U);
  free(VT);
  free(work);
  free(A);
  free(Bv);
  free(KR);
  free(KRf);
  free(Vt);
  free(lam);
  free(om);
  return rk;
}

void spill_iv_result_free(spill_iv_result *r)
{
  if (!r) return;
  for (size_t j = 0; j < r->k; j++) free(r->names ? r->names[j] : NULL);
  free(r->names);
  for (size_t j = 0; j < r->n_instr; j++) free(r->instr_names ? r->instr_names[j] : NULL);
  free(r->instr_names);
  for (size_t j = 0; r->first && j < r->n_endog; j++) {
    free(r->first[j].endog);
    free(r->first[j].coef);
    free(r->first[j].se);
  }
  free(r->first);
  free(r->coef);
  free(r->se);
  free(r->vcov);
  free(r->cluster_name);
  free(r->y_name);
  free(r);
}

static const double *column(const spill_panel *p, size_t idx)
{
  return idx == SPILL_IV_D ? p->d : p->x + idx * (size_t)(p->n * p->t);
}

static const char *colname(const spill_panel *p, size_t idx)
{
  return idx == SPILL_IV_D ? (p->d_name ? p->d_name : "treatment") : p->x_names[idx];
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Second-stage small-sample factor (Stata ivreg2/ivreghdfe with small and
 * xtreg, fe vce(cluster); Cameron and Miller 2015, sec. VI.A):
 * c = G/(G-1) (N-1)/(N-K), K = regressors + the constant (with any fixed
 * effects) + the time dummies (T-1) + unit dummies (N_u - 1) unless the units
 * are nested in the clusters (then they are not counted, as reghdfe). */
spill_iv_result *spill_iv_fit(spill_ctx *ctx, const spill_panel *p, const spill_iv_opts *o)
{
  int64_t n = p->n, t = p->t;
  size_t m = (size_t)(n * t), k1 = o->n_endog, l1 = o->n_instr, k2 = o->n_exog, kc, K, L;
  spill_iv_result *r = NULL;
  spill__wplan *pl = NULL;
  double *y = NULL, *X = NULL, *Z = NULL, *Xh = NULL, *E = NULL, *meat = NULL, *xtx = NULL;
  int64_t *g = NULL, *codes = NULL, G = 0;
  int unit = o->fe == SPILL_FE_UNIT || o->fe == SPILL_FE_TWOWAYS;
  int time = o->fe == SPILL_FE_TIME || o->fe == SPILL_FE_TWOWAYS, nested = 1, ok = 0, cons = o->fe == SPILL_FE_NONE;
  double N, Kfs, cfs, c2;
  if (k1 < 1) {
    spill__fail(ctx, SPILL_EINVAL, "IV: no endogenous regressor given (--endog)");
    return NULL;
  }
  if (l1 < k1) {
    spill__fail(ctx, SPILL_EINVAL,
                "IV: %zu excluded instrument%s for %zu endogenous regressor%s: the equation is not identified "
                "(give at least as many --instr columns as --endog columns)",
                l1, l1 == 1 ? "" : "s", k1, k1 == 1 ? "" : "s");
    return NULL;
  }
  if (o->fe == SPILL_FE_RANDOM) {
    spill__fail(ctx, SPILL_EINVAL, "IV: random effects are not supported; use fixed effects");
    return NULL;
  }
  for (size_t j = 0; j < k1; j++)
    if (o->endog[j] == SPILL_IV_D ? !p->d : o->endog[j] >= p->nx) {
      spill__fail(ctx, SPILL_EINVAL, "IV: endogenous column %zu is not in the panel", j + 1);
      return NULL;
    }
  for (size_t j = 0; j < l1; j++)
    if (o->instr[j] == SPILL_IV_D ? !p->d : o->instr[j] >= p->nx) {
      spill__fail(ctx, SPILL_EINVAL, "IV: instrument column %zu is not in the panel", j + 1);
      return NULL;
    }
  for (size_t j = 0; j < k2; j++)
    if (o->exog[j] == SPILL_IV_D ? !p->d : o->exog[j] >= p->nx) {
      spill__fail(ctx, SPILL_EINVAL, "IV: exogenous column %zu is not in the panel", j + 1);
      return NULL;
    }
  kc = k2 + (size_t)cons; /* exogenous columns incl. the constant */
  K = k1 + kc;
  L = l1 + kc;
  r = spill__calloc(ctx, 1, sizeof *r);
  if (!r) return NULL;
  r->fe = o->fe;
  r->n = n;
  r->t = t;
  r->n_endog = k1;
  r->n_instr = l1;
  r->n_exog = k2;
  r->k = K;
  r->hansen_j = r->hansen_j_p = NAN;
  if (!(pl = spill__wplan_new(ctx, n, t, o->fe == SPILL_FE_NONE ? SPILL_FE_NONE : o->fe, p->obs))) goto done;
  r->nobs = spill__wplan_nobs(pl);
  r->units = spill__wplan_units(pl);
  r->absorbed = (double)spill__wplan_absorbed(pl);
  N = (double)r->nobs;
  y = spill__malloc(ctx, m * sizeof *y);
  X = spill__malloc(ctx, m * K * sizeof *X);
  Z = spill__malloc(ctx, m * L * sizeof *Z);
  Xh = spill__malloc(ctx, m * K * sizeof *Xh);
  E = spill__malloc(ctx, m * (K > 1 ? K : 1) * sizeof *E);
  g = spill__malloc(ctx, m * sizeof *g);
  codes = spill__malloc(ctx, m * sizeof *codes);
  meat = spill__malloc(ctx, (K + L) * (K + L) * sizeof *meat);
  xtx = spill__malloc(ctx, (K + L) * (K + L) * sizeof *xtx);
  r->names = spill__calloc(ctx, K, sizeof *r->names);
  r->instr_names = spill__calloc(ctx, l1, sizeof *r->instr_names);
  r->first = spill__calloc(ctx, k1, sizeof *r->first);
  r->coef = spill__malloc(ctx, K * sizeof *r->coef);
  r->se = spill__malloc(ctx, K * sizeof *r->se);
  r->vcov = spill__malloc(ctx, K * K * sizeof *r->vcov);
  r->y_name = spill__strdup(ctx, p->y_name ? p->y_name : "y");
  r->cluster_name = spill__strdup(ctx, o->cluster_name ? o->cluster_name : "unit");
  if (!y || !X || !Z || !Xh || !E || !g || !codes || !meat || !xtx || !r->names || !r->instr_names || !r->first ||
      !r->coef || !r->se || !r->vcov || !r->y_name || !r->cluster_name)
    goto done;
  /* columns, within-transformed (0 on unobserved cells) */
  spill__wplan_apply(pl, p->y, y);
  for (size_t j = 0; j < k1; j++) {
    spill__wplan_apply(pl, column(p, o->endog[j]), X + j * m);
    if (!(r->names[j] = spill__strdup(ctx, colname(p, o->endog[j])))) goto done;
  }
  for (size_t j = 0; j < k2; j++) {
    spill__wplan_apply(pl, column(p, o->exog[j]), X + (k1 + j) * m);
    if (!(r->names[k1 + j] = spill__strdup(ctx, colname(p, o->exog[j])))) goto done;
  }
  if (cons) {
    for (size_t q = 0; q < m; q++) X[(K - 1) * m + q] = p->obs && !p->obs[q] ? 0.0 : 1.0;
    if (!(r->names[K - 1] = spill__strdup(ctx, "(constant)"))) goto done;
  }
  for (size_t j = 0; j < l1; j++) {
    double ss = 0.0, raw = 0.0;
    const double *src = column(p, o->instr[j]);
    spill__wplan_apply(pl, src, Z + j * m);
    for (size_t q = 0; q < m; q++) {
      ss += Z[j * m + q] * Z[j * m + q];
      if (!p->obs || p->obs[q]) raw += src[q] * src[q];
    }
    if (!(r->instr_names[j] = spill__strdup(ctx, colname(p, o->instr[j])))) goto done;
    if (!(ss > 1e-12 * (raw > 0 ? raw : 1.0))) {
      spill__fail(ctx, SPILL_EDATA,
                  "IV: instrument %s is collinear with the %s (no variation left after the within transform); "
                  "use an instrument that varies within units and periods",
                  r->instr_names[j], o->fe == SPILL_FE_NONE ? "constant" : "fixed effects");
      goto done;
    }
  }
  memcpy(Z + l1 * m, X + k1 * m, m * kc * sizeof *Z);
  /* clusters: codes over observed cells, mapped to 0..G-1 */
  {
    size_t cnt = 0;
    for (size_t q = 0; q < m; q++)
      if (!p->obs || p->obs[q]) codes[cnt++] = o->cluster ? o->cluster[q] : (int64_t)(q % (size_t)n);
    qsort(codes, cnt, sizeof *codes, cmp_i64);
    for (size_t q = 0; q < cnt; q++)
      if (q == 0 || codes[q] != codes[q - 1]) codes[G++] = codes[q];
    for (size_t q = 0; q < m; q++) {
      if (p->obs && !p->obs[q]) {
        g[q] = -1;
        continue;
      }
      int64_t key = o->cluster ? o->cluster[q] : (int64_t)(q % (size_t)n), *hit;
      hit = bsearch(&key, codes, (size_t)G, sizeof *codes, cmp_i64);
      g[q] = hit - codes;
    }
    r->clusters = G;
    if (G < 2) {
      spill__fail(ctx, SPILL_EDATA, "IV: cluster-robust SEs need at least two clusters (%lld found)", (long long)G);
      goto done;
    }
    /* are units nested in the clusters? */
    for (int64_t i = 0; i < n && nested; i++) {
      int64_t first = -1;
      for (int64_t s = 0; s < t; s++) {
        int64_t gq = g[s * n + i];
        if (gq < 0) continue;
        if (first < 0) first = gq;
        else if (gq != first) nested = 0;
      }
    }
  }
  {
    double kfe = (unit || time ? 1.0 : 0.0) + (time ? (double)(t - 1) : 0.0) +
                 (unit && !nested ? (double)(r->units - 1) : 0.0);
    if (o->fe == SPILL_FE_NONE) kfe = 0.0; /* the constant is a column */
    r->df_k = (double)K + kfe;
    Kfs = (double)L + kfe;
  }
  if (N - r->df_k <= 0 || N - r->absorbed - (double)L <= 0) {
    spill__fail(ctx, SPILL_EDATA, "IV: no residual degrees of freedom (%lld observations)", (long long)r->nobs);
    goto done;
  }
  c2 = ((double)G / (double)(G - 1)) * ((N - 1.0) / (N - r->df_k));
  cfs = ((double)G / (double)(G - 1)) * ((N - 1.0) / (N - Kfs));
  /* instrument rank */
  cross(Z, L, Z, L, m, xtx);
  if (spd_inv(xtx, L)) {
    spill__fail(ctx, SPILL_EDATA,
                "IV: the instruments and exogenous regressors are collinear (after the fixed effects); drop one");
    goto done;
  }
  /* first stages: X_j on Z; Xh = P_Z X */
  memcpy(Xh, X, m * K * sizeof *X);
  {
    double *pi = spill__malloc(ctx, L * K * sizeof *pi), *res = spill__malloc(ctx, m * k1 * sizeof *res);
    double *S = spill__malloc(ctx, L * L * sizeof *S), *V = spill__malloc(ctx, L * L * sizeof *V);
    double *tmp = spill__malloc(ctx, L * L * sizeof *tmp), *zzi = xtx;
    if (!pi || !res || !S || !V || !tmp) {
      free(pi);
      free(res);
      free(S);
      free(V);
      free(tmp);
      goto done;
    }
    memcpy(res, X, m * k1 * sizeof *res);
    partial_out(res, k1, Z, L, m, pi);
    for (size_t j = 0; j < k1; j++) {
      spill_iv_first *f = &r->first[j];
      double sst = 0.0, ssr_r = 0.0, ssr = 0.0;
      f->endog = spill__strdup(ctx, r->names[j]);
      f->coef = spill__malloc(ctx, L * sizeof *f->coef);
      f->se = spill__malloc(ctx, L * sizeof *f->se);
      if (!f->endog || !f->coef || !f->se) {
        free(pi);
        free(res);
        free(S);
        free(V);
        free(tmp);
        goto done;
      }
      cluster_meat(Z, L, res + j * m, 1, m, g, G, S);
      mul(zzi, S, L, L, L, tmp);
      mul(tmp, zzi, L, L, L, V);
      for (size_t a = 0; a < L; a++) {
        f->coef[a] = pi[a + j * L];
        f->se[a] = sqrt(cfs * V[a + a * L]);
      }
      /* Wald F of the excluded instruments: pi_1' (c V_11)^-1 pi_1 / l1 */
      {
        double *v11 = spill__malloc(ctx, l1 * l1 * sizeof *v11), w = 0.0;
        if (!v11) {
          free(pi);
          free(res);
          free(S);
          free(V);
          free(tmp);
          goto done;
        }
        for (size_t a = 0; a < l1; a++)
          for (size_t b = 0; b < l1; b++) v11[a + b * l1] = cfs * V[a + b * L];
        if (!spd_inv(v11, l1))
          for (size_t a = 0; a < l1; a++)
            for (size_t b = 0; b < l1; b++) w += f->coef[a] * v11[a + b * l1] * f->coef[b];
        else w = NAN;
        f->f = w / (double)l1;
        free(v11);
      }
      /* partial R2 of the excluded instruments (after exog and FE) */
      {
        double *xr = spill__malloc(ctx, m * sizeof *xr);
        if (xr) {
          memcpy(xr, X + j * m, m * sizeof *xr);
          partial_out(xr, 1, Z + l1 * m, kc, m, NULL);
          for (size_t q = 0; q < m; q++) {
            sst += xr[q] * xr[q];
            ssr += res[j * m + q] * res[j * m + q];
          }
          ssr_r = sst;
          f->partial_r2 = ssr_r > 0 ? 1.0 - ssr / ssr_r : NAN;
          free(xr);
        }
      }
      for (size_t q = 0; q < m; q++) Xh[j * m + q] = X[j * m + q] - res[j * m + q];
    }
    free(pi);
    free(res);
    free(S);
    free(V);
    free(tmp);
  }
  /* second stage: b = (Xh'Xh)^-1 Xh'y, e = y - X b */
  cross(Xh, K, Xh, K, m, xtx);
  if (spd_inv(xtx, K)) {
    spill__fail(ctx, SPILL_EDATA, "IV: the second-stage regressors are collinear (after the fixed effects)");
    goto done;
  }
  {
    double *xy = spill__malloc(ctx, K * sizeof *xy), *tmp = spill__malloc(ctx, K * K * sizeof *tmp);
    double sse = 0.0, sst = 0.0;
    if (!xy || !tmp) {
      free(xy);
      free(tmp);
      goto done;
    }
    cross(Xh, K, y, 1, m, xy);
    mul(xtx, xy, K, K, 1, r->coef);
    for (size_t q = 0; q < m; q++) {
      double f = 0.0;
      for (size_t j = 0; j < K; j++) f += X[j * m + q] * r->coef[j];
      E[q] = (p->obs && !p->obs[q]) ? 0.0 : y[q] - f;
      sse += E[q] * E[q];
      sst += y[q] * y[q];
    }
    r->sigma2 = sse / (N - (double)K - r->absorbed);
    r->r2_within = sst > 0 ? 1.0 - sse / sst : NAN;
    cluster_meat(Xh, K, E, 1, m, g, G, meat);
    mul(xtx, meat, K, K, K, tmp);
    mul(tmp, xtx, K, K, K, meat);
    for (size_t a = 0; a < K; a++)
      for (size_t b = 0; b < K; b++) r->vcov[a * K + b] = c2 * meat[a + b * K];
    for (size_t j = 0; j < K; j++) r->se[j] = sqrt(r->vcov[j * K + j]);
    free(xy);
    free(tmp);
  }
  /* Hansen J (overidentified): the minimised two-step efficient GMM
   * criterion with the cluster-robust weight from the 2SLS residuals, as
   * ivreg2 reports it with robust/cluster (Hayashi 2000, sec. 3.6). */
  if (l1 > k1) {
    double *S = spill__malloc(ctx, L * L * sizeof *S), *zx = spill__malloc(ctx, L * K * sizeof *zx);
    double *zy = spill__malloc(ctx, L * sizeof *zy), *a = spill__malloc(ctx, K * L * sizeof *a);
    double *h = spill__malloc(ctx, K * K * sizeof *h), *bg = spill__malloc(ctx, K * sizeof *bg);
    double *hv = spill__malloc(ctx, K * sizeof *hv), *ze = spill__malloc(ctx, L * sizeof *ze);
    double *e2 = spill__malloc(ctx, m * sizeof *e2);
    if (S && zx && zy && a && h && bg && hv && ze && e2) {
      cluster_meat(Z, L, E, 1, m, g, G, S);
      if (!spd_inv(S, L)) {
        cross(Z, L, X, K, m, zx);
        cross(Z, L, y, 1, m, zy);
        /* a = X'Z S^-1 (K x L) */
        for (size_t i = 0; i < K; i++)
          for (size_t j = 0; j < L; j++) {
            double acc = 0.0;
            for (size_t q = 0; q < L; q++) acc += zx[q + i * L] * S[q + j * L];
            a[i + j * K] = acc;
          }
        mul(a, zx, K, L, K, h);
        mul(a, zy, K, L, 1, hv);
        if (!spd_inv(h, K)) {
          double jv = 0.0;
          mul(h, hv, K, K, 1, bg);
          for (size_t q = 0; q < m; q++) {
            double f = 0.0;
            for (size_t j = 0; j < K; j++) f += X[j * m + q] * bg[j];
            e2[q] = (p->obs && !p->obs[q]) ? 0.0 : y[q] - f;
          }
          cross(Z, L, e2, 1, m, ze);
          for (size_t i = 0; i < L; i++)
            for (size_t j = 0; j < L; j++) jv += ze[i] * S[i + j * L] * ze[j];
          r->hansen_j = jv;
          r->j_df = (int)(l1 - k1);
          r->hansen_j_p = spill__chi2_sf(jv, (double)r->j_df);
        }
      }
    }
    free(S);
    free(zx);
    free(zy);
    free(a);
    free(h);
    free(bg);
    free(hv);
    free(ze);
    free(e2);
  }
  /* identification: partial the exogenous columns out of X1 and Z1 */
  {
    double *x1 = spill__malloc(ctx, m * k1 * sizeof *x1), *z1 = spill__malloc(ctx, m * l1 * sizeof *z1);
    if (!x1 || !z1) {
      free(x1);
      free(z1);
      goto done;
    }
    memcpy(x1, X, m * k1 * sizeof *x1);
    memcpy(z1, Z, m * l1 * sizeof *z1);
    partial_out(x1, k1, Z + l1 * m, kc, m, NULL);
    partial_out(z1, l1, Z + l1 * m, kc, m, NULL);
    r->kp_df = (int)(l1 - k1 + 1);
    r->kp_rk_lm = kp_rk(x1, k1, z1, l1, m, g, G, 0);
    r->kp_rk_lm_p = spill__chi2_sf(r->kp_rk_lm, (double)r->kp_df);
    r->kp_rk_wald = kp_rk(x1, k1, z1, l1, m, g, G, 1);
    /* ivreg2: rk Wald F = rk / L1 (N - L - dofminus)/(N - 1) (G - 1)/G with
     * cluster; here N - L - dofminus = N - Kfs (the first-stage K), so that
     * with one endogenous regressor and one instrument it is the squared
     * cluster-robust first-stage t. */
    r->kp_rk_wald_f = r->kp_rk_wald / (double)l1 * ((N - Kfs) / (N - 1.0)) * ((double)(G - 1) / (double)G);
    /* Cragg-Donald (1993) F as ivreg2: (N - L - absorbed)/L1 times the
     * smallest eigenvalue of (X1'M X1)^-1 X1'P X1 (Stock and Yogo 2005, eq. 3.8) */
    {
      double *xpx = spill__malloc(ctx, k1 * k1 * sizeof *xpx), *xmx = spill__malloc(ctx, k1 * k1 * sizeof *xmx);
      double *res = spill__malloc(ctx, m * k1 * sizeof *res), *R = spill__malloc(ctx, k1 * k1 * sizeof *R);
      double *w = spill__malloc(ctx, k1 * sizeof *w), *tmp = spill__malloc(ctx, k1 * k1 * sizeof *tmp);
      r->cragg_donald_f = NAN;
      if (xpx && xmx && res && R && w && tmp) {
        memcpy(res, x1, m * k1 * sizeof *res);
        partial_out(res, k1, z1, l1, m, NULL);
        cross(res, k1, res, k1, m, xmx);
        cross(x1, k1, x1, k1, m, xpx);
        for (size_t q = 0; q < k1 * k1; q++) xpx[q] -= xmx[q];
        if (!chol_upper(xmx, k1, R) && !gen_inv(R, k1)) {
          /* R^-T xpx R^-1 */
          double *t2 = spill__malloc(ctx, k1 * k1 * sizeof *t2);
          if (t2) {
            mul(xpx, R, k1, k1, k1, tmp);
            for (size_t i = 0; i < k1; i++)
              for (size_t j = 0; j < k1; j++) {
                double acc = 0.0;
                for (size_t q = 0; q < k1; q++) acc += R[q + i * k1] * tmp[q + j * k1];
                t2[i + j * k1] = acc;
              }
            if (!sym_eig(t2, k1, w))
              r->cragg_donald_f = w[0] * (N - (double)L - r->absorbed) / (double)l1;
            free(t2);
          }
        }
      }
      free(xpx);
      free(xmx);
      free(res);
      free(R);
      free(w);
      free(tmp);
    }
    free(x1);
    free(z1);
  }
  ok = 1;
done:
  spill__wplan_free(pl);
  free(y);
  free(X);
  free(Z);
  free(Xh);
  free(E);
  free(g);
  free(codes);
  free(meat);
  free(xtx);
  if (!ok) {
    spill_iv_result_free(r);
    return NULL;
  }
  return r;
}

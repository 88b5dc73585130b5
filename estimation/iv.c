/* IV-2SLS with absorbed unit/time fixed effects and cluster-robust SEs, as
 * Stata ivreg2/ivreghdfe report it: both stages, the Kleibergen-Paap (2006)
 * rk LM and rk Wald F statistics, the Cragg-Donald F and Hansen's J. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/absorb.h"
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

/* The clusterings of the sandwiches: one-way (g[0]; robust is one-way with
 * each observation its own cluster) or two-way (g[0], g[1] and their
 * intersection g[2]); codes 0..G-1 on the sample, -1 off it. */
typedef struct iv_clus {
  int64_t *g[3];
  int64_t G[3];
  int ways;
} iv_clus;

/* S = the one-way meat, or S_1 + S_2 - S_12 with two-way clustering
 * (Cameron, Gelbach and Miller 2011, eq. 2.11; ivreg2's cluster(A B): no
 * small-sample factor inside, none applied to the pieces). */
static int meat_of(const double *A, size_t k, const double *E, size_t ne, size_t m, const iv_clus *c, double *S)
{
  size_t d = k * ne;
  double *T;
  if (cluster_meat(A, k, E, ne, m, c->g[0], c->G[0], S)) return -1;
  if (c->ways < 2) return 0;
  if (!(T = malloc(d * d * sizeof *T))) return -1;
  if (cluster_meat(A, k, E, ne, m, c->g[1], c->G[1], T)) {
    free(T);
    return -1;
  }
  for (size_t q = 0; q < d * d; q++) S[q] += T[q];
  if (cluster_meat(A, k, E, ne, m, c->g[2], c->G[2], T)) {
    free(T);
    return -1;
  }
  for (size_t q = 0; q < d * d; q++) S[q] -= T[q];
  free(T);
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
 * S the cluster sum of vec(Z_g' E_g) (two-way: S_1 + S_2 - S_12). E is the first-stage residual (Wald
 * version) or X itself (LM version: the scores under Pi = 0, as ranktest). */
static double kp_rk(const double *X, size_t k, const double *Z, size_t l, size_t m, const iv_clus *cl, int wald)
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
  if (meat_of(Z, l, E, k, m, cl, S)) goto done;
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
  free(r->absorb);
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

/* g[q] = the rank of raw[q] among the distinct raw values on the sample
 * (keep), -1 off it; returns the number of groups, -1 out of memory. */
static int64_t densify(const int64_t *raw, const unsigned char *keep, size_t m, int64_t *g)
{
  int64_t *u = malloc((m ? m : 1) * sizeof *u), G = 0;
  size_t cnt = 0;
  if (!u) return -1;
  for (size_t q = 0; q < m; q++)
    if (keep[q]) u[cnt++] = raw[q];
  qsort(u, cnt, sizeof *u, cmp_i64);
  for (size_t q = 0; q < cnt; q++)
    if (q == 0 || u[q] != u[q - 1]) u[G++] = u[q];
  for (size_t q = 0; q < m; q++) {
    int64_t *hit = keep[q] ? bsearch(&raw[q], u, (size_t)G, sizeof *u, cmp_i64) : NULL;
    g[q] = hit ? hit - u : -1;
  }
  free(u);
  return G;
}

/* The sample, the fixed-effect terms and the clusterings of an IV fit. */
typedef struct iv_design {
  unsigned char *keep;     /* n*t: observed and not a singleton */
  spill__fe_term *terms;   /* unit, time (as fe says), then the --absorb terms */
  int32_t **codes;         /* owned term codes */
  double **slopes;
  size_t nterm, nextra;
  iv_clus cl;
  int32_t *c32[2];         /* the clusterings as int32 (for the dof count) */
} iv_design;

static void design_free(iv_design *d)
{
  for (size_t q = 0; q < d->nterm; q++) {
    free(d->codes ? d->codes[q] : NULL);
    free(d->slopes ? d->slopes[q] : NULL);
  }
  free(d->codes);
  free(d->slopes);
  free(d->terms);
  free(d->keep);
  for (int w = 0; w < 3; w++) free(d->cl.g[w]);
  free(d->c32[0]);
  free(d->c32[1]);
}

/* Build the sample, the terms and the clusterings; fills r->singletons,
 * clusters*, robust, cluster_name, absorb. */
static int iv_design_build(spill_ctx *ctx, const spill_panel *p, const spill_iv_opts *o, spill_iv_result *r,
                           iv_design *d)
{
  int64_t n = p->n, t = p->t;
  size_t m = (size_t)(n * t);
  int unit = o->fe == SPILL_FE_UNIT || o->fe == SPILL_FE_TWOWAYS;
  int time = o->fe == SPILL_FE_TIME || o->fe == SPILL_FE_TWOWAYS;
  int rc = SPILL_ENOMEM;
  spill__table *tb = NULL;
  long cid = -1;
  int64_t *raw = NULL;
  char names[2][128] = {"", ""};
  const char *vce = o->vce;
  int ways = 1;
  memset(d, 0, sizeof *d);
  d->nextra = o->n_absorb;
  d->nterm = (size_t)unit + (size_t)time + o->n_absorb;
  d->keep = spill__malloc(ctx, m ? m : 1);
  d->terms = spill__calloc(ctx, d->nterm + 1, sizeof *d->terms);
  d->codes = spill__calloc(ctx, d->nterm + 1, sizeof *d->codes);
  d->slopes = spill__calloc(ctx, d->nterm + 1, sizeof *d->slopes);
  raw = spill__malloc(ctx, (m ? m : 1) * sizeof *raw);
  if (!d->keep || !d->terms || !d->codes || !d->slopes || !raw) goto done;
  for (size_t q = 0; q < m; q++) d->keep[q] = !p->obs || p->obs[q];
  if (vce && !strcmp(vce, "robust")) r->robust = 1;
  else if (vce && !strncmp(vce, "cluster ", 8) && vce[8]) {
    const char *h = strchr(vce + 8, '#');
    snprintf(names[0], sizeof names[0], "%.*s", h ? (int)(h - vce - 8) : (int)strlen(vce + 8), vce + 8);
    if (h) snprintf(names[1], sizeof names[1], "%s", h + 1), ways = 2;
    if (!*names[0] || (h && (!*names[1] || strchr(names[1], '#')))) {
      rc = spill__fail(ctx, SPILL_EINVAL, "--vce '%s': expected cluster COL or cluster COL1#COL2", vce);
      goto done;
    }
  } else if (vce) {
    rc = spill__fail(ctx, SPILL_EINVAL, "--vce '%s': expected robust, cluster COL or cluster COL1#COL2", vce);
    goto done;
  }
  if (o->n_absorb || *names[0]) {
    if (!o->path || !o->id_col || !o->time_col) {
      rc = spill__fail(ctx, SPILL_EINVAL, "IV: absorbed effects and named clusters need the panel file and its id "
                                          "and time columns");
      goto done;
    }
    if (!(tb = spill__table_read(ctx, o->path))) {
      rc = ctx->status;
      goto done;
    }
    if ((cid = spill__table_require_col(ctx, tb, o->id_col)) < 0) {
      rc = ctx->status;
      goto done;
    }
  }
  /* terms: unit and period effects (their dof count is exact), then --absorb */
  {
    size_t q = 0;
    if (unit || time) {
      for (int w = 0; w < 2; w++) {
        if (!(w ? time : unit)) continue;
        if (!(d->codes[q] = spill__malloc(ctx, (m ? m : 1) * sizeof(int32_t)))) goto done;
        for (int64_t s = 0; s < t; s++)
          for (int64_t i = 0; i < n; i++) d->codes[q][s * n + i] = (int32_t)(w ? s : i);
        d->terms[q] = (spill__fe_term){d->codes[q], (int32_t)(w ? t : n), NULL};
        q++;
      }
    }
    for (size_t a = 0; a < o->n_absorb; a++, q++) {
      int32_t lv = 0;
      if (spill__absorb_term(ctx, tb, cid, o->id_col, o->time_col, o->absorb[a], p, &d->codes[q], &lv,
                             &d->slopes[q])) {
        spill__fail_prefix(ctx, "--absorb %s: ", o->absorb[a]);
        rc = ctx->status;
        goto done;
      }
      d->terms[q] = (spill__fe_term){d->codes[q], lv, d->slopes[q]};
    }
  }
  /* singletons (ivreghdfe drops them, as reghdfe) */
  r->singletons = d->nterm ? spill__absorb_singletons(d->terms, d->nterm, (int64_t)m, d->keep) : 0;
  if (r->singletons)
    spill__notice(ctx, "IV: %lld singleton observation%s dropped (alone in a fixed-effect level)",
                  (long long)r->singletons, r->singletons == 1 ? "" : "s");
  /* clusterings */
  d->cl.ways = ways;
  for (int w = 0; w < ways; w++) {
    if (!(d->cl.g[w] = spill__malloc(ctx, (m ? m : 1) * sizeof(int64_t)))) goto done;
    if (*names[w]) {
      int32_t lv = 0, *c = spill__malloc(ctx, (m ? m : 1) * sizeof *c);
      if (!c) goto done;
      if (spill__absorb_factor(ctx, tb, cid, o->id_col, o->time_col, names[w], p, c, &lv)) {
        free(c);
        spill__fail_prefix(ctx, "--vce cluster %s: ", names[w]);
        rc = ctx->status;
        goto done;
      }
      for (size_t q = 0; q < m; q++) raw[q] = c[q];
      free(c);
    } else {
      for (size_t q = 0; q < m; q++)
        raw[q] = r->robust ? (int64_t)q : o->cluster ? o->cluster[q] : (int64_t)(q % (size_t)n);
    }
    if ((d->cl.G[w] = densify(raw, d->keep, m, d->cl.g[w])) < 0) goto done;
  }
  if (ways == 2) {
    if (!(d->cl.g[2] = spill__malloc(ctx, (m ? m : 1) * sizeof(int64_t)))) goto done;
    for (size_t q = 0; q < m; q++) raw[q] = d->keep[q] ? d->cl.g[0][q] * d->cl.G[1] + d->cl.g[1][q] : 0;
    if ((d->cl.G[2] = densify(raw, d->keep, m, d->cl.g[2])) < 0) goto done;
  }
  for (int w = 0; w < ways && !r->robust; w++) {
    if (!(d->c32[w] = spill__malloc(ctx, (m ? m : 1) * sizeof(int32_t)))) goto done;
    for (size_t q = 0; q < m; q++) d->c32[w][q] = (int32_t)(d->cl.g[w][q] < 0 ? 0 : d->cl.g[w][q]);
  }
  r->clusters1 = d->cl.G[0];
  r->clusters2 = ways == 2 ? d->cl.G[1] : 0;
  r->clusters = ways == 2 && d->cl.G[1] < d->cl.G[0] ? d->cl.G[1] : d->cl.G[0];
  {
    char buf[300];
    if (r->robust) snprintf(buf, sizeof buf, "robust");
    else if (ways == 2) snprintf(buf, sizeof buf, "%s#%s", names[0], names[1]);
    else snprintf(buf, sizeof buf, "%s", *names[0] ? names[0] : o->cluster_name ? o->cluster_name : "unit");
    free(r->cluster_name);
    if (!(r->cluster_name = spill__strdup(ctx, buf))) goto done;
    buf[0] = 0;
    for (size_t a = 0, off = 0; a < o->n_absorb && off + 2 < sizeof buf; a++)
      off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", a ? "," : "", o->absorb[a]);
    if (!(r->absorb = spill__strdup(ctx, buf))) goto done;
  }
  rc = SPILL_OK;
done:
  free(raw);
  spill__table_free(tb);
  return rc == SPILL_ENOMEM && ctx->status != SPILL_ENOMEM ? spill__fail(ctx, SPILL_ENOMEM, "IV: out of memory") : rc;
}

/* 1 when column a of the list appears again (or in another list). */
static const char *also_regressor(const spill_panel *p, const spill_iv_opts *o)
{
  for (size_t j = 0; j < o->n_instr; j++) {
    for (size_t a = 0; a < o->n_endog; a++)
      if (o->instr[j] == o->endog[a]) return colname(p, o->instr[j]);
    for (size_t a = 0; a < o->n_exog; a++)
      if (o->instr[j] == o->exog[a]) return colname(p, o->instr[j]);
  }
  return NULL;
}

/* Second-stage small-sample factor (Stata ivreg2/ivreghdfe with small and
 * vce(cluster); Cameron and Miller 2015, sec. VI.A):
 * c = G/(G-1) (N-1)/(N-K), K = the regressors (and the constant when there
 * are no fixed effects) + the degrees of freedom the fixed effects absorb,
 * counted as reghdfe does (estimation/absorb.c): a term nested in a
 * clustering counts nothing, the constant then counting one. Two-way
 * clustering (ivreg2 cluster(A B)): G = the smaller number of clusters, the
 * meat S_A + S_B - S_AB unscaled. Robust: each observation its own cluster,
 * so c = N/(N-K) (HC1). */
spill_iv_result *spill_iv_fit(spill_ctx *ctx, const spill_panel *p, const spill_iv_opts *o)
{
  int64_t n = p->n, t = p->t;
  size_t m = (size_t)(n * t), k1 = o->n_endog, l1 = o->n_instr, k2 = o->n_exog, kc, K, L;
  spill_iv_result *r = NULL;
  spill__wplan *pl = NULL;
  iv_design dz;
  const unsigned char *keep;
  double *y = NULL, *X = NULL, *Z = NULL, *Xh = NULL, *E = NULL, *meat = NULL, *xtx = NULL, *rawc = NULL;
  int64_t G = 0;
  int ok = 0, cons = o->fe == SPILL_FE_NONE && !o->n_absorb;
  double N, Kfs, cfs, c2;
  const char *dup;
  memset(&dz, 0, sizeof dz);
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
  if ((dup = also_regressor(p, o))) {
    spill__fail(ctx, SPILL_EINVAL,
                "IV: '%s' is both an excluded instrument and a regressor (--endog or --x): an excluded "
                "instrument must not enter the equation; list it once",
                dup);
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
  if (iv_design_build(ctx, p, o, r, &dz)) goto done;
  keep = dz.keep;
  {
    int64_t nobs = 0, units = 0;
    for (size_t q = 0; q < m; q++) nobs += keep[q] != 0;
    for (int64_t i = 0; i < n; i++) {
      int any = 0;
      for (int64_t s = 0; s < t && !any; s++) any = keep[s * n + i];
      units += any;
    }
    r->nobs = nobs;
    r->units = units;
  }
  N = (double)r->nobs;
  y = spill__malloc(ctx, m * sizeof *y);
  X = spill__malloc(ctx, m * K * sizeof *X);
  Z = spill__malloc(ctx, m * L * sizeof *Z);
  Xh = spill__malloc(ctx, m * K * sizeof *Xh);
  E = spill__malloc(ctx, m * (K > 1 ? K : 1) * sizeof *E);
  rawc = spill__malloc(ctx, m * (1 + k1 + k2 + l1) * sizeof *rawc);
  meat = spill__malloc(ctx, (K + L) * (K + L) * sizeof *meat);
  xtx = spill__malloc(ctx, (K + L) * (K + L) * sizeof *xtx);
  r->names = spill__calloc(ctx, K, sizeof *r->names);
  r->instr_names = spill__calloc(ctx, l1, sizeof *r->instr_names);
  r->first = spill__calloc(ctx, k1, sizeof *r->first);
  r->coef = spill__malloc(ctx, K * sizeof *r->coef);
  r->se = spill__malloc(ctx, K * sizeof *r->se);
  r->vcov = spill__malloc(ctx, K * K * sizeof *r->vcov);
  r->y_name = spill__strdup(ctx, p->y_name ? p->y_name : "y");
  if (!y || !X || !Z || !Xh || !E || !rawc || !meat || !xtx || !r->names || !r->instr_names || !r->first ||
      !r->coef || !r->se || !r->vcov || !r->y_name)
    goto done;
  /* raw columns y, endogenous, exogenous, instruments (0 off the sample),
   * then the fixed effects partialled out: the exact within transform for
   * unit/time effects alone, alternating projections with --absorb terms
   * (ivreghdfe: the same projections for y, X and Z) */
  {
    size_t nc = 1 + k1 + k2 + l1;
    for (size_t c = 0; c < nc; c++) {
      const double *src = c == 0 ? p->y : column(p, c <= k1 ? o->endog[c - 1] : c <= k1 + k2 ? o->exog[c - 1 - k1]
                                                                                          : o->instr[c - 1 - k1 - k2]);
      for (size_t q = 0; q < m; q++) rawc[c * m + q] = keep[q] ? src[q] : 0.0;
    }
    if (dz.nextra) {
      int iters = 0;
      double *buf = spill__malloc(ctx, m * nc * sizeof *buf);
      if (!buf) goto done;
      memcpy(buf, rawc, m * nc * sizeof *buf);
      if (spill__absorb_demean(ctx, dz.terms, dz.nterm, (int64_t)m, keep, buf, nc, 1e-14, 100000, &iters)) {
        free(buf);
        goto done;
      }
      memcpy(y, buf, m * sizeof *y);
      memcpy(X, buf + m, m * k1 * sizeof *X);
      memcpy(X + k1 * m, buf + (1 + k1) * m, m * k2 * sizeof *X);
      memcpy(Z, buf + (1 + k1 + k2) * m, m * l1 * sizeof *Z);
      free(buf);
    } else if (o->fe != SPILL_FE_NONE) {
      if (!(pl = spill__wplan_new(ctx, n, t, o->fe, keep))) goto done;
      spill__wplan_apply(pl, rawc, y);
      for (size_t j = 0; j < k1; j++) spill__wplan_apply(pl, rawc + (1 + j) * m, X + j * m);
      for (size_t j = 0; j < k2; j++) spill__wplan_apply(pl, rawc + (1 + k1 + j) * m, X + (k1 + j) * m);
      for (size_t j = 0; j < l1; j++) spill__wplan_apply(pl, rawc + (1 + k1 + k2 + j) * m, Z + j * m);
    } else {
      memcpy(y, rawc, m * sizeof *y);
      memcpy(X, rawc + m, m * (k1 + k2) * sizeof *X);
      memcpy(Z, rawc + (1 + k1 + k2) * m, m * l1 * sizeof *Z);
    }
  }
  for (size_t j = 0; j < k1; j++)
    if (!(r->names[j] = spill__strdup(ctx, colname(p, o->endog[j])))) goto done;
  for (size_t j = 0; j < k2; j++)
    if (!(r->names[k1 + j] = spill__strdup(ctx, colname(p, o->exog[j])))) goto done;
  if (cons) {
    for (size_t q = 0; q < m; q++) X[(K - 1) * m + q] = keep[q] ? 1.0 : 0.0;
    if (!(r->names[K - 1] = spill__strdup(ctx, "(constant)"))) goto done;
  }
  for (size_t j = 0; j < l1; j++) {
    double ss = 0.0, raw = 0.0;
    const double *src = rawc + (1 + k1 + k2 + j) * m;
    for (size_t q = 0; q < m; q++) {
      ss += Z[j * m + q] * Z[j * m + q];
      raw += src[q] * src[q];
    }
    if (!(r->instr_names[j] = spill__strdup(ctx, colname(p, o->instr[j])))) goto done;
    if (!(ss > 1e-12 * (raw > 0 ? raw : 1.0))) {
      spill__fail(ctx, SPILL_EDATA,
                  "IV: instrument %s is collinear with the %s: no variation is left after %s (it is constant "
                  "within units or periods, or spanned by the absorbed effects), so it identifies nothing; use an "
                  "instrument that varies within them",
                  r->instr_names[j], o->fe == SPILL_FE_NONE && !dz.nextra ? "constant" : "fixed effects",
                  dz.nextra ? "the absorbed effects" : "the within transform");
      goto done;
    }
  }
  memcpy(Z + l1 * m, X + k1 * m, m * kc * sizeof *Z);
  G = r->clusters;
  if (G < 2) {
    spill__fail(ctx, SPILL_EDATA, "IV: cluster-robust SEs need at least two clusters (%lld found)", (long long)G);
    goto done;
  }
  {
    /* absorbed degrees of freedom: all (sigma2, Cragg-Donald), and with the
     * terms nested in a clustering left out (the small-sample K) */
    int add = 0;
    double kfe = 0.0;
    r->absorbed = dz.nterm ? spill__absorb_dof(dz.terms, dz.nterm, (int64_t)m, keep, NULL) : 0.0;
    if (dz.nterm) kfe = spill__absorb_dof2(dz.terms, dz.nterm, (int64_t)m, keep, dz.c32[0], dz.c32[1], &add) + add;
    if (!isfinite(r->absorbed) || !isfinite(kfe)) {
      spill__fail(ctx, SPILL_ENOMEM, "IV: out of memory");
      goto done;
    }
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
    double *v11 = spill__malloc(ctx, l1 * l1 * sizeof *v11), *xr = spill__malloc(ctx, m * sizeof *xr);
    int fail = !pi || !res || !S || !V || !tmp || !v11 || !xr;
    if (!fail) {
      memcpy(res, X, m * k1 * sizeof *res);
      partial_out(res, k1, Z, L, m, pi);
    }
    for (size_t j = 0; j < k1 && !fail; j++) {
      spill_iv_first *f = &r->first[j];
      double sst = 0.0, ssr = 0.0, w = 0.0;
      f->endog = spill__strdup(ctx, r->names[j]);
      f->coef = spill__malloc(ctx, L * sizeof *f->coef);
      f->se = spill__malloc(ctx, L * sizeof *f->se);
      if (!f->endog || !f->coef || !f->se || meat_of(Z, L, res + j * m, 1, m, &dz.cl, S)) {
        fail = 1;
        break;
      }
      mul(zzi, S, L, L, L, tmp);
      mul(tmp, zzi, L, L, L, V);
      for (size_t a = 0; a < L; a++) {
        f->coef[a] = pi[a + j * L];
        f->se[a] = V[a + a * L] >= 0 ? sqrt(cfs * V[a + a * L]) : NAN;
      }
      /* Wald F of the excluded instruments: pi_1' (c V_11)^-1 pi_1 / l1 */
      for (size_t a = 0; a < l1; a++)
        for (size_t b = 0; b < l1; b++) v11[a + b * l1] = cfs * V[a + b * L];
      if (!spd_inv(v11, l1))
        for (size_t a = 0; a < l1; a++)
          for (size_t b = 0; b < l1; b++) w += f->coef[a] * v11[a + b * l1] * f->coef[b];
      else w = NAN;
      f->f = w / (double)l1;
      /* partial R2 of the excluded instruments (after exog and FE) */
      memcpy(xr, X + j * m, m * sizeof *xr);
      partial_out(xr, 1, Z + l1 * m, kc, m, NULL);
      for (size_t q = 0; q < m; q++) {
        sst += xr[q] * xr[q];
        ssr += res[j * m + q] * res[j * m + q];
      }
      f->partial_r2 = sst > 0 ? 1.0 - ssr / sst : NAN;
      for (size_t q = 0; q < m; q++) Xh[j * m + q] = X[j * m + q] - res[j * m + q];
    }
    free(pi);
    free(res);
    free(S);
    free(V);
    free(tmp);
    free(v11);
    free(xr);
    if (fail) {
      if (ctx->status != SPILL_ENOMEM) spill__fail(ctx, SPILL_ENOMEM, "IV: out of memory");
      goto done;
    }
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
    int neg = 0;
    if (!xy || !tmp || (cross(Xh, K, y, 1, m, xy), 0)) {
      free(xy);
      free(tmp);
      goto done;
    }
    mul(xtx, xy, K, K, 1, r->coef);
    for (size_t q = 0; q < m; q++) {
      double f = 0.0;
      for (size_t j = 0; j < K; j++) f += X[j * m + q] * r->coef[j];
      E[q] = keep[q] ? y[q] - f : 0.0;
      sse += E[q] * E[q];
      sst += y[q] * y[q];
    }
    r->sigma2 = sse / (N - (double)K - r->absorbed);
    r->r2_within = sst > 0 ? 1.0 - sse / sst : NAN;
    if (meat_of(Xh, K, E, 1, m, &dz.cl, meat)) {
      free(xy);
      free(tmp);
      spill__fail(ctx, SPILL_ENOMEM, "IV: out of memory");
      goto done;
    }
    mul(xtx, meat, K, K, K, tmp);
    mul(tmp, xtx, K, K, K, meat);
    for (size_t a = 0; a < K; a++)
      for (size_t b = 0; b < K; b++) r->vcov[a * K + b] = c2 * meat[a + b * K];
    for (size_t j = 0; j < K; j++) {
      neg |= !(r->vcov[j * K + j] >= 0);
      r->se[j] = r->vcov[j * K + j] >= 0 ? sqrt(r->vcov[j * K + j]) : NAN;
    }
    if (neg)
      spill__notice(ctx, "IV: the two-way cluster variance V_A + V_B - V_AB has a negative diagonal entry; its SE is "
                         "left undefined, as ivreg2 does (cluster on one dimension, or the coarser one)");
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
    if (S && zx && zy && a && h && bg && hv && ze && e2 && !meat_of(Z, L, E, 1, m, &dz.cl, S) && !spd_inv(S, L)) {
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
          e2[q] = keep[q] ? y[q] - f : 0.0;
        }
        cross(Z, L, e2, 1, m, ze);
        for (size_t i = 0; i < L; i++)
          for (size_t j = 0; j < L; j++) jv += ze[i] * S[i + j * L] * ze[j];
        r->hansen_j = jv;
        r->j_df = (int)(l1 - k1);
        r->hansen_j_p = spill__chi2_sf(jv, (double)r->j_df);
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
    r->kp_rk_lm = kp_rk(x1, k1, z1, l1, m, &dz.cl, 0);
    r->kp_rk_lm_p = spill__chi2_sf(r->kp_rk_lm, (double)r->kp_df);
    r->kp_rk_wald = kp_rk(x1, k1, z1, l1, m, &dz.cl, 1);
    /* ivreg2: rk Wald F = rk / L1 (N - L - sdofminus)/(N - 1) (G - 1)/G with
     * cluster (G the smaller with two-way); here N - L - sdofminus = N - Kfs
     * (the first-stage K), so that with one endogenous regressor and one
     * instrument it is the squared cluster-robust first-stage t. Robust:
     * rk / L1 (N - Kfs)/N, the same formula with G = N. */
    r->kp_rk_wald_f = r->kp_rk_wald / (double)l1 * ((N - Kfs) / (N - 1.0)) * ((double)(G - 1) / (double)G);
    /* Cragg-Donald (1993) F as ivreg2: (N - L - absorbed)/L1 times the
     * smallest eigenvalue of (X1'M X1)^-1 X1'P X1 (Stock and Yogo 2005, eq. 3.8) */
    {
      double *xpx = spill__malloc(ctx, k1 * k1 * sizeof *xpx), *xmx = spill__malloc(ctx, k1 * k1 * sizeof *xmx);
      double *res = spill__malloc(ctx, m * k1 * sizeof *res), *R = spill__malloc(ctx, k1 * k1 * sizeof *R);
      double *w = spill__malloc(ctx, k1 * sizeof *w), *tmp = spill__malloc(ctx, k1 * k1 * sizeof *tmp);
      double *t2 = spill__malloc(ctx, k1 * k1 * sizeof *t2);
      r->cragg_donald_f = NAN;
      if (xpx && xmx && res && R && w && tmp && t2) {
        memcpy(res, x1, m * k1 * sizeof *res);
        partial_out(res, k1, z1, l1, m, NULL);
        cross(res, k1, res, k1, m, xmx);
        cross(x1, k1, x1, k1, m, xpx);
        for (size_t q = 0; q < k1 * k1; q++) xpx[q] -= xmx[q];
        if (!chol_upper(xmx, k1, R) && !gen_inv(R, k1)) {
          /* R^-T xpx R^-1 */
          mul(xpx, R, k1, k1, k1, tmp);
          for (size_t i = 0; i < k1; i++)
            for (size_t j = 0; j < k1; j++) {
              double acc = 0.0;
              for (size_t q = 0; q < k1; q++) acc += R[q + i * k1] * tmp[q + j * k1];
              t2[i + j * k1] = acc;
            }
          if (!sym_eig(t2, k1, w)) r->cragg_donald_f = w[0] * (N - (double)L - r->absorbed) / (double)l1;
        }
      }
      free(xpx);
      free(xmx);
      free(res);
      free(R);
      free(w);
      free(tmp);
      free(t2);
    }
    free(x1);
    free(z1);
  }
  ok = 1;
done:
  spill__wplan_free(pl);
  design_free(&dz);
  free(y);
  free(X);
  free(Z);
  free(Xh);
  free(E);
  free(rawc);
  free(meat);
  free(xtx);
  if (!ok) {
    spill_iv_result_free(r);
    return NULL;
  }
  return r;
}

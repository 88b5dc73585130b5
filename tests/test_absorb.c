/* Absorbed fixed effects and cluster sandwiches (estimation/absorb.c)
 * against an explicit dummy-variable regression solved densely here (the
 * projection on the dummies by an eigen pseudo-inverse of D'D with LAPACK)
 * and a dense Cameron-Gelbach-Miller two-way sandwich: unit, year,
 * province-by-year effects and province trends on an unbalanced simulated
 * panel with singletons; coefficients and variances to 1e-10. */
#include "check.h"
#include "estimation/absorb.h"

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);

static uint64_t rs = 88172645463325252ull;
static double unif(void)
{
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return (double)(rs >> 11) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(1 - unif())) * cos(6.283185307179586 * unif()); }

enum { NU = 60, NT = 10, NP = 6, K = 2 };

/* Dense: residuals of cols (n x nc) on D (n x nd) via pinv(D'D); rank of D. */
static int dense_resid(const double *d, int n, int nd, double *cols, int nc)
{
  double *a = calloc((size_t)nd * nd, sizeof *a), *ev = malloc(nd * sizeof *ev);
  for (int i = 0; i < nd; i++)
    for (int j = 0; j < nd; j++) {
      double s = 0;
      for (int r = 0; r < n; r++) s += d[i * n + r] * d[j * n + r];
      a[i * nd + j] = s;
    }
  int lwork = -1, info;
  double wq;
  dsyev_("V", "U", &nd, a, &nd, ev, &wq, &lwork, &info);
  lwork = (int)wq;
  double *work = malloc(lwork * sizeof *work);
  dsyev_("V", "U", &nd, a, &nd, ev, work, &lwork, &info);
  int rank = 0;
  for (int j = 0; j < nd; j++) rank += ev[j] > 1e-9 * ev[nd - 1];
  double *dv = malloc(nd * sizeof *dv), *c = malloc(nd * sizeof *c);
  for (int q = 0; q < nc; q++) {
    double *v = cols + (size_t)q * n;
    for (int i = 0; i < nd; i++) {
      double s = 0;
      for (int r = 0; r < n; r++) s += d[i * n + r] * v[r];
      dv[i] = s;
    }
    /* c = pinv(D'D) D'v */
    for (int i = 0; i < nd; i++) c[i] = 0;
    for (int j = 0; j < nd; j++) {
      if (!(ev[j] > 1e-9 * ev[nd - 1])) continue;
      double s = 0;
      for (int i = 0; i < nd; i++) s += a[j * nd + i] * dv[i];
      for (int i = 0; i < nd; i++) c[i] += a[j * nd + i] * s / ev[j];
    }
    for (int r = 0; r < n; r++) {
      double s = 0;
      for (int i = 0; i < nd; i++) s += d[i * n + r] * c[i];
      v[r] -= s;
    }
  }
  free(a);
  free(ev);
  free(work);
  free(dv);
  free(c);
  return rank;
}

static void inv2(const double *a, double *b)
{
  double det = a[0] * a[3] - a[1] * a[2];
  b[0] = a[3] / det;
  b[3] = a[0] / det;
  b[1] = -a[1] / det;
  b[2] = -a[2] / det;
}

/* Dense cluster meat for one clustering (codes), scaled. */
static void dense_meat(const double *x, const double *e, int n, const int32_t *code, double scale, double *m)
{
  int32_t gmax = 0;
  for (int i = 0; i < n; i++)
    if (code[i] > gmax) gmax = code[i];
  int g = 0;
  for (int32_t l = 0; l <= gmax; l++) {
    double u[K] = {0};
    int any = 0;
    for (int i = 0; i < n; i++)
      if (code[i] == l) {
        any = 1;
        for (int j = 0; j < K; j++) u[j] += x[j * n + i] * e[i];
      }
    g += any;
    for (int a = 0; a < K; a++)
      for (int b = 0; b < K; b++) m[a * K + b] += 0 * scale + u[a] * u[b] * scale;
  }
  (void)g;
}

static int count_groups(const int32_t *code, int n)
{
  int32_t gmax = 0;
  for (int i = 0; i < n; i++)
    if (code[i] > gmax) gmax = code[i];
  char *u = calloc(gmax + 1, 1);
  int g = 0;
  for (int i = 0; i < n; i++) g += !u[code[i]], u[code[i]] = 1;
  free(u);
  return g;
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  /* unbalanced panel: each cell kept with probability 0.85; unit 0 has one
   * observation (a singleton in its unit effect) */
  int n = 0;
  int32_t unit[NU * NT], year[NU * NT], prov[NU * NT], py[NU * NT];
  double tc[NU * NT], cols[(K + 1) * NU * NT];
  static double X[K][NU * NT], Y[NU * NT];
  for (int i = 0; i < NU; i++)
    for (int s = 0; s < NT; s++) {
      if (i == 0 && s > 0) continue;
      if (i > 0 && unif() > 0.85) continue;
      unit[n] = i;
      year[n] = s;
      prov[n] = i % NP;
      tc[n] = s - 4.5; /* centred year for the trends */
      double fe = 0.3 * i - 0.1 * s + 0.2 * prov[n] * s + gauss();
      X[0][n] = (s >= 5 && i % 3 == 0) + 0.5 * gauss() + 0.05 * fe;
      X[1][n] = gauss() + 0.1 * s;
      Y[n] = 0.7 * X[0][n] - 0.4 * X[1][n] + fe + gauss() * (1 + 0.5 * (prov[n] == 2));
      n++;
    }
  CHECK(spill__absorb_interact(ctx, prov, year, n, py, &(int32_t){0}) == 0);
  int32_t lpy = 0;
  spill__absorb_interact(ctx, prov, year, n, py, &lpy);
  CHECK(lpy <= NP * NT && lpy > NP * (NT - 1));

  spill__fe_term terms[4] = {{unit, NU, NULL}, {year, NT, NULL}, {py, lpy, NULL}, {prov, NP, tc}};
  unsigned char *keep = malloc(n);
  memset(keep, 1, n);
  int64_t dropped = spill__absorb_singletons(terms, 4, n, keep);
  CHECK_EQ_INT(dropped, 1 + 0); /* unit 0; no prov#year cell is alone at this density (checked below) */
  int nk = 0;
  for (int i = 0; i < n; i++) nk += keep[i];

  for (int pass = 0; pass < 2; pass++) {
    /* pass 0: unit + year (dof exact by connected components), HC1 and
     * one-way cluster by province; pass 1: all four terms, two-way cluster by
     * province and year */
    size_t nt = pass ? 4 : 2;
    for (int j = 0; j < K; j++) memcpy(cols + (size_t)j * n, X[j], n * sizeof(double));
    memcpy(cols + (size_t)K * n, Y, n * sizeof(double));
    int it = 0;
    CHECK(spill__absorb_demean(ctx, terms, nt, n, keep, cols, K + 1, 1e-14, 100000, &it) == 0);
    /* the dense side over the kept observations */
    int nd = NU + NT + (pass ? lpy + NP : 0);
    double *d = calloc((size_t)nd * nk, sizeof *d), *dc = malloc((size_t)(K + 1) * nk * sizeof *dc);
    int32_t *cu = malloc(nk * sizeof *cu), *cp = malloc(nk * sizeof *cp), *cy = malloc(nk * sizeof *cy);
    int r = 0;
    for (int i = 0; i < n; i++) {
      if (!keep[i]) continue;
      d[unit[i] * nk + r] = 1;
      d[(NU + year[i]) * nk + r] = 1;
      if (pass) {
        d[(NU + NT + py[i]) * nk + r] = 1;
        d[(NU + NT + lpy + prov[i]) * nk + r] = tc[i];
      }
      for (int j = 0; j < K; j++) dc[j * nk + r] = X[j][i];
      dc[K * nk + r] = Y[i];
      cu[r] = unit[i];
      cp[r] = prov[i];
      cy[r] = year[i];
      r++;
    }
    int rank = dense_resid(d, nk, nd, dc, K + 1);
    /* the library's demeaned columns equal the dense residuals */
    double maxdiff = 0;
    r = 0;
    for (int i = 0; i < n; i++) {
      if (!keep[i]) continue;
      for (int j = 0; j <= K; j++) {
        double dd = fabs(cols[(size_t)j * n + i] - dc[j * nk + r]);
        if (dd > maxdiff) maxdiff = dd;
      }
      r++;
    }
    CHECK_MSG(maxdiff < 1e-10, "pass %d: demeaned columns differ by %g (%d sweeps)", pass, maxdiff, it);
    /* coefficients: library (from its columns) and dense */
    double xtx[4] = {0}, xty[2] = {0}, bi[4], b[2], xtxd[4] = {0}, xtyd[2] = {0}, bid[4], bd[2];
    for (int i = 0; i < n; i++)
      for (int a = 0; a < K; a++) {
        xty[a] += cols[a * n + i] * cols[K * n + i];
        for (int c = 0; c < K; c++) xtx[a * K + c] += cols[a * n + i] * cols[c * n + i];
      }
    for (int i = 0; i < nk; i++)
      for (int a = 0; a < K; a++) {
        xtyd[a] += dc[a * nk + i] * dc[K * nk + i];
        for (int c = 0; c < K; c++) xtxd[a * K + c] += dc[a * nk + i] * dc[c * nk + i];
      }
    inv2(xtx, bi);
    inv2(xtxd, bid);
    for (int a = 0; a < K; a++) {
      b[a] = bi[a * K] * xty[0] + bi[a * K + 1] * xty[1];
      bd[a] = bid[a * K] * xtyd[0] + bid[a * K + 1] * xtyd[1];
      CHECK_MSG(fabs(b[a] - bd[a]) < 1e-10, "pass %d: b%d %.15g dense %.15g", pass, a, b[a], bd[a]);
    }
    double *e = malloc(n * sizeof *e), *ed = malloc(nk * sizeof *ed);
    for (int i = 0; i < n; i++) e[i] = cols[K * n + i] - b[0] * cols[i] - b[1] * cols[n + i];
    for (int i = 0; i < nk; i++) ed[i] = dc[K * nk + i] - bd[0] * dc[i] - bd[1] * dc[nk + i];
    int32_t *lp = malloc(n * sizeof *lp), *ly = malloc(n * sizeof *ly);
    for (int i = 0; i < n; i++) lp[i] = prov[i], ly[i] = year[i];
    double v[4], vd[4];
    int64_t g = 0;
    if (!pass) {
      /* degrees of freedom: exact rank of the dummies */
      double dof = spill__absorb_dof(terms, 2, n, keep, NULL);
      CHECK_MSG(dof == rank, "dof %g, rank of the dummies %d", dof, rank);
      double kd = K + rank;
      /* HC1 */
      CHECK(spill__vce(ctx, SPILL__VCE_HC1, cols, e, n, K, keep, bi, NULL, NULL, K + dof, v, &g) == 0);
      double m[4] = {0};
      for (int i = 0; i < nk; i++)
        for (int a = 0; a < K; a++)
          for (int c = 0; c < K; c++) m[a * K + c] += ed[i] * ed[i] * dc[a * nk + i] * dc[c * nk + i];
      for (int q = 0; q < 4; q++) m[q] *= nk / (nk - kd);
      for (int a = 0; a < K; a++)
        for (int c = 0; c < K; c++) {
          double s = 0;
          for (int p = 0; p < K; p++)
            for (int q = 0; q < K; q++) s += bid[a * K + p] * m[p * K + q] * bid[q * K + c];
          vd[a * K + c] = s;
        }
      for (int q = 0; q < 4; q++) CHECK_MSG(fabs(v[q] - vd[q]) < 1e-10 * fabs(vd[q]), "HC1 %d: %g vs %g", q, v[q], vd[q]);
      /* one-way by province: unit effects are nested in provinces (dof 0 for
       * them), year effects are not */
      double dofc = spill__absorb_dof(terms, 2, n, keep, lp);
      CHECK_EQ_INT((int)dofc, NT - 1 + 0 * rank); /* years less the one redundancy (connected) */
      CHECK(spill__vce(ctx, SPILL__VCE_CLUSTER, cols, e, n, K, keep, bi, lp, NULL, K + dofc, v, &g) == 0);
      CHECK_EQ_INT(g, NP);
      double mm[4] = {0};
      int gp = count_groups(cp, nk);
      dense_meat(dc, ed, nk, cp, (double)gp / (gp - 1) * (nk - 1.0) / (nk - (K + NT - 1.0)), mm);
      for (int a = 0; a < K; a++)
        for (int c = 0; c < K; c++) {
          double s = 0;
          for (int p = 0; p < K; p++)
            for (int q = 0; q < K; q++) s += bid[a * K + p] * mm[p * K + q] * bid[q * K + c];
          vd[a * K + c] = s;
        }
      for (int q = 0; q < 4; q++)
        CHECK_MSG(fabs(v[q] - vd[q]) < 1e-10 * fabs(vd[q]), "cluster %d: %g vs %g", q, v[q], vd[q]);
    } else {
      /* two-way by province and year: every term is nested in one of them,
       * so K is the coefficients alone (reghdfe) */
      /* all four terms: the count equals the rank of the dummies (years and
       * trends are spanned by province-by-year effects) */
      CHECK_MSG(spill__absorb_dof(terms, 4, n, keep, NULL) == rank, "dof %g, rank %d",
                spill__absorb_dof(terms, 4, n, keep, NULL), rank);
      double dof2 = spill__absorb_dof(terms, 4, n, keep, lp);
      double dofy = spill__absorb_dof(terms, 4, n, keep, ly);
      CHECK(dof2 == 0 && dofy > 0); /* all nested in provinces; units not in years */
      double kd = K;
      CHECK(spill__vce(ctx, SPILL__VCE_CLUSTER2, cols, e, n, K, keep, bi, lp, ly, kd, v, &g) == 0);
      int32_t *c12 = malloc(nk * sizeof *c12);
      for (int i = 0; i < nk; i++) c12[i] = cp[i] * NT + cy[i];
      double mm[4] = {0};
      double ss = (nk - 1.0) / (nk - kd);
      int g1 = count_groups(cp, nk), g2 = count_groups(cy, nk), g12 = count_groups(c12, nk);
      dense_meat(dc, ed, nk, cp, ss * g1 / (g1 - 1.0), mm);
      dense_meat(dc, ed, nk, cy, ss * g2 / (g2 - 1.0), mm);
      dense_meat(dc, ed, nk, c12, -ss * g12 / (g12 - 1.0), mm);
      for (int a = 0; a < K; a++)
        for (int c = 0; c < K; c++) {
          double s = 0;
          for (int p = 0; p < K; p++)
            for (int q = 0; q < K; q++) s += bid[a * K + p] * mm[p * K + q] * bid[q * K + c];
          vd[a * K + c] = s;
        }
      /* not PSD here (province-by-year effects leave little within-cell
       * variation): clip the negative eigenvalue of the dense V at zero */
      {
        int two = 2, lw = 16, inf;
        double a[4], ev[2], wk[16];
        memcpy(a, vd, sizeof a);
        dsyev_("V", "U", &two, a, &two, ev, wk, &lw, &inf);
        CHECK(inf == 0 && ev[0] < 0);
        if (ev[0] < 0)
          for (int p = 0; p < 2; p++)
            for (int q = 0; q < 2; q++) {
              double s = 0;
              for (int j = 0; j < 2; j++)
                if (ev[j] > 0) s += a[j * 2 + p] * ev[j] * a[j * 2 + q];
              vd[p * 2 + q] = s;
            }
      }
      for (int q = 0; q < 4; q++)
        CHECK_MSG(fabs(v[q] - vd[q]) < 1e-10 * fabs(vd[3]), "two-way %d: %g vs %g", q, v[q], vd[q]);
      CHECK_EQ_INT(g, NP < NT ? NP : NT);
      free(c12);
      printf("two-way clustered: b = %.6f %.6f, se = %.6f %.6f (%d sweeps)\n", b[0], b[1], sqrt(v[0]), sqrt(v[3]), it);
    }
    free(lp);
    free(ly);
    free(e);
    free(ed);
    free(d);
    free(dc);
    free(cu);
    free(cp);
    free(cy);
  }
  /* a province factor after the unit effects absorbs nothing more */
  {
    spill__fe_term t3[3] = {terms[0], terms[1], {prov, NP, NULL}};
    CHECK(spill__absorb_dof(t3, 3, n, keep, NULL) == spill__absorb_dof(terms, 2, n, keep, NULL));
  }
  /* a non-PSD two-way sum is fixed: eigenvalues clipped at zero */
  {
    int m = 4;
    double x[8] = {1, -1, 1, -1, 1, 1, -1, -1}, e[4] = {1, 1, 1, 1}, bi[4] = {1, 0, 0, 1}, v[4];
    int32_t a[4] = {0, 0, 1, 1}, c[4] = {0, 1, 0, 1};
    unsigned char kp[4] = {1, 1, 1, 1};
    CHECK(spill__vce(ctx, SPILL__VCE_CLUSTER2, x, e, m, 2, kp, bi, a, c, 0, v, NULL) == 0);
    CHECK(v[0] >= -1e-15 && v[3] >= -1e-15 && v[0] * v[3] - v[1] * v[2] >= -1e-12);
  }
  free(keep);
  spill_ctx_free(ctx);
  return check_done("test_absorb");
}

/* Callaway and Sant'Anna (2021, J. Econometrics 225) group-time average
 * treatment effects ATT(g,t) on a balanced panel, their influence functions
 * (DRDID's panel estimators, Sant'Anna and Zhao 2020, J. Econometrics 219),
 * the aggregations of R did's aggte (simple, event time, group, calendar;
 * weights by group size with the estimated-weights correction), and the
 * multiplier bootstrap with uniform bands. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"

/* One ATT(g,t) with its influence function over the n units. */
typedef struct gt_entry {
  int64_t g, t;
  double att;
  double *psi; /* n */
  int64_t ntreat;
} gt_entry;

typedef struct cs_state {
  int64_t n;       /* units used */
  int64_t *G;      /* their cohort (0: control-only) */
  double *pg;      /* per ATT entry: P(G = g) */
  size_t ne;
  gt_entry *e;
} cs_state;

/* Cholesky solve of a small SPD system A x = b (A k x k, column-major,
 * overwritten). Returns -1 when not positive definite. */
static int chol_solve(double *a, size_t k, double *b, size_t nrhs)
{
  for (size_t j = 0; j < k; j++) {
    double d = a[j * k + j];
    for (size_t p = 0; p < j; p++) d -= a[p * k + j] * a[p * k + j];
    if (!(d > 0)) return -1;
    d = sqrt(d);
    a[j * k + j] = d;
    for (size_t i = j + 1; i < k; i++) {
      double s = a[j * k + i];
      for (size_t p = 0; p < j; p++) s -= a[p * k + i] * a[p * k + j];
      a[j * k + i] = s / d; /* L(i,j) stored at column j, row i */
    }
  }
  for (size_t r = 0; r < nrhs; r++) {
    double *x = b + r * k;
    for (size_t i = 0; i < k; i++) {
      double s = x[i];
      for (size_t p = 0; p < i; p++) s -= a[p * k + i] * x[p];
      x[i] = s / a[i * k + i];
    }
    for (size_t i = k; i-- > 0;) {
      double s = x[i];
      for (size_t p = i + 1; p < k; p++) s -= a[i * k + p] * x[p];
      x[i] = s / a[i * k + i];
    }
  }
  return 0;
}

/* Inverse of a small SPD matrix (k x k) into inv; -1 if not PD. */
static int spd_inv(const double *a, size_t k, double *inv, double *work)
{
  memcpy(work, a, k * k * sizeof *work);
  memset(inv, 0, k * k * sizeof *inv);
  for (size_t i = 0; i < k; i++) inv[i * k + i] = 1.0;
  return chol_solve(work, k, inv, k);
}

/* ATT and influence function on a subsample of m units (DRDID panel
 * estimators). D 0/1, dy = Y_post - Y_pre, X m x kx row-major with the
 * constant first (kx = 1: no covariates, both estimators give the difference
 * of mean changes). inf receives m values. Returns 0, or -1 when a
 * regression is singular. */
static int att_panel(int64_t m, const unsigned char *D, const double *dy, const double *X, size_t kx,
                     spill_cs_est est, double *att, double *inf, double *work)
{
  double *beta = work, *xpx = beta + kx, *tmp = xpx + kx * kx, *inv = tmp + kx * kx;
  double *m1 = inv + kx * kx, *m2 = m1 + kx, *m3 = m2 + kx, *gam = m3 + kx, *hps = gam + kx;
  double *ps = hps + kx * kx; /* m values */
  double *od = ps + m;        /* m values */
  double nd = (double)m, mwt = 0, mwc = 0, eta_t = 0, eta_c = 0;
  /* outcome regression on the controls: beta = (X0'X0)^-1 X0'dy */
  memset(xpx, 0, kx * kx * sizeof *xpx);
  memset(beta, 0, kx * sizeof *beta);
  for (int64_t i = 0; i < m; i++) {
    const double *xi = X + (size_t)i * kx;
    if (D[i]) continue;
    for (size_t a = 0; a < kx; a++) {
      beta[a] += xi[a] * dy[i];
      for (size_t b = 0; b < kx; b++) xpx[b * kx + a] += xi[a] * xi[b];
    }
  }
  for (size_t a = 0; a < kx * kx; a++) xpx[a] /= nd; /* XpX / n, as DRDID */
  for (size_t a = 0; a < kx; a++) beta[a] /= nd;
  if (spd_inv(xpx, kx, inv, tmp)) return -1;
  {
    double b2[64];
    for (size_t a = 0; a < kx; a++) {
      b2[a] = 0;
      for (size_t b = 0; b < kx; b++) b2[a] += inv[b * kx + a] * beta[b];
    }
    memcpy(beta, b2, kx * sizeof *beta);
  }
  for (int64_t i = 0; i < m; i++) {
    const double *xi = X + (size_t)i * kx;
    od[i] = 0;
    for (size_t a = 0; a < kx; a++) od[i] += xi[a] * beta[a];
  }
  if (kx == 1 || est == SPILL_CS_REG) {
    /* reg_did_panel: w.treat = w.cont = D */
    for (int64_t i = 0; i < m; i++)
      if (D[i]) {
        mwt += 1;
        eta_t += dy[i];
        eta_c += od[i];
      }
    if (mwt == 0) return -1;
    eta_t /= mwt;
    eta_c /= mwt;
    *att = eta_t - eta_c;
    mwt /= nd;
    for (size_t a = 0; a < kx; a++) {
      m1[a] = 0;
      for (int64_t i = 0; i < m; i++)
        if (D[i]) m1[a] += X[(size_t)i * kx + a];
      m1[a] /= nd;
    }
    for (int64_t i = 0; i < m; i++) {
      double lin = 0, it = D[i] ? (dy[i] - eta_t) / mwt : 0, ic1 = D[i] ? od[i] - eta_c : 0;
      if (!D[i]) { /* (1-D) e x' (X'X/n)^-1 M1 */
        const double *xi = X + (size_t)i * kx;
        double e = dy[i] - od[i];
        for (size_t a = 0; a < kx; a++) {
          double s = 0;
          for (size_t b = 0; b < kx; b++) s += inv[b * kx + a] * m1[b];
          lin += e * xi[a] * s;
        }
      }
      inf[i] = it - (ic1 + lin) / mwt;
    }
    return 0;
  }
  /* drdid_panel: logit propensity score by Newton-Raphson (IRLS) */
  memset(gam, 0, kx * sizeof *gam);
  for (int it = 0; it < 100; it++) {
    double step = 0, grad[64];
    memset(hps, 0, kx * kx * sizeof *hps);
    memset(grad, 0, kx * sizeof *grad);
    for (int64_t i = 0; i < m; i++) {
      const double *xi = X + (size_t)i * kx;
      double lin = 0, p, wgt;
      for (size_t a = 0; a < kx; a++) lin += xi[a] * gam[a];
      p = 1 / (1 + exp(-lin));
      wgt = p * (1 - p);
      for (size_t a = 0; a < kx; a++) {
        grad[a] += (D[i] - p) * xi[a];
        for (size_t b = 0; b < kx; b++) hps[b * kx + a] += wgt * xi[a] * xi[b];
      }
    }
    memcpy(tmp, hps, kx * kx * sizeof *tmp);
    if (chol_solve(tmp, kx, grad, 1)) return -1;
    for (size_t a = 0; a < kx; a++) {
      gam[a] += grad[a];
      step = fmax(step, fabs(grad[a]));
    }
    if (step < 1e-12) break;
  }
  /* Hessian.ps = (X'WX)^-1 n at the estimate */
  memset(hps, 0, kx * kx * sizeof *hps);
  for (int64_t i = 0; i < m; i++) {
    const double *xi = X + (size_t)i * kx;
    double lin = 0, p;
    for (size_t a = 0; a < kx; a++) lin += xi[a] * gam[a];
    p = 1 / (1 + exp(-lin));
    ps[i] = p;
    for (size_t a = 0; a < kx; a++)
      for (size_t b = 0; b < kx; b++) hps[b * kx + a] += p * (1 - p) * xi[a] * xi[b];
  }
  memcpy(tmp, hps, kx * kx * sizeof *tmp);
  {
    double hinv[4096];
    double *wk2 = malloc(kx * kx * sizeof *wk2);
    if (!wk2 || kx * kx > 4096 || spd_inv(tmp, kx, hinv, wk2)) {
      free(wk2);
      return -1;
    }
    free(wk2);
    for (size_t a = 0; a < kx * kx; a++) hps[a] = hinv[a] * nd;
  }
  for (int64_t i = 0; i < m; i++) ps[i] = fmin(ps[i], 1 - 1e-6);
  {
    double *wt = malloc((size_t)m * 2 * sizeof *wt), *wc;
    if (!wt) return -1;
    wc = wt + m;
    for (int64_t i = 0; i < m; i++) {
      int trim = D[i] ? 1 : ps[i] < 0.995; /* DRDID trim.level */
      wt[i] = trim * (double)D[i];
      wc[i] = trim * ps[i] * (1 - D[i]) / (1 - ps[i]);
      mwt += wt[i];
      mwc += wc[i];
      eta_t += wt[i] * (dy[i] - od[i]);
      eta_c += wc[i] * (dy[i] - od[i]);
    }
    if (mwt == 0 || mwc == 0) {
      free(wt);
      return -1;
    }
    eta_t /= mwt;
    eta_c /= mwc;
    *att = eta_t - eta_c;
    mwt /= nd;
    mwc /= nd;
    for (size_t a = 0; a < kx; a++) {
      m1[a] = m2[a] = m3[a] = 0;
      for (int64_t i = 0; i < m; i++) {
        double xa = X[(size_t)i * kx + a];
        m1[a] += wt[i] * xa;
        m2[a] += wc[i] * (dy[i] - od[i] - eta_c) * xa;
        m3[a] += wc[i] * xa;
      }
      m1[a] /= nd;
      m2[a] /= nd;
      m3[a] /= nd;
    }
    for (int64_t i = 0; i < m; i++) {
      const double *xi = X + (size_t)i * kx;
      double e = dy[i] - od[i], w_ols = D[i] ? 0.0 : 1.0;
      double lin_ols1 = 0, lin_ols3 = 0, lin_ps = 0;
      for (size_t a = 0; a < kx; a++) {
        double s1 = 0, s3 = 0, s2 = 0;
        for (size_t b = 0; b < kx; b++) {
          s1 += inv[b * kx + a] * m1[b];
          s3 += inv[b * kx + a] * m3[b];
          s2 += hps[b * kx + a] * m2[b];
        }
        lin_ols1 += w_ols * e * xi[a] * s1;
        lin_ols3 += w_ols * e * xi[a] * s3;
        lin_ps += (D[i] - ps[i]) * xi[a] * s2;
      }
      inf[i] = (wt[i] * e - wt[i] * eta_t - lin_ols1) / mwt -
               (wc[i] * e - wc[i] * eta_c + lin_ps - lin_ols3) / mwc;
    }
    free(wt);
  }
  return 0;
}

/* Last period index with time < g, or -1. */
static int64_t before(const int64_t *times, int64_t t, int64_t g)
{
  int64_t k = -1;
  for (int64_t s = 0; s < t; s++)
    if (times[s] < g) k = s;
  return k;
}

static void cs_free(cs_state *s)
{
  for (size_t k = 0; k < s->ne; k++) free(s->e[k].psi);
  free(s->e);
  free(s->G);
  free(s->pg);
}

/* Aggregate entries sel[0..m-1] with weights proportional to pg (wif: the
 * estimated-weights term of did's wif()). est and psi (n) receive the result. */
static void aggregate(const cs_state *s, const size_t *sel, size_t m, int with_wif, const double *pw,
                      const int64_t *grp, const double *att, double *const *cols, double *est, double *psi)
{
  double S = 0;
  int64_t n = s->n;
  for (size_t k = 0; k < m; k++) S += pw[sel[k]];
  *est = 0;
  for (size_t k = 0; k < m; k++) *est += pw[sel[k]] / S * att[sel[k]];
  for (int64_t i = 0; i < n; i++) {
    double v = 0, sumdev = 0, wsum = 0;
    for (size_t k = 0; k < m; k++) v += pw[sel[k]] / S * cols[sel[k]][i];
    if (with_wif) {
      for (size_t k = 0; k < m; k++) {
        double dev = (s->G[i] == grp[sel[k]]) - pw[sel[k]];
        sumdev += dev;
        wsum += dev / S * att[sel[k]];
      }
      for (size_t k = 0; k < m; k++) wsum -= sumdev * pw[sel[k]] / (S * S) * att[sel[k]];
      v += wsum;
    }
    psi[i] = v;
  }
}

/* Columns of every reported estimate, for the one bootstrap pass. */
typedef struct colset {
  size_t count, cap;
  double **psi; /* borrowed or owned (owned[k]) */
  unsigned char *owned;
} colset;

static int col_add(colset *c, double *psi, int owned)
{
  if (c->count == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 32;
    double **p = realloc(c->psi, cap * sizeof *p);
    unsigned char *o;
    if (!p) return -1;
    c->psi = p;
    o = realloc(c->owned, cap);
    if (!o) return -1;
    c->owned = o;
    c->cap = cap;
  }
  c->psi[c->count] = psi;
  c->owned[c->count] = (unsigned char)owned;
  c->count++;
  return 0;
}

static double ase(const double *psi, int64_t n)
{
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += psi[i] * psi[i];
  return sqrt(s) / (double)n;
}

static int64_t cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static int cmp_i64q(const void *a, const void *b) { return (int)cmp_i64(a, b); }

/* Unique sorted values of v[0..m-1] into out; returns the count. */
static size_t uniq(const int64_t *v, size_t m, int64_t *out)
{
  size_t k = 0;
  memcpy(out, v, m * sizeof *out);
  qsort(out, m, sizeof *out, cmp_i64q);
  for (size_t j = 0; j < m; j++)
    if (!k || out[k - 1] != out[j]) out[k++] = out[j];
  return k;
}

int spill__did_cs(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *o, spill_did_result *r)
{
  int64_t N = p->n, T = p->t, n = 0, Tuse = T, *Gall = NULL, *unit = NULL, *glist = NULL;
  int64_t nfirst = 0, nnever = 0, gmax = 0, *clu = NULL, ncl = 0;
  size_t ng = 0, kx = o->use_x ? 1 + p->nx : 1, ncols;
  cs_state s = {0};
  colset cols = {0};
  unsigned char *D = NULL;
  double *dy = NULL, *X = NULL, *inf = NULL, *work = NULL, *bres = NULL;
  int rc = SPILL_ENOMEM, varying = o->base == SPILL_CS_VARYING, notyet = o->control == SPILL_CS_NOTYET;
  const int64_t *times = p->times;

  if (kx > 60) return spill__fail(ctx, SPILL_EINVAL, "Callaway-Sant'Anna: at most 59 covariates");
  Gall = spill__malloc(ctx, (size_t)N * sizeof *Gall);
  if (!Gall) goto done;
  if ((rc = spill__did_cohorts(ctx, p, Gall))) goto done;
  rc = SPILL_ENOMEM;
  unit = spill__malloc(ctx, (size_t)N * sizeof *unit);
  s.G = spill__malloc(ctx, (size_t)N * sizeof *s.G);
  glist = spill__malloc(ctx, (size_t)N * sizeof *glist);
  if (!unit || !s.G || !glist) goto done;
  for (int64_t i = 0; i < N; i++) {
    if (Gall[i] != 0 && Gall[i] <= times[0]) {
      nfirst++;
      continue;
    }
    unit[n] = i;
    s.G[n] = Gall[i];
    if (Gall[i] == 0) nnever++;
    else if (Gall[i] > gmax) gmax = Gall[i];
    n++;
  }
  s.n = n;
  if ((rc = spill__did_clusters(ctx, o, n, unit, &clu, &ncl))) goto done;
  rc = SPILL_ENOMEM;
  if (nfirst &&
      spill__did_note(ctx, r,
                      "%lld units treated from the first period (%lld) dropped: with no untreated period "
                      "their effects are not identified (as R did)",
                      (long long)nfirst, (long long)times[0]))
    goto done;
  if (nnever == 0) {
    if (!notyet) {
      rc = spill__fail(ctx, SPILL_EDATA,
                       "Callaway-Sant'Anna with never-treated controls: every unit is eventually treated, so "
                       "there is no never-treated group and no ATT(g,t) is identified; use --control notyet "
                       "(ATT(g,t) for periods before the last cohort adopts, that cohort serving as control)");
      goto done;
    }
    if (gmax == 0) {
      rc = spill__fail(ctx, SPILL_EDATA, "Callaway-Sant'Anna: no unit is treated within the panel");
      goto done;
    }
    /* did's rule: the last cohort becomes the control group, periods from its
     * adoption on are dropped (nothing is identified there) */
    while (Tuse > 0 && times[Tuse - 1] >= gmax) Tuse--;
    for (int64_t i = 0; i < n; i++)
      if (s.G[i] == gmax) s.G[i] = 0, nnever++;
    if (spill__did_note(ctx, r,
                        "every unit is eventually treated: the last cohort (%lld) serves as the not-yet-treated "
                        "control and periods from %lld on are dropped; effects there, and for that cohort, are "
                        "not identified without a never-treated group",
                        (long long)gmax, (long long)gmax))
      goto done;
  }
  r->n = n;
  r->t = Tuse;
  r->n_never = nnever;
  r->n_treated = n - nnever;
  {
    int64_t *tmp = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *tmp);
    size_t m = 0;
    if (!tmp) goto done;
    for (int64_t i = 0; i < n; i++)
      if (s.G[i] > 0) tmp[m++] = s.G[i];
    ng = uniq(tmp, m, glist);
    free(tmp);
  }
  if (ng == 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "Callaway-Sant'Anna: no treated cohort left to estimate");
    goto done;
  }
  D = spill__malloc(ctx, (size_t)n);
  dy = spill__malloc(ctx, (size_t)n * sizeof *dy);
  X = spill__malloc(ctx, (size_t)n * kx * sizeof *X);
  inf = spill__malloc(ctx, (size_t)n * sizeof *inf);
  work = spill__malloc(ctx, ((size_t)2 * n + 8 * kx * kx + 8 * kx) * sizeof *work);
  s.e = spill__calloc(ctx, ng * (size_t)Tuse, sizeof *s.e);
  s.pg = spill__calloc(ctx, ng * (size_t)Tuse, sizeof *s.pg);
  if (!D || !dy || !X || !inf || !work || !s.e || !s.pg) goto done;

  for (size_t gi = 0; gi < ng; gi++) {
    int64_t g = glist[gi], ngrp = 0;
    for (int64_t i = 0; i < n; i++) ngrp += s.G[i] == g;
    for (int64_t sidx = 0; sidx < Tuse - (varying ? 1 : 0); sidx++) {
      int64_t cur = sidx + (varying ? 1 : 0), pret = varying ? sidx : before(times, Tuse, g), m = 0;
      int64_t tctrl, ntr = 0, nct = 0;
      double att;
      gt_entry *e;
      if (times[cur] >= g) pret = before(times, Tuse, g);
      if (pret < 0) break; /* no pre-treatment period (cannot happen after the drop) */
      e = &s.e[s.ne];
      if (!varying && pret == cur) { /* the universal base period: 0 by construction */
        e->g = g;
        e->t = times[cur];
        e->att = 0;
        e->ntreat = ngrp;
        if (!(e->psi = spill__calloc(ctx, (size_t)n, sizeof *e->psi))) goto done;
        s.pg[s.ne] = (double)ngrp / (double)n;
        s.ne++;
        continue;
      }
      tctrl = times[cur > pret ? cur : pret];
      for (int64_t i = 0; i < n; i++) {
        int64_t gi2 = s.G[i], ui = unit[i];
        int treat = gi2 == g, ctrl = notyet ? (gi2 == 0 || (gi2 > tctrl && gi2 != g)) : gi2 == 0;
        int64_t scov = cur < pret ? cur : pret;
        if (!treat && !ctrl) continue;
        D[m] = (unsigned char)treat;
        ntr += treat;
        nct += !treat;
        dy[m] = p->y[cur * N + ui] - p->y[pret * N + ui];
        X[(size_t)m * kx] = 1.0;
        for (size_t k = 1; k < kx; k++) X[(size_t)m * kx + k] = p->x[(k - 1) * (size_t)(N * T) + scov * N + ui];
        m++;
      }
      if (ntr == 0 || nct == 0 || att_panel(m, D, dy, X, kx, o->est, &att, inf, work)) {
        if (spill__did_note(ctx, r, "ATT(%lld,%lld) not estimated: %s", (long long)g, (long long)times[cur],
                            nct == 0 ? "no control units" : "a regression on this subsample is singular"))
          goto done;
        continue;
      }
      e->g = g;
      e->t = times[cur];
      e->att = att;
      e->ntreat = ntr;
      if (!(e->psi = spill__calloc(ctx, (size_t)n, sizeof *e->psi))) goto done;
      /* did: the subsample influence function times n/n1, zero elsewhere */
      m = 0;
      for (int64_t i = 0; i < n; i++) {
        int64_t gi2 = s.G[i];
        int treat = gi2 == g, ctrl = notyet ? (gi2 == 0 || (gi2 > tctrl && gi2 != g)) : gi2 == 0;
        if (!treat && !ctrl) continue;
        e->psi[i] = (double)n / (double)(ntr + nct) * inf[m++];
      }
      s.pg[s.ne] = (double)ngrp / (double)n;
      s.ne++;
    }
  }
  if (s.ne == 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "Callaway-Sant'Anna: no ATT(g,t) could be estimated");
    goto done;
  }

  {
    /* aggregations (did's compute.aggte) */
    size_t ne = s.ne, *sel = NULL, nes = 0, ncal = 0;
    int64_t *grp = malloc(ne * sizeof *grp), *ev = malloc(ne * sizeof *ev), *eseq = malloc(ne * sizeof *eseq);
    int64_t *tseq = malloc(ne * sizeof *tseq);
    double *att = malloc(ne * sizeof *att), **cptr = malloc(ne * sizeof *cptr);
    double *gatt = calloc(ng, sizeof *gatt), *gpg = calloc(ng, sizeof *gpg);
    double *est_e = NULL, *est_g = NULL, *est_t = NULL;
    size_t base_e, base_g, base_t, base_o, c_simple, c_dyn, c_grp, c_cal;
    double simple, dyn = 0, gov, cal = 0;
    spill_did_table *tg, *te, *tgr, *tc, *tov;
    char label[96];
    int ok = 0;
    sel = malloc(ne * sizeof *sel);
    if (!grp || !ev || !eseq || !tseq || !att || !cptr || !gatt || !gpg || !sel) goto agg_done;
    for (size_t k = 0; k < ne; k++) {
      grp[k] = s.e[k].g;
      ev[k] = s.e[k].t - s.e[k].g;
      att[k] = s.e[k].att;
      cptr[k] = s.e[k].psi;
      if (col_add(&cols, s.e[k].psi, 0)) goto agg_done;
    }
    nes = uniq(ev, ne, eseq);
    {
      int64_t *tt = malloc(ne * sizeof *tt);
      size_t m = 0;
      if (!tt) goto agg_done;
      for (size_t k = 0; k < ne; k++)
        if (s.e[k].t >= glist[0]) tt[m++] = s.e[k].t;
      ncal = uniq(tt, m, tseq);
      free(tt);
    }
    est_e = malloc((nes + ng + ncal + 1) * sizeof *est_e);
    if (!est_e) goto agg_done;
    est_g = est_e + nes;
    est_t = est_g + ng;
    /* event time */
    base_e = cols.count;
    for (size_t q = 0; q < nes; q++) {
      size_t m = 0;
      double *psi = malloc((size_t)n * sizeof *psi);
      if (!psi || col_add(&cols, psi, 1)) {
        free(psi);
        goto agg_done;
      }
      for (size_t k = 0; k < ne; k++)
        if (ev[k] == eseq[q]) sel[m++] = k;
      aggregate(&s, sel, m, 1, s.pg, grp, att, cptr, &est_e[q], psi);
    }
    /* group: mean over the group's post-treatment periods */
    base_g = cols.count;
    for (size_t q = 0; q < ng; q++) {
      size_t m = 0;
      double *psi = malloc((size_t)n * sizeof *psi);
      if (!psi || col_add(&cols, psi, 1)) {
        free(psi);
        goto agg_done;
      }
      for (size_t k = 0; k < ne; k++)
        if (grp[k] == glist[q] && grp[k] <= s.e[k].t) sel[m++] = k;
      if (!m) {
        est_g[q] = NAN;
        memset(psi, 0, (size_t)n * sizeof *psi);
        continue;
      }
      aggregate(&s, sel, m, 0, s.pg, grp, att, cptr, &est_g[q], psi);
      gpg[q] = s.pg[sel[0]];
      gatt[q] = est_g[q];
    }
    /* calendar */
    base_t = cols.count;
    for (size_t q = 0; q < ncal; q++) {
      size_t m = 0;
      double *psi = malloc((size_t)n * sizeof *psi);
      if (!psi || col_add(&cols, psi, 1)) {
        free(psi);
        goto agg_done;
      }
      for (size_t k = 0; k < ne; k++)
        if (s.e[k].t == tseq[q] && grp[k] <= s.e[k].t) sel[m++] = k;
      aggregate(&s, sel, m, 1, s.pg, grp, att, cptr, &est_t[q], psi);
    }
    /* overall: simple, event-time average (e >= 0), group, calendar */
    base_o = cols.count;
    {
      double *ps = malloc((size_t)n * 4 * sizeof *ps);
      size_t m = 0, npos = 0, ngv = 0;
      if (!ps || col_add(&cols, ps, 1)) {
        free(ps);
        goto agg_done;
      }
      if (col_add(&cols, ps + n, 0) || col_add(&cols, ps + 2 * n, 0) || col_add(&cols, ps + 3 * n, 0))
        goto agg_done;
      for (size_t k = 0; k < ne; k++)
        if (grp[k] <= s.e[k].t) sel[m++] = k;
      aggregate(&s, sel, m, 1, s.pg, grp, att, cptr, &simple, ps);
      /* dynamic: mean over e >= 0 of the event-time estimates */
      for (int64_t i = 0; i < n; i++) ps[n + i] = 0;
      for (size_t q = 0; q < nes; q++)
        if (eseq[q] >= 0) npos++;
      for (size_t q = 0; q < nes; q++)
        if (eseq[q] >= 0) {
          dyn += est_e[q] / (double)npos;
          for (int64_t i = 0; i < n; i++) ps[n + i] += cols.psi[base_e + q][i] / (double)npos;
        }
      /* group overall: pg-weighted with the weights' influence term */
      {
        size_t *gsel = malloc(ng * sizeof *gsel);
        double **gcols = malloc(ng * sizeof *gcols);
        cs_state sg = s;
        if (!gsel || !gcols) {
          free(gsel);
          free(gcols);
          goto agg_done;
        }
        for (size_t q = 0; q < ng; q++)
          if (isfinite(est_g[q])) {
            gsel[ngv] = q;
            gcols[q] = cols.psi[base_g + q];
            ngv++;
          } else
            gcols[q] = cols.psi[base_g + q];
        aggregate(&sg, gsel, ngv, 1, gpg, glist, gatt, gcols, &gov, ps + 2 * n);
        free(gsel);
        free(gcols);
      }
      for (int64_t i = 0; i < n; i++) ps[3 * n + i] = 0;
      for (size_t q = 0; q < ncal; q++) {
        cal += est_t[q] / (double)ncal;
        for (int64_t i = 0; i < n; i++) ps[3 * n + i] += cols.psi[base_t + q][i] / (double)ncal;
      }
    }
    c_simple = base_o;
    c_dyn = base_o + 1;
    c_grp = base_o + 2;
    c_cal = base_o + 3;
    ncols = cols.count;
    /* standard errors: bootstrap (did's default) or analytic */
    {
      double *se = malloc(ncols * sizeof *se), crit[4] = {NAN, NAN, NAN, NAN};
      size_t *cl = malloc(ncols * sizeof *cl);
      if (!se || !cl) {
        free(se);
        free(cl);
        goto agg_done;
      }
      /* influence functions summed within clusters (did: rowsum by cluster) */
      double *psi = calloc((size_t)ncl * ncols, sizeof *psi), scale = sqrt((double)ncl) / (double)n;
      if (!psi) {
        free(se);
        free(cl);
        goto agg_done;
      }
      for (size_t c = 0; c < ncols; c++)
        for (int64_t i = 0; i < n; i++) psi[c * (size_t)ncl + clu[i]] += cols.psi[c][i];
      if (o->boot > 0) {
        if (spill__mem_request(ctx, (double)o->boot * (double)ncols * sizeof *bres,
                               "the multiplier bootstrap (draws x ATT(g,t) columns)", "use fewer draws (--boot)")) {
          free(psi);
          free(se);
          free(cl);
          goto agg_done;
        }
        bres = malloc((size_t)o->boot * ncols * sizeof *bres);
        if (!bres || spill__mboot_draws(ctx, psi, ncl, ncols, o->boot, o->seed, bres)) {
          free(psi);
          free(se);
          free(cl);
          goto agg_done;
        }
        for (size_t c = 0; c < ncols; c++) cl[c] = c;
        /* each table's own band, as aggte calls mboot per aggregation */
        spill__mboot_summary(bres, o->boot, ncols, cl, ne, scale, o->level, se, &crit[0]);
        spill__mboot_summary(bres, o->boot, ncols, cl + base_e, nes, scale, o->level, se + base_e, &crit[1]);
        spill__mboot_summary(bres, o->boot, ncols, cl + base_g, ng, scale, o->level, se + base_g, &crit[2]);
        spill__mboot_summary(bres, o->boot, ncols, cl + base_t, ncal, scale, o->level, se + base_t, &crit[3]);
        for (size_t c = base_o; c < ncols; c++) {
          double cr;
          spill__mboot_summary(bres, o->boot, ncols, cl + c, 1, scale, o->level, se + c, &cr);
        }
      } else {
        for (size_t c = 0; c < ncols; c++) {
          double a = ase(psi + c * (size_t)ncl, ncl) * (double)ncl / (double)n; /* sqrt(sum S_c^2) / n */
          se[c] = a > 0 ? a : NAN;
        }
      }
      free(psi);
      if (!(tg = spill__did_table_add(ctx, r, "ATT(g,t)"))) goto se_done;
      for (size_t k = 0; k < ne; k++) {
        snprintf(label, sizeof label, "ATT(%lld,%lld)", (long long)s.e[k].g, (long long)s.e[k].t);
        if (!spill__did_row_add(ctx, tg, label, s.e[k].g, s.e[k].t, ev[k], att[k], se[k], o->level,
                                s.e[k].ntreat))
          goto se_done;
      }
      spill__did_table_band(tg, crit[0]);
      if (!(te = spill__did_table_add(ctx, r, "event time"))) goto se_done;
      for (size_t q = 0; q < nes; q++) {
        int64_t cnt = 0;
        for (size_t k = 0; k < ne; k++)
          if (ev[k] == eseq[q]) cnt += s.e[k].ntreat;
        snprintf(label, sizeof label, "e=%lld", (long long)eseq[q]);
        if (!spill__did_row_add(ctx, te, label, INT64_MIN, INT64_MIN, eseq[q], est_e[q], se[base_e + q],
                                o->level, cnt))
          goto se_done;
      }
      spill__did_table_band(te, crit[1]);
      if (!(tgr = spill__did_table_add(ctx, r, "group"))) goto se_done;
      for (size_t q = 0; q < ng; q++) {
        snprintf(label, sizeof label, "g=%lld", (long long)glist[q]);
        if (!spill__did_row_add(ctx, tgr, label, glist[q], INT64_MIN, INT64_MIN, est_g[q], se[base_g + q],
                                o->level, (int64_t)llround(gpg[q] * (double)n)))
          goto se_done;
      }
      spill__did_table_band(tgr, crit[2]);
      if (!(tc = spill__did_table_add(ctx, r, "calendar"))) goto se_done;
      for (size_t q = 0; q < ncal; q++) {
        snprintf(label, sizeof label, "t=%lld", (long long)tseq[q]);
        if (!spill__did_row_add(ctx, tc, label, INT64_MIN, tseq[q], INT64_MIN, est_t[q], se[base_t + q],
                                o->level, 0))
          goto se_done;
      }
      spill__did_table_band(tc, crit[3]);
      if (!(tov = spill__did_table_add(ctx, r, "overall"))) goto se_done;
      if (!spill__did_row_add(ctx, tov, "simple ATT", INT64_MIN, INT64_MIN, INT64_MIN, simple, se[c_simple],
                              o->level, 0) ||
          !spill__did_row_add(ctx, tov, "event-time average (e>=0)", INT64_MIN, INT64_MIN, INT64_MIN, dyn,
                              se[c_dyn], o->level, 0) ||
          !spill__did_row_add(ctx, tov, "group average", INT64_MIN, INT64_MIN, INT64_MIN, gov, se[c_grp],
                              o->level, 0) ||
          !spill__did_row_add(ctx, tov, "calendar average", INT64_MIN, INT64_MIN, INT64_MIN, cal, se[c_cal],
                              o->level, 0))
        goto se_done;
      ok = 1;
    se_done:
      free(se);
      free(cl);
    }
  agg_done:
    free(grp);
    free(ev);
    free(eseq);
    free(tseq);
    free(att);
    free(cptr);
    free(gatt);
    free(gpg);
    free(sel);
    free(est_e);
    if (!ok) {
      if (spill_ctx_status(ctx) == SPILL_OK) spill__fail(ctx, SPILL_ENOMEM, "out of memory");
      rc = spill_ctx_status(ctx);
      goto done;
    }
  }
  {
    char buf[512];
    snprintf(buf, sizeof buf,
             "Callaway-Sant'Anna ATT(g,t): %s controls, %s base period, %s; SEs: %s",
             notyet ? "not-yet-treated" : "never-treated", varying ? "varying" : "universal",
             kx == 1 ? "no covariates" : o->est == SPILL_CS_REG ? "outcome regression (covariates at the base period)"
                                                               : "doubly robust (covariates at the base period)",
             o->boot > 0 ? "multiplier bootstrap (Rademacher)" : "analytic (influence function)");
    if (o->cluster) {
      size_t l = strlen(buf);
      snprintf(buf + l, sizeof buf - l, ", clustered (%lld clusters)", (long long)ncl);
    } else {
      size_t l = strlen(buf);
      snprintf(buf + l, sizeof buf - l, ", clustered by unit");
    }
    free(r->description);
    if (!(r->description = spill__strdup(ctx, buf))) goto done;
    if (o->boot > 0) {
      snprintf(buf, sizeof buf, "bootstrap: %d draws, seed %llu; uniform bands from the sup-t statistic",
               o->boot, (unsigned long long)o->seed);
      if (spill__did_note(ctx, r, "%s", buf)) goto done;
    }
  }
  rc = 0;
done:
  for (size_t c = 0; c < cols.count; c++)
    if (cols.owned[c]) free(cols.psi[c]);
  free(cols.psi);
  free(cols.owned);
  cs_free(&s);
  free(Gall);
  free(clu);
  free(unit);
  free(glist);
  free(D);
  free(dy);
  free(X);
  free(inf);
  free(work);
  free(bres);
  return rc;
}

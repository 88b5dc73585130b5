/* Absorbed fixed effects by alternating projections, singletons, absorbed
 * degrees of freedom, and HC1 / one-way / two-way cluster sandwiches. See
 * estimation/absorb.h for the interface and the sources. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/absorb.h"

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);

int64_t spill__absorb_singletons(const spill__fe_term *t, size_t nt, int64_t nobs, unsigned char *keep)
{
  int64_t dropped = 0;
  int changed = 1;
  while (changed) {
    changed = 0;
    for (size_t q = 0; q < nt; q++) {
      if (t[q].slope) continue;
      int64_t *cnt = calloc((size_t)t[q].levels + 1, sizeof *cnt);
      if (!cnt) return dropped;
      for (int64_t i = 0; i < nobs; i++)
        if (keep[i]) cnt[t[q].code[i]]++;
      for (int64_t i = 0; i < nobs; i++)
        if (keep[i] && cnt[t[q].code[i]] == 1) {
          keep[i] = 0;
          dropped++;
          changed = 1;
        }
      free(cnt);
    }
  }
  return dropped;
}

/* One projection: v less its per-level means (or per-level slopes on z). */
static void project(const spill__fe_term *t, int64_t nobs, const unsigned char *keep, double *v, double *num,
                    double *den)
{
  memset(num, 0, (size_t)t->levels * sizeof *num);
  memset(den, 0, (size_t)t->levels * sizeof *den);
  if (!t->slope) {
    for (int64_t i = 0; i < nobs; i++)
      if (keep[i]) {
        num[t->code[i]] += v[i];
        den[t->code[i]] += 1;
      }
    for (int64_t i = 0; i < nobs; i++)
      if (keep[i]) v[i] -= num[t->code[i]] / den[t->code[i]];
  } else {
    const double *z = t->slope;
    for (int64_t i = 0; i < nobs; i++)
      if (keep[i]) {
        num[t->code[i]] += z[i] * v[i];
        den[t->code[i]] += z[i] * z[i];
      }
    for (int64_t i = 0; i < nobs; i++)
      if (keep[i] && den[t->code[i]] > 0) v[i] -= z[i] * num[t->code[i]] / den[t->code[i]];
  }
}

int spill__absorb_demean(spill_ctx *ctx, const spill__fe_term *t, size_t nt, int64_t nobs,
                         const unsigned char *keep, double *cols, size_t ncol, double tol, int maxit, int *iters)
{
  int32_t lmax = 1;
  for (size_t q = 0; q < nt; q++)
    if (t[q].levels > lmax) lmax = t[q].levels;
  double *num = malloc((size_t)lmax * sizeof *num), *den = malloc((size_t)lmax * sizeof *den),
         *prev = malloc((size_t)(nobs > 0 ? nobs : 1) * sizeof *prev);
  int worst = 0, rc = SPILL_OK;
  if (!num || !den || !prev) rc = spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  for (size_t c = 0; c < ncol && rc == SPILL_OK; c++) {
    double *v = cols + (size_t)c * (size_t)nobs;
    double norm0 = 0;
    for (int64_t i = 0; i < nobs; i++) {
      if (!keep[i]) v[i] = 0;
      norm0 += v[i] * v[i];
    }
    int it = 0;
    for (;;) {
      memcpy(prev, v, (size_t)nobs * sizeof *v);
      for (size_t q = 0; q < nt; q++) project(&t[q], nobs, keep, v, num, den);
      it++;
      if (nt <= 1) break; /* one term: one exact projection */
      double d = 0, nv = 0;
      for (int64_t i = 0; i < nobs; i++) {
        d += (v[i] - prev[i]) * (v[i] - prev[i]);
        nv += v[i] * v[i];
      }
      /* converged: the sweep changed v by less than tol relative to v (or to
       * the column itself when v is numerically zero: a column absorbed) */
      if (d <= tol * tol * (nv > 0 ? nv : 0) || d <= 1e-30 * norm0 || d == 0) break;
      if (it >= maxit) {
        rc = spill__fail(ctx, SPILL_ENUM,
                         "absorb: alternating projections did not converge in %d sweeps (column %zu); "
                         "the fixed effects may be nearly collinear with it",
                         maxit, c + 1);
        break;
      }
    }
    if (it > worst) worst = it;
  }
  if (iters) *iters = worst;
  free(num);
  free(den);
  free(prev);
  return rc;
}

static int32_t uf_find(int32_t *p, int32_t a)
{
  while (p[a] != a) {
    p[a] = p[p[a]];
    a = p[a];
  }
  return a;
}

/* 1 when every observed level of t lies inside one cluster. */
static int nested(const spill__fe_term *t, int64_t nobs, const unsigned char *keep, const int32_t *cl)
{
  int32_t *owner = malloc((size_t)t->levels * sizeof *owner);
  int ok = 1;
  if (!owner) return 0;
  for (int32_t l = 0; l < t->levels; l++) owner[l] = -1;
  for (int64_t i = 0; i < nobs && ok; i++) {
    if (!keep[i]) continue;
    int32_t *o = &owner[t->code[i]];
    if (*o < 0) *o = cl[i];
    else if (*o != cl[i]) ok = 0;
  }
  free(owner);
  return ok;
}

/* 1 when the slope variable of t is constant within every level of e. */
static int const_within(const spill__fe_term *e, const spill__fe_term *t, int64_t nobs, const unsigned char *keep)
{
  double *v = malloc((size_t)e->levels * sizeof *v);
  unsigned char *set = calloc((size_t)e->levels, 1);
  int ok = v && set;
  for (int64_t i = 0; i < nobs && ok; i++) {
    if (!keep[i]) continue;
    int32_t l = e->code[i];
    if (!set[l]) v[l] = t->slope[i], set[l] = 1;
    else if (v[l] != t->slope[i]) ok = 0;
  }
  free(v);
  free(set);
  return ok;
}

/* Term q adds no column beyond the others: an intercept term coarser than
 * another intercept term (a province beside the units, the years beside
 * province-by-year; of two equal partitions the later one), or a slope term
 * spanned by a finer intercept term within whose levels its variable is
 * constant (province trends beside province-by-year effects). */
static int redundant(const spill__fe_term *t, size_t nt, size_t q, int64_t nobs, const unsigned char *keep)
{
  for (size_t e = 0; e < nt; e++) {
    if (e == q || t[e].slope || !nested(&t[e], nobs, keep, t[q].code)) continue;
    if (t[q].slope) {
      if (const_within(&t[e], &t[q], nobs, keep)) return 1;
      continue;
    }
    /* t[e] is finer than (or equal to) t[q] */
    if (!nested(&t[q], nobs, keep, t[e].code) || e < q) return 1;
  }
  return 0;
}

double spill__absorb_dof(const spill__fe_term *t, size_t nt, int64_t nobs, const unsigned char *keep,
                         const int32_t *cluster)
{
  return spill__absorb_dof2(t, nt, nobs, keep, cluster, NULL, NULL);
}

double spill__absorb_dof2(const spill__fe_term *t, size_t nt, int64_t nobs, const unsigned char *keep,
                          const int32_t *c1, const int32_t *c2, int *cons)
{
  double dof = 0;
  int n_icpt = 0;
  const spill__fe_term *first = NULL;
  if (cons) *cons = 0;
  for (size_t q = 0; q < nt; q++) {
    const spill__fe_term *u = &t[q];
    int is_nested = (c1 && nested(u, nobs, keep, c1)) || (c2 && nested(u, nobs, keep, c2));
    double *s0 = calloc((size_t)u->levels, sizeof *s0), *s1 = calloc((size_t)u->levels, sizeof *s1),
           *s2 = calloc((size_t)u->levels, sizeof *s2);
    if (!s0 || !s1 || !s2) {
      free(s0);
      free(s1);
      free(s2);
      return NAN;
    }
    for (int64_t i = 0; i < nobs; i++)
      if (keep[i]) {
        double z = u->slope ? u->slope[i] : 1;
        s0[u->code[i]] += 1;
        s1[u->code[i]] += z;
        s2[u->code[i]] += z * z;
      }
    double present = 0, varying = 0;
    for (int32_t l = 0; l < u->levels; l++) {
      present += s0[l] > 0;
      /* the slope variable varies within the level (else it is an intercept,
       * counted already when the level's intercept is absorbed) */
      varying += s0[l] > 1 && s2[l] - s1[l] * s1[l] / s0[l] > 1e-12 * (s2[l] > 0 ? s2[l] : 1);
    }
    free(s0);
    free(s1);
    free(s2);
    if (u->slope) {
      if (!redundant(t, nt, q, nobs, keep) && !is_nested) dof += varying;
      continue;
    }
    double k;
    if (redundant(t, nt, q, nobs, keep)) continue;
    if (n_icpt == 0) {
      k = present;
      first = u;
      if (cons && is_nested) *cons = 1; /* its levels include the constant */
    } else if (n_icpt == 1) {
      /* levels less the connected components of the (first, this) graph */
      int32_t na = first->levels, nb = u->levels;
      int32_t *p = malloc(((size_t)na + (size_t)nb) * sizeof *p);
      unsigned char *seen = calloc((size_t)na + (size_t)nb, 1);
      if (!p || !seen) {
        free(p);
        free(seen);
        return NAN;
      }
      for (int32_t a = 0; a < na + nb; a++) p[a] = a;
      for (int64_t i = 0; i < nobs; i++)
        if (keep[i]) {
          int32_t a = uf_find(p, first->code[i]), b = uf_find(p, na + u->code[i]);
          seen[first->code[i]] = seen[na + u->code[i]] = 1;
          if (a != b) p[a] = b;
        }
      double comp = 0;
      for (int32_t a = 0; a < na + nb; a++) comp += seen[a] && uf_find(p, a) == a;
      free(p);
      free(seen);
      k = present - comp;
    } else {
      k = present - 1;
    }
    n_icpt++;
    if (!is_nested) dof += k;
  }
  return dof;
}

typedef struct pair_ix {
  int32_t a, b;
  int64_t i;
} pair_ix;

static int cmp_pair(const void *x, const void *y)
{
  const pair_ix *p = x, *q = y;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  if (p->b != q->b) return p->b < q->b ? -1 : 1;
  return 0;
}

int spill__absorb_interact(spill_ctx *ctx, const int32_t *a, const int32_t *b, int64_t nobs, int32_t *out,
                           int32_t *levels)
{
  pair_ix *s = malloc((size_t)(nobs > 0 ? nobs : 1) * sizeof *s);
  if (!s) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  for (int64_t i = 0; i < nobs; i++) s[i] = (pair_ix){a[i], b[i], i};
  qsort(s, (size_t)nobs, sizeof *s, cmp_pair);
  int32_t g = -1;
  for (int64_t i = 0; i < nobs; i++) {
    if (!i || cmp_pair(&s[i - 1], &s[i])) g++;
    out[s[i].i] = g;
  }
  *levels = g + 1;
  free(s);
  return SPILL_OK;
}

/* meat += s * sum_g (X_g'e_g)(X_g'e_g)' over the groups of code; returns G. */
static int64_t meat_add(const double *x, const double *e, int64_t n, size_t k, const unsigned char *keep,
                        const int32_t *code, double s_small, double *meat, int *err)
{
  int32_t levels = 0;
  for (int64_t i = 0; i < n; i++)
    if (keep[i] && code[i] + 1 > levels) levels = code[i] + 1;
  double *sc = calloc((size_t)levels * k + 1, sizeof *sc);
  if (!sc) {
    *err = 1;
    return 0;
  }
  for (int64_t i = 0; i < n; i++)
    if (keep[i])
      for (size_t j = 0; j < k; j++) sc[(size_t)code[i] * k + j] += x[j * (size_t)n + (size_t)i] * e[i];
  int64_t g = 0;
  unsigned char *used = calloc((size_t)levels + 1, 1);
  for (int64_t i = 0; used && i < n; i++)
    if (keep[i]) used[code[i]] = 1;
  for (int32_t l = 0; l < levels; l++) g += used ? used[l] : 1;
  double f = s_small * (g > 1 ? (double)g / (double)(g - 1) : 1);
  for (int32_t l = 0; l < levels; l++) {
    const double *u = sc + (size_t)l * k;
    for (size_t a = 0; a < k; a++)
      for (size_t b = 0; b < k; b++) meat[a * k + b] += f * u[a] * u[b];
  }
  free(used);
  free(sc);
  return g;
}

int spill__vce(spill_ctx *ctx, spill__vce_kind kind, const double *x, const double *e, int64_t n, size_t k,
               const unsigned char *keep, const double *xtxinv, const int32_t *c1, const int32_t *c2,
               double kdof, double *v, int64_t *g_used)
{
  int64_t nobs = 0;
  for (int64_t i = 0; i < n; i++) nobs += keep[i] != 0;
  if ((double)nobs <= kdof) return spill__fail(ctx, SPILL_EDATA, "vce: %lld observations for %.0f parameters", (long long)nobs, kdof);
  double *meat = calloc(k * k + 1, sizeof *meat), *tmp = calloc(k * k + 1, sizeof *tmp);
  int err = 0;
  int64_t g = 0;
  if (!meat || !tmp) err = 1;
  /* (N-1)/(N-K), Stata's small-sample factor for cluster sandwiches */
  double ssc = ((double)nobs - 1) / ((double)nobs - kdof);
  if (!err && kind == SPILL__VCE_HC1) {
    double f = (double)nobs / ((double)nobs - kdof); /* HC1: N/(N-K) (MacKinnon and White 1985) */
    for (int64_t i = 0; i < n; i++)
      if (keep[i])
        for (size_t a = 0; a < k; a++)
          for (size_t b = 0; b < k; b++)
            meat[a * k + b] += f * e[i] * e[i] * x[a * (size_t)n + (size_t)i] * x[b * (size_t)n + (size_t)i];
    g = nobs;
  } else if (!err && kind == SPILL__VCE_CLUSTER) {
    g = meat_add(x, e, n, k, keep, c1, ssc, meat, &err);
  } else if (!err) {
    int32_t *c12 = malloc((size_t)(n > 0 ? n : 1) * sizeof *c12), l12;
    if (!c12 || spill__absorb_interact(ctx, c1, c2, n, c12, &l12)) err = 1;
    if (!err) {
      int64_t g1 = meat_add(x, e, n, k, keep, c1, ssc, meat, &err);
      int64_t g2 = meat_add(x, e, n, k, keep, c2, ssc, meat, &err);
      meat_add(x, e, n, k, keep, c12, -ssc, meat, &err);
      g = g1 < g2 ? g1 : g2;
    }
    free(c12);
  }
  if (err) {
    free(meat);
    free(tmp);
    return spill__fail(ctx, SPILL_ENOMEM, "vce: out of memory");
  }
  /* V = B M B */
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) {
      double s = 0;
      for (size_t c = 0; c < k; c++) s += meat[a * k + c] * xtxinv[c * k + b];
      tmp[a * k + b] = s;
    }
  for (size_t a = 0; a < k; a++)
    for (size_t b = 0; b < k; b++) {
      double s = 0;
      for (size_t c = 0; c < k; c++) s += xtxinv[a * k + c] * tmp[c * k + b];
      v[a * k + b] = s;
    }
  if (kind == SPILL__VCE_CLUSTER2 && k > 0) {
    /* eigenvalue fix when V1 + V2 - V12 is not positive semi-definite */
    int nk = (int)k, lwork = -1, info = 0;
    double wq, *ev = malloc(k * sizeof *ev), *a = malloc(k * k * sizeof *a);
    memcpy(a, v, k * k * sizeof *a);
    dsyev_("V", "U", &nk, a, &nk, ev, &wq, &lwork, &info);
    lwork = (int)wq;
    double *work = malloc((size_t)(lwork > 1 ? lwork : 1) * sizeof *work);
    dsyev_("V", "U", &nk, a, &nk, ev, work, &lwork, &info);
    int neg = 0;
    for (size_t j = 0; j < k; j++) neg |= ev[j] < 0;
    if (!info && neg)
      for (size_t r = 0; r < k; r++)
        for (size_t c = 0; c < k; c++) {
          double s = 0;
          for (size_t j = 0; j < k; j++)
            if (ev[j] > 0) s += a[j * k + r] * ev[j] * a[j * k + c];
          v[r * k + c] = s;
        }
    free(work);
    free(ev);
    free(a);
  }
  if (g_used) *g_used = g;
  free(meat);
  free(tmp);
  return SPILL_OK;
}

/* Per-city effects of the actual set of pilots (LeSage and Pace 2009, sec.
 * 2.7: the columns and rows of S): S d = (I - rho W)^-1 (beta d + theta W d)
 * split into each city's own effect and the spillover it receives, and the
 * spillover each pilot sends. Point values by sparse LU; simulation
 * intervals from the power series sum_j rho^j W^j (exact powers of W). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/effects.h"
#include "spatial/parallel.h"

/* Work beyond this many multiply-adds for the pilots' diagonals of W^j is
 * refused (about a minute on one core). */
#define MAX_DIAG_WORK 4e10
/* Point values: one sparse solve per pilot while pilots x units stays below this */
#define POINT_SOLVE_WORK 1e9

void spill_city_effects_free(spill_city_effects *c)
{
  if (!c) return;
  if (c->ids)
    for (int64_t i = 0; i < c->n; i++) free(c->ids[i]);
  free(c->ids);
  free(c->name);
  free(c->pilot);
  free(c->own);
  free(c->received);
  free(c->sent);
  free(c->total);
  free(c->own_lo);
  free(c->own_hi);
  free(c->received_lo);
  free(c->received_hi);
  free(c->sent_lo);
  free(c->sent_hi);
  free(c->total_lo);
  free(c->total_hi);
  free(c);
}

static spill_city_effects *alloc_city(spill_ctx *ctx, const spill_weights *w)
{
  spill_city_effects *c = spill__calloc(ctx, 1, sizeof *c);
  size_t n = (size_t)w->n;
  double **arr[13];
  int na = 0;
  if (!c) return NULL;
  c->n = w->n;
  arr[na++] = &c->pilot, arr[na++] = &c->own, arr[na++] = &c->received, arr[na++] = &c->sent;
  arr[na++] = &c->total, arr[na++] = &c->own_lo, arr[na++] = &c->own_hi;
  arr[na++] = &c->received_lo, arr[na++] = &c->received_hi, arr[na++] = &c->sent_lo;
  arr[na++] = &c->sent_hi, arr[na++] = &c->total_lo, arr[na++] = &c->total_hi;
  c->ids = spill__calloc(ctx, n, sizeof *c->ids);
  if (!c->ids) goto fail;
  for (int a = 0; a < na; a++)
    if (!(*arr[a] = spill__calloc(ctx, n, sizeof **arr[a]))) goto fail;
  for (size_t i = 0; i < n; i++)
    if (!(c->ids[i] = spill__strdup(ctx, w->ids[i]))) goto fail;
  return c;
fail:
  spill_city_effects_free(c);
  return NULL;
}

/* W' as a weights matrix (columns of W as rows). */
static spill_weights *transpose(spill_ctx *ctx, const spill_weights *w)
{
  int64_t n = w->n, nz = w->p[n];
  int64_t *ti = spill__malloc(ctx, (size_t)(nz ? nz : 1) * sizeof *ti);
  int64_t *tj = spill__malloc(ctx, (size_t)(nz ? nz : 1) * sizeof *tj);
  spill_weights *t = NULL;
  if (ti && tj) {
    for (int64_t i = 0; i < n; i++)
      for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) {
        ti[k] = w->j[k];
        tj[k] = i;
      }
    t = spill_weights_from_triplets(ctx, n, NULL, nz, ti, tj, w->x);
  }
  free(ti);
  free(tj);
  return t;
}

/* ---- pilots' diagonals of W^j by local walks ---- */

typedef struct spbuf {
  int64_t *idx;
  double *val;
  size_t n, cap;
} spbuf;

static int spbuf_push(spbuf *b, int64_t i, double v)
{
  if (b->n == b->cap) {
    size_t c = b->cap ? 2 * b->cap : 1024;
    int64_t *ni = realloc(b->idx, c * sizeof *ni);
    double *nv;
    if (!ni) return -1;
    b->idx = ni;
    if (!(nv = realloc(b->val, c * sizeof *nv))) return -1;
    b->val = nv;
    b->cap = c;
  }
  b->idx[b->n] = i;
  b->val[b->n++] = v;
  return 0;
}

/* Append level L+1 = M applied to level L (entries off[L]..off[L+1]) where
 * row r of m lists the targets t with weight m_rt: out[t] += in[r] m_rt. */
static int walk_step(const spill_weights *m, spbuf *b, size_t *off, int L, double *acc, char *mark)
{
  size_t start = b->n;
  for (size_t e = off[L]; e < off[L + 1]; e++) {
    int64_t r = b->idx[e];
    double v = b->val[e];
    for (int64_t q = m->p[r]; q < m->p[r + 1]; q++) {
      int64_t t = m->j[q];
      if (!mark[t]) {
        mark[t] = 1;
        if (spbuf_push(b, t, 0.0)) return -1;
      }
      acc[t] += v * m->x[q];
    }
  }
  for (size_t e = start; e < b->n; e++) {
    b->val[e] = acc[b->idx[e]];
    acc[b->idx[e]] = 0.0;
    mark[b->idx[e]] = 0;
  }
  off[L + 2] = b->n;
  return 0;
}

/* (W^j)_pp, j = 0..J1, of every pilot p into mdiag (np x (J1 + 1)), as
 * (W^(a+b))_pp = (W'^a e_p)'(W^b e_p) with a, b <= (J1 + 1) / 2: sparse
 * walks from p, so the work per pilot depends on the neighbourhood reached
 * in about J/2 steps, not on n. wt is W'. */
static int pilot_diagonals(spill_ctx *ctx, const spill_weights *w, const spill_weights *wt,
                           const int64_t *pil, int64_t np, int J1, double *mdiag)
{
  int64_t n = w->n;
  int H = (J1 + 1) / 2 + 1;
  double *acc = spill__calloc(ctx, (size_t)n, sizeof *acc), *dense = spill__calloc(ctx, (size_t)n, sizeof *dense);
  char *mark = spill__calloc(ctx, (size_t)n, 1);
  size_t *ox = spill__malloc(ctx, ((size_t)H + 2) * sizeof *ox), *oy = spill__malloc(ctx, ((size_t)H + 2) * sizeof *oy);
  spbuf bx = {0}, by = {0};
  int rc = SPILL_ENOMEM;
  if (!acc || !dense || !mark || !ox || !oy) goto done;
  for (int64_t q = 0; q < np; q++) {
    double *m = mdiag + (size_t)q * (size_t)(J1 + 1);
    bx.n = by.n = 0;
    ox[0] = oy[0] = 0;
    if (spbuf_push(&bx, pil[q], 1.0) || spbuf_push(&by, pil[q], 1.0)) goto done;
    ox[1] = oy[1] = 1;
    for (int L = 0; L + 1 < H; L++) /* x: rows of W^a (W' walk: via W's rows); y: columns (via W') */
      if (walk_step(w, &bx, ox, L, acc, mark) || walk_step(wt, &by, oy, L, acc, mark)) goto done;
    for (int j = 0; j <= J1; j++) {
      int a = (j + 1) / 2, b = j / 2;
      double s = 0.0;
      for (size_t e = ox[a]; e < ox[a + 1]; e++) dense[bx.idx[e]] = bx.val[e];
      for (size_t e = oy[b]; e < oy[b + 1]; e++) s += dense[by.idx[e]] * by.val[e];
      for (size_t e = ox[a]; e < ox[a + 1]; e++) dense[bx.idx[e]] = 0.0;
      m[j] = s;
    }
    if ((q & 1023) == 0) spill__progress(ctx, "city effects: pilots' diagonals", (double)q / (double)np);
  }
  rc = SPILL_OK;
done:
  if (rc) spill__fail(ctx, SPILL_ENOMEM, "city effects: out of memory for the pilots' diagonals");
  free(acc);
  free(dense);
  free(mark);
  free(ox);
  free(oy);
  free(bx.idx);
  free(bx.val);
  free(by.idx);
  free(by.val);
  return rc;
}

/* Exact point values at (beta, theta, rho) by sparse LU of I - rho W. */
static int city_point(spill_ctx *ctx, const spill_weights *w, double beta, double theta, double rho,
                      const int64_t *pil, int64_t np, int J, spill_city_effects *c)
{
  double *mdiag = NULL;
  int64_t n = w->n;
  double *g = NULL, *sd = NULL, *h = NULL, *wth = NULL, *rhs = NULL, *x = NULL;
  spill__lu *lu = NULL;
  spill_weights *wt = NULL;
  int rc = SPILL_ENOMEM;
  g = spill__malloc(ctx, (size_t)n * sizeof *g);
  sd = spill__malloc(ctx, (size_t)n * sizeof *sd);
  h = spill__malloc(ctx, (size_t)n * sizeof *h);
  wth = spill__malloc(ctx, (size_t)n * sizeof *wth);
  rhs = spill__calloc(ctx, (size_t)n, sizeof *rhs);
  x = spill__malloc(ctx, (size_t)n * sizeof *x);
  if (!g || !sd || !h || !wth || !rhs || !x) goto done;
  if (!(wt = transpose(ctx, w))) goto done;
  if (!(lu = spill__lu_new(ctx, w, rho))) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  spill__wmul(w, c->pilot, g);
  for (int64_t i = 0; i < n; i++) g[i] = beta * c->pilot[i] + theta * g[i];
  if ((rc = spill__lu_solve(ctx, lu, 0, g, sd))) goto done;
  for (int64_t i = 0; i < n; i++) x[i] = 1.0;
  if ((rc = spill__lu_solve(ctx, lu, 1, x, h))) goto done;
  spill__wtmul(w, h, wth); /* column sums of S: (beta I + theta W)' h */
  if (J > 0) { /* many pilots on a large map: S_pp from the series, no solve per pilot */
    rc = SPILL_ENOMEM;
    if (!(mdiag = spill__calloc(ctx, (size_t)np * (size_t)(J + 2), sizeof *mdiag))) goto done;
    if ((rc = pilot_diagonals(ctx, w, wt, pil, np, J + 1, mdiag))) goto done;
    for (int64_t q = 0; q < np; q++) {
      const double *m = mdiag + (size_t)q * (J + 2);
      int64_t p = pil[q];
      double spp = 0.0, rj = 1.0;
      for (int j = 0; j <= J; j++, rj *= rho) spp += rj * (beta * m[j] + theta * m[j + 1]);
      c->own[p] = spp * c->pilot[p];
      c->sent[p] = (beta * h[p] + theta * wth[p] - spp) * c->pilot[p];
    }
  }
  for (int64_t q = 0; q < np && J <= 0; q++) {
    int64_t p = pil[q];
    double spp;
    /* column p of beta I + theta W (row p of W') */
    for (int64_t k = wt->p[p]; k < wt->p[p + 1]; k++) rhs[wt->j[k]] = theta * wt->x[k];
    rhs[p] += beta;
    if ((rc = spill__lu_solve(ctx, lu, 0, rhs, x))) goto done;
    for (int64_t k = wt->p[p]; k < wt->p[p + 1]; k++) rhs[wt->j[k]] = 0.0;
    rhs[p] = 0.0;
    spp = x[p];
    c->own[p] = spp * c->pilot[p];
    c->sent[p] = (beta * h[p] + theta * wth[p] - spp) * c->pilot[p];
    spill__progress(ctx, "city effects", (double)(q + 1) / (double)np);
  }
  c->sum_total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    c->total[i] = sd[i];
    c->received[i] = sd[i] - c->own[i];
    c->sum_total += sd[i];
  }
  rc = SPILL_OK;
done:
  spill__lu_free(lu);
  spill_weights_free(wt);
  free(mdiag);
  free(g);
  free(sd);
  free(h);
  free(wth);
  free(rhs);
  free(x);
  return rc;
}

/* x = sum_{j=0..J} rho^j M^j b by Horner (M = W, or W' when transpose). */
static void series_apply(const spill_weights *w, int transpose, double rho, int J, const double *b,
                         double *x, double *tmp)
{
  int64_t n = w->n;
  memcpy(x, b, (size_t)n * sizeof *x);
  for (int j = 0; j < J; j++) {
    if (transpose) spill__wtmul(w, x, tmp);
    else spill__wmul(w, x, tmp);
    for (int64_t i = 0; i < n; i++) x[i] = b[i] + rho * tmp[i];
  }
}

static void summarize_col(const float *v, size_t nd, size_t stride, size_t col, double level,
                          double *buf, double *lo, double *hi)
{
  for (size_t r = 0; r < nd; r++) buf[r] = v[r * stride + col];
  spill__sort(buf, nd);
  *lo = spill__quantile_sorted(buf, nd, (1.0 - level) / 2.0);
  *hi = spill__quantile_sorted(buf, nd, (1.0 + level) / 2.0);
}

/* The draws on the context's threads: draw r always writes row r of v, and
 * each column's interval is computed from all rows, so the results do not
 * depend on the thread count. */
typedef struct city_job {
  const spill_weights *w;
  const spill__draws *d;
  spill_city_effects *c;
  const double *wd, *mdiag;
  const int64_t *pil;
  int64_t np;
  int J;
  long cb, ct;
  size_t stride;
  double level;
  float *v;
} city_job;

static int city_draw_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  city_job *jb = user;
  const spill_weights *w = jb->w;
  const spill__draws *d = jb->d;
  const spill_city_effects *c = jb->c;
  int64_t n = w->n, np = jb->np;
  size_t r0 = d->n * (size_t)thread / (size_t)nthreads, r1 = d->n * (size_t)(thread + 1) / (size_t)nthreads;
  double *g = spill__malloc(ctx, (size_t)n * sizeof *g), *sd = spill__malloc(ctx, (size_t)n * sizeof *sd);
  double *h = spill__malloc(ctx, (size_t)n * sizeof *h), *one = spill__malloc(ctx, (size_t)n * sizeof *one);
  double *tmp = spill__malloc(ctx, (size_t)n * sizeof *tmp), *wth = spill__malloc(ctx, (size_t)n * sizeof *wth);
  int rc = g && sd && h && one && tmp && wth ? SPILL_OK : SPILL_ENOMEM;
  if (!rc)
    for (int64_t i = 0; i < n; i++) one[i] = 1.0;
  for (size_t r = r0; r < r1 && !rc; r++) {
    const double *par = d->v + r * d->m;
    double beta = par[jb->cb], theta = jb->ct >= 0 ? par[jb->ct] : 0.0, rho = d->rho_col >= 0 ? par[d->rho_col] : 0.0;
    float *out = jb->v + r * jb->stride;
    for (int64_t i = 0; i < n; i++) g[i] = beta * c->pilot[i] + theta * jb->wd[i];
    series_apply(w, 0, rho, jb->J, g, sd, tmp);
    series_apply(w, 1, rho, jb->J, one, h, tmp);
    spill__wtmul(w, h, wth);
    for (int64_t i = 0; i < n; i++) {
      out[i] = (float)sd[i];          /* total */
      out[n + i] = (float)sd[i];      /* received, own subtracted below */
    }
    for (int64_t q = 0; q < np; q++) {
      const double *m = jb->mdiag + (size_t)q * (jb->J + 2);
      int64_t p = jb->pil[q];
      double spp = 0.0, rj = 1.0;
      for (int j = 0; j <= jb->J; j++, rj *= rho) spp += rj * (beta * m[j] + theta * m[j + 1]);
      out[2 * n + q] = (float)(spp * c->pilot[p]);
      out[2 * n + np + q] = (float)((beta * h[p] + theta * wth[p] - spp) * c->pilot[p]);
      out[n + p] = (float)(sd[p] - spp * c->pilot[p]);
    }
    if (thread == 0) spill__progress(ctx, "city effects: draws", (double)(r + 1 - r0) / (double)(r1 - r0));
  }
  free(g);
  free(sd);
  free(h);
  free(one);
  free(tmp);
  free(wth);
  return rc;
}

static int city_sum_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  city_job *jb = user;
  spill_city_effects *c = jb->c;
  int64_t n = jb->w->n, np = jb->np, ncol = n + np;
  int64_t i0 = ncol * thread / nthreads, i1 = ncol * (thread + 1) / nthreads;
  size_t nd = jb->d->n;
  double *buf = spill__malloc(ctx, (nd ? nd : 1) * sizeof *buf);
  if (!buf) return SPILL_ENOMEM;
  for (int64_t i = i0; i < i1; i++) {
    if (i < n) {
      summarize_col(jb->v, nd, jb->stride, (size_t)i, jb->level, buf, &c->total_lo[i], &c->total_hi[i]);
      summarize_col(jb->v, nd, jb->stride, (size_t)(n + i), jb->level, buf, &c->received_lo[i],
                    &c->received_hi[i]);
    } else {
      int64_t q = i - n, p = jb->pil[q];
      summarize_col(jb->v, nd, jb->stride, (size_t)(2 * n + q), jb->level, buf, &c->own_lo[p], &c->own_hi[p]);
      summarize_col(jb->v, nd, jb->stride, (size_t)(2 * n + np + q), jb->level, buf, &c->sent_lo[p],
                    &c->sent_hi[p]);
    }
  }
  free(buf);
  return SPILL_OK;
}

/* Simulation intervals: each draw (beta, theta, rho) through the series. */
static int city_sim(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w, const int64_t *pil,
                    int64_t np, const spill_effects_opts *opts, spill_city_effects *c)
{
  int64_t n = w->n;
  double wnorm = 0.0, *wd = NULL, *mdiag = NULL;
  float *v = NULL;
  spill_weights *wt = NULL;
  size_t stride = (size_t)(2 * n + 2 * np);
  spill__draws d;
  long cb, ct;
  int J, rc;
  memset(&d, 0, sizeof d);
  for (int64_t i = 0; i < n; i++) {
    double s = 0.0;
    for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += fabs(w->x[k]);
    wnorm = fmax(wnorm, s);
  }
  J = opts->order > 0 ? opts->order
                      : spill__series_order(spill__rho_abs_max(fit, wnorm), wnorm, opts->tol, opts->max_order);
  if (!spill__fit_lag(fit)) J = 0;
  /* local walks of about J/2 steps: ~ (J/2)^3 entries per pilot on a planar map */
  if ((double)np * (J + 2.0) * (J + 2.0) * (J + 2.0) / 8.0 * ((double)w->p[n] / (double)n + 1.0) > MAX_DIAG_WORK)
    return spill__fail(ctx, SPILL_EINVAL, "city effects: %lld pilots with %d series terms on %lld "
                       "units is too much work for simulation intervals; use draws = 0 "
                       "(--draws 0) for the point values", (long long)np, J, (long long)n);
  if (spill__mem_request(ctx, (double)opts->draws * (double)stride * sizeof(float),
                         "city effects: the simulation draws x units", "use fewer draws (--draws), or --draws 0 for "
                         "the point values"))
    return SPILL_ENOMEM;
  if ((double)opts->draws * (double)stride * sizeof(float) > 2e9)
    return spill__fail(ctx, SPILL_ENOMEM, "city effects: %d draws for %lld units need more than "
                       "2 GB; use fewer draws (--draws)", opts->draws, (long long)n);
  if ((rc = spill__draws_make(ctx, fit, spill__fit_lag(fit) ? wnorm : 0.0, opts, &d))) return rc;
  rc = SPILL_ENOMEM;
  wd = spill__malloc(ctx, (size_t)n * sizeof *wd);
  mdiag = spill__calloc(ctx, (size_t)(np ? np : 1) * (size_t)(J + 2), sizeof *mdiag);
  v = spill__malloc(ctx, (d.n ? d.n : 1) * stride * sizeof *v);
  if (!wd || !mdiag || !v) goto done;
  spill__wmul(w, c->pilot, wd);
  /* (W^j)_pp for each pilot p, j = 0..J+1, by local walks */
  if (!(wt = transpose(ctx, w))) goto done;
  if ((rc = pilot_diagonals(ctx, w, wt, pil, np, J + 1, mdiag))) goto done;
  cb = spill__draws_col(&d, fit->treat);
  ct = fit->wlag && fit->wlag[fit->treat] >= 0 ? spill__draws_col(&d, fit->wlag[fit->treat]) : -1;
  {
    city_job jb = {w, &d, c, wd, mdiag, pil, np, J, cb, ct, stride, opts->level, v};
    int th = spill__thread_count(ctx, (int64_t)d.n * (J + 1) * (w->p[n] + n));
    if (th > (int)d.n) th = d.n ? (int)d.n : 1;
    if ((rc = spill__run_parallel(ctx, th, city_draw_task, &jb))) goto done;
    th = spill__thread_count(ctx, (int64_t)d.n * (n + np));
    if ((rc = spill__run_parallel(ctx, th, city_sum_task, &jb))) goto done;
  }
  c->accepted = (int)d.n;
  c->rejected = (int)d.rejected;
  rc = SPILL_OK;
done:
  spill__draws_free(&d);
  free(wd);
  free(mdiag);
  free(v);
  spill_weights_free(wt);
  return rc;
}

spill_city_effects *spill_city_effects_compute(spill_ctx *ctx, const spill_fit *fit,
                                               const spill_weights *w, const double *d,
                                               const spill_effects_opts *opts)
{
  spill_effects_opts def;
  spill_city_effects *c = NULL;
  int64_t *pil = NULL, np = 0;
  double beta, theta, rho;
  if (!opts) {
    spill_effects_opts_init(&def);
    opts = &def;
  }
  if (spill__effects_opts_check(ctx, opts)) return NULL;
  if (!fit || !w || fit->n != w->n) {
    spill__fail(ctx, SPILL_EINVAL, "city effects: the fit has %lld units but W has %lld; pass the "
                "W the model was fitted with", fit ? (long long)fit->n : 0LL, w ? (long long)w->n : 0LL);
    return NULL;
  }
  if (fit->treat < 0 || (size_t)fit->treat >= fit->k) {
    spill__fail(ctx, SPILL_EINVAL, "city effects: the model has no treatment coefficient "
                "(give the panel a treatment or adoption column)");
    return NULL;
  }
  for (int64_t i = 0; i < w->n; i++)
    if (!isfinite(d[i])) {
      spill__fail(ctx, SPILL_EDATA, "city effects: the treatment of unit %s is not a number", w->ids[i]);
      return NULL;
    }
  beta = fit->coef[fit->treat];
  theta = fit->wlag && fit->wlag[fit->treat] >= 0 ? fit->coef[fit->wlag[fit->treat]] : 0.0;
  rho = spill__fit_lag(fit) ? fit->rho : 0.0;
  c = alloc_city(ctx, w);
  pil = spill__malloc(ctx, (size_t)w->n * sizeof *pil);
  if (!c || !pil) goto fail;
  if (!(c->name = spill__strdup(ctx, fit->names ? fit->names[fit->treat] : "treatment"))) goto fail;
  for (int64_t i = 0; i < w->n; i++) {
    c->pilot[i] = d[i];
    if (d[i] != 0.0) pil[np++] = i;
  }
  c->draws = opts->draws;
  c->level = opts->level;
  { /* one solve per pilot up to ~1e9 pilot-units, else the series (to opts->tol) */
    int J = 0;
    if ((double)np * (double)w->n > POINT_SOLVE_WORK && rho != 0.0) {
      double wn = 0.0;
      for (int64_t i = 0; i < w->n; i++) {
        double s = 0.0;
        for (int64_t k = w->p[i]; k < w->p[i + 1]; k++) s += fabs(w->x[k]);
        wn = fmax(wn, s);
      }
      J = opts->order > 0 ? opts->order : spill__series_order(fabs(rho), wn, opts->tol, opts->max_order);
      if (fabs(rho) * wn >= 1.0) J = 0; /* no convergent series: solves */
    }
    if (city_point(ctx, w, beta, theta, rho, pil, np, J, c) != SPILL_OK) goto fail;
  }
  if (opts->draws > 0) {
    if (city_sim(ctx, fit, w, pil, np, opts, c) != SPILL_OK) goto fail;
  } else {
    for (int64_t i = 0; i < w->n; i++)
      c->own_lo[i] = c->own_hi[i] = c->received_lo[i] = c->received_hi[i] = c->sent_lo[i] =
          c->sent_hi[i] = c->total_lo[i] = c->total_hi[i] = NAN;
  }
  free(pil);
  return c;
fail:
  free(pil);
  spill_city_effects_free(c);
  return NULL;
}

typedef struct id_ref {
  const char *id;
  int64_t idx;
} id_ref;

static int cmp_id(const void *a, const void *b)
{
  return strcmp(((const id_ref *)a)->id, ((const id_ref *)b)->id);
}

spill_city_effects *spill_city_effects_from_panel(spill_ctx *ctx, const spill_fit *fit,
                                                  const spill_weights *w, const spill_panel *panel,
                                                  int64_t period, const spill_effects_opts *opts)
{
  spill_city_effects *c = NULL;
  id_ref *ref = NULL;
  double *d = NULL;
  int64_t s = -1;
  if (!panel->d) {
    spill__fail(ctx, SPILL_EINVAL, "city effects: the panel has no treatment column");
    return NULL;
  }
  if (panel->t < 1) {
    spill__fail(ctx, SPILL_EINVAL, "city effects: the panel has no periods");
    return NULL;
  }
  if (period == INT64_MIN) s = panel->t - 1;
  for (int64_t q = 0; q < panel->t && s < 0; q++)
    if (panel->times[q] == period) s = q;
  if (s < 0) {
    spill__fail(ctx, SPILL_EINVAL, "city effects: period %lld is not in the panel (%lld..%lld)",
                (long long)period, (long long)panel->times[0], (long long)panel->times[panel->t - 1]);
    return NULL;
  }
  ref = spill__malloc(ctx, (size_t)(panel->n ? panel->n : 1) * sizeof *ref);
  d = spill__malloc(ctx, (size_t)w->n * sizeof *d);
  if (!ref || !d) goto done;
  for (int64_t i = 0; i < panel->n; i++) {
    ref[i].id = panel->ids[i];
    ref[i].idx = i;
  }
  qsort(ref, (size_t)panel->n, sizeof *ref, cmp_id);
  for (int64_t i = 0; i < w->n; i++) {
    char canon[32];
    id_ref key = {w->ids[i], 0}, *hit;
    if (spill__canonical_id(w->ids[i], canon)) key.id = canon;
    hit = bsearch(&key, ref, (size_t)panel->n, sizeof *ref, cmp_id);
    if (!hit) {
      spill__fail(ctx, SPILL_EDATA, "city effects: unit %s of W is not in the panel "
                  "(align the panel to W first)", w->ids[i]);
      goto done;
    }
    d[i] = panel->d[s * panel->n + hit->idx];
  }
  c = spill_city_effects_compute(ctx, fit, w, d, opts);
  if (c) c->period = panel->times[s];
done:
  free(ref);
  free(d);
  return c;
}

static void csv_num(FILE *f, double v)
{
  if (isfinite(v)) fprintf(f, ",%.10g", v);
  else fputs(",", f);
}

int spill_city_effects_write_csv(spill_ctx *ctx, const spill_city_effects *c, const char *path)
{
  char *tmp = NULL;
  FILE *f = spill__atomic_open(ctx, path, &tmp);
  if (!f) return spill_ctx_status(ctx);
  fputs("id,pilot,own,own_lo,own_hi,received,received_lo,received_hi,sent,sent_lo,sent_hi,"
        "total,total_lo,total_hi\n", f);
  for (int64_t i = 0; i < c->n; i++) {
    spill__csv_str(f, c->ids[i]);
    fprintf(f, ",%.10g", c->pilot[i]);
    csv_num(f, c->own[i]);
    csv_num(f, c->own_lo[i]);
    csv_num(f, c->own_hi[i]);
    csv_num(f, c->received[i]);
    csv_num(f, c->received_lo[i]);
    csv_num(f, c->received_hi[i]);
    csv_num(f, c->sent[i]);
    csv_num(f, c->sent_lo[i]);
    csv_num(f, c->sent_hi[i]);
    csv_num(f, c->total[i]);
    csv_num(f, c->total_lo[i]);
    csv_num(f, c->total_hi[i]);
    fputc('\n', f);
  }
  return spill__atomic_commit(ctx, f, tmp, path);
}

/* Placebo tests (randomisation inference) for the TWFE DID and the SDM-DID:
 * pilot status reassigned at random, the model refitted R times, the real
 * estimate set against the placebo distribution (Fisher 1935; as the
 * Chinese pilot-policy literature reports it: density of the placebo
 * estimates and their p-values). Refits reuse what does not change: by
 * Frisch-Waugh-Lovell only the within-transformed D (and W D) is projected
 * off the fixed controls each time, and ln|I - rho W| comes from a grid. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/did.h"
#include "estimation/effects.h"
#include "shapes/chart.h"
#include "spatial/parallel.h"

#define LD_GRID 480

void spill_placebo_opts_init(spill_placebo_opts *o)
{
  memset(o, 0, sizeof *o);
  o->model = SPILL_MODEL_OLS;
  o->mode = SPILL_PLACEBO_PERMUTE;
  o->reps = 500;
  o->shift = 2;
  o->seed = 1;
  o->logdet = SPILL_LOGDET_AUTO;
}

void spill_placebo_free(spill_placebo *pl)
{
  if (!pl) return;
  free(pl->b);
  free(pl->bp);
  free(pl->bdirect);
  free(pl->bindirect);
  free(pl);
}

/* What every refit shares. */
typedef struct setup {
  const spill_panel *p;
  const spill_weights *w;
  int sdm;
  int64_t n, t, nt;
  double *q;            /* orthonormal basis of the within-transformed controls (and W controls) */
  size_t kq;
  double *yq, *wyq;     /* within y and within W y, projected off q */
  double yy, yw, ww;    /* their cross products */
  double cclus;         /* cluster small-sample factor for the TWFE */
  double ld_lo, ld_h;   /* ln|I - rho W| on a grid: rho_g = ld_lo + g h */
  double ld[LD_GRID];
  spill_traces *tr;
  int row_stochastic;
  const int64_t *adopt; /* real adoption periods */
  int64_t pilots;
  spill_placebo_mode mode;
  uint64_t seed;
  int reps;
  spill_placebo *out;
} setup;

typedef struct ws {
  double *d, *wd, *dt, *wdt, *work;
  int64_t *adopt, *perm;
} ws;

static void ws_free(ws *w)
{
  free(w->d);
  free(w->wd);
  free(w->dt);
  free(w->wdt);
  free(w->work);
  free(w->adopt);
  free(w->perm);
}

static int ws_alloc(spill_ctx *ctx, const setup *S, ws *w)
{
  size_t nt = (size_t)S->nt;
  memset(w, 0, sizeof *w);
  w->d = spill__malloc(ctx, nt * sizeof *w->d);
  w->wd = spill__malloc(ctx, nt * sizeof *w->wd);
  w->dt = spill__malloc(ctx, nt * sizeof *w->dt);
  w->wdt = spill__malloc(ctx, nt * sizeof *w->wdt);
  w->work = spill__malloc(ctx, (size_t)(S->n + S->t) * sizeof *w->work);
  w->adopt = spill__malloc(ctx, (size_t)S->n * sizeof *w->adopt);
  w->perm = spill__malloc(ctx, (size_t)S->n * sizeof *w->perm);
  if (!w->d || !w->wd || !w->dt || !w->wdt || !w->work || !w->adopt || !w->perm) {
    ws_free(w);
    return SPILL_ENOMEM;
  }
  return SPILL_OK;
}

/* Cubic (Catmull-Rom) interpolation of the log-determinant grid. */
static double ld_at(const setup *S, double rho)
{
  double u = (rho - S->ld_lo) / S->ld_h, f;
  int g = (int)floor(u);
  if (g < 1) g = 1;
  if (g > LD_GRID - 3) g = LD_GRID - 3;
  f = u - g;
  {
    double p0 = S->ld[g - 1], p1 = S->ld[g], p2 = S->ld[g + 1], p3 = S->ld[g + 2];
    return p1 + 0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 + f * (3 * (p1 - p2) + p3 - p0)));
  }
}

/* Concentrated lnL of the lag model up to constants (Anselin 1988). */
static double conc(const setup *S, double e00, double e01, double e11, double rho)
{
  double s2 = (e00 - 2 * rho * e01 + rho * rho * e11) / (double)S->nt;
  return s2 > 0 ? -0.5 * (double)S->nt * log(s2) + (double)S->t * ld_at(S, rho) : -INFINITY;
}

/* One refit for adoption periods adopt: estimate, its p-value and the SDM
 * effects. */
static void refit(const setup *S, ws *w, const int64_t *adopt, double *b, double *bp, double *dir,
                  double *ind, double *rho_out)
{
  int64_t n = S->n, t = S->t, nt = S->nt;
  const spill_panel *p = S->p;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) w->d[s * n + i] = adopt[i] && p->times[s] >= adopt[i] ? 1.0 : 0.0;
  spill__within(w->d, n, t, SPILL_FE_TWOWAYS, w->work, w->dt);
  spill__orth_resid(S->q, S->kq, nt, w->dt);
  *dir = *ind = NAN;
  if (!S->sdm) {
    double dd = 0, dy = 0, meat = 0, beta;
    for (int64_t r = 0; r < nt; r++) {
      dd += w->dt[r] * w->dt[r];
      dy += w->dt[r] * S->yq[r];
    }
    if (!(dd > 1e-12)) {
      *b = *bp = NAN;
      return;
    }
    beta = dy / dd;
    for (int64_t i = 0; i < n; i++) {
      double sc = 0;
      for (int64_t s = 0; s < t; s++) {
        int64_t r = s * n + i;
        sc += w->dt[r] * (S->yq[r] - beta * w->dt[r]);
      }
      meat += sc * sc;
    }
    *b = beta;
    *bp = spill__normal_p2(beta / sqrt(S->cclus * meat / (dd * dd)));
    return;
  }
  spill__wlag(S->w, w->d, t, w->wd);
  spill__within(w->wd, n, t, SPILL_FE_TWOWAYS, w->work, w->wdt);
  spill__orth_resid(S->q, S->kq, nt, w->wdt);
  {
    double g11 = 0, g12 = 0, g22 = 0, c1y = 0, c2y = 0, c1w = 0, c2w = 0, det, i11, i12, i22;
    double b0[2], b1[2], e00, e01, e11, best = -INFINITY, rho = 0, lo, hi, beta, theta, s2;
    int gb = 1;
    for (int64_t r = 0; r < nt; r++) {
      double a = w->dt[r], c = w->wdt[r];
      g11 += a * a;
      g12 += a * c;
      g22 += c * c;
      c1y += a * S->yq[r];
      c2y += c * S->yq[r];
      c1w += a * S->wyq[r];
      c2w += c * S->wyq[r];
    }
    det = g11 * g22 - g12 * g12;
    if (!(det > 1e-12 * g11 * g22) || !(g11 > 0)) {
      *b = *bp = NAN;
      return;
    }
    i11 = g22 / det;
    i12 = -g12 / det;
    i22 = g11 / det;
    b0[0] = i11 * c1y + i12 * c2y;
    b0[1] = i12 * c1y + i22 * c2y;
    b1[0] = i11 * c1w + i12 * c2w;
    b1[1] = i12 * c1w + i22 * c2w;
    e00 = S->yy - (b0[0] * c1y + b0[1] * c2y);
    e01 = S->yw - (b0[0] * c1w + b0[1] * c2w);
    e11 = S->ww - (b1[0] * c1w + b1[1] * c2w);
    for (int g = 1; g < LD_GRID - 1; g++) { /* scan, then golden sections */
      double f = conc(S, e00, e01, e11, S->ld_lo + g * S->ld_h);
      if (f > best) {
        best = f;
        gb = g;
      }
    }
    lo = S->ld_lo + (gb - 1) * S->ld_h;
    hi = S->ld_lo + (gb + 1) * S->ld_h;
    {
      const double gr = 0.6180339887498949;
      double x1 = hi - gr * (hi - lo), x2 = lo + gr * (hi - lo);
      double f1 = conc(S, e00, e01, e11, x1), f2 = conc(S, e00, e01, e11, x2);
      for (int it = 0; it < 60 && hi - lo > 1e-10; it++) {
        if (f1 >= f2) {
          hi = x2;
          x2 = x1;
          f2 = f1;
          x1 = hi - gr * (hi - lo);
          f1 = conc(S, e00, e01, e11, x1);
        } else {
          lo = x1;
          x1 = x2;
          f1 = f2;
          x2 = lo + gr * (hi - lo);
          f2 = conc(S, e00, e01, e11, x2);
        }
      }
      rho = 0.5 * (lo + hi);
    }
    if (rho_out) *rho_out = rho;
    beta = b0[0] - rho * b1[0];
    theta = b0[1] - rho * b1[1];
    s2 = (e00 - 2 * rho * e01 + rho * rho * e11) / (double)nt;
    *b = beta;
    *bp = spill__normal_p2(beta / sqrt(s2 * i11)); /* given rho */
    {
      spill__tfun tf;
      if (S->tr && spill__traces_eval(S->tr, rho, &tf) == 0) {
        double tot = beta * tf.b0 + theta * tf.b1;
        *dir = beta * tf.a0 + theta * tf.a1;
        *ind = tot - *dir;
      }
    }
  }
}

/* The adoption periods of replication r, from its own random stream. */
static void draw(const setup *S, ws *w, int r)
{
  spill_rng rng;
  int64_t n = S->n;
  spill_rng_seed(&rng, S->seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(r + 1));
  if (S->mode == SPILL_PLACEBO_PERMUTE) {
    memcpy(w->adopt, S->adopt, (size_t)n * sizeof *w->adopt);
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
      int64_t j = (int64_t)(spill_rng_u64(&rng) % (uint64_t)(i + 1)), tmp = w->adopt[i];
      w->adopt[i] = w->adopt[j];
      w->adopt[j] = tmp;
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    w->perm[i] = i;
    w->adopt[i] = 0;
  }
  for (int64_t k = 0; k < S->pilots; k++) {
    int64_t j = k + (int64_t)(spill_rng_u64(&rng) % (uint64_t)(n - k)), tmp = w->perm[k];
    w->perm[k] = w->perm[j];
    w->perm[j] = tmp;
    w->adopt[w->perm[k]] = S->p->times[1 + (int64_t)(spill_rng_u64(&rng) % (uint64_t)(S->t - 1))];
  }
}

static int task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  setup *S = user;
  ws w;
  int done = 0;
  if (ws_alloc(ctx, S, &w)) return SPILL_ENOMEM;
  for (int r = thread; r < S->reps; r += nthreads) {
    double dir, ind;
    draw(S, &w, r);
    refit(S, &w, w.adopt, &S->out->b[r], &S->out->bp[r], &dir, &ind, NULL);
    if (S->sdm) {
      S->out->bdirect[r] = dir;
      S->out->bindirect[r] = ind;
    }
    if (thread == 0 && (++done & 7) == 0) spill__progress(ctx, "placebo", (double)done * nthreads / S->reps);
  }
  if (thread == 0) spill__progress(ctx, "placebo", 1.0);
  ws_free(&w);
  return SPILL_OK;
}

static int setup_build(spill_ctx *ctx, setup *S, const spill_placebo_opts *o)
{
  const spill_panel *p = S->p;
  int64_t n = p->n, t = p->t, nt = n * t;
  size_t na = p->nx * (S->sdm ? 2 : 1), kreg;
  double *a = NULL, *work = NULL, *tmp = NULL;
  int rc = SPILL_ENOMEM;
  S->n = n;
  S->t = t;
  S->nt = nt;
  a = spill__malloc(ctx, (na ? na : 1) * (size_t)nt * sizeof *a);
  work = spill__malloc(ctx, (size_t)(n + t) * sizeof *work);
  tmp = spill__malloc(ctx, (size_t)nt * sizeof *tmp);
  S->yq = spill__malloc(ctx, (size_t)nt * sizeof *S->yq);
  if (S->sdm) S->wyq = spill__malloc(ctx, (size_t)nt * sizeof *S->wyq);
  if (!a || !work || !tmp || !S->yq || (S->sdm && !S->wyq)) goto done;
  for (size_t k = 0; k < p->nx; k++) {
    spill__within(p->x + k * (size_t)nt, n, t, SPILL_FE_TWOWAYS, work, a + k * (size_t)nt);
    if (S->sdm) {
      spill__wlag(S->w, p->x + k * (size_t)nt, t, tmp);
      spill__within(tmp, n, t, SPILL_FE_TWOWAYS, work, a + (p->nx + k) * (size_t)nt);
    }
  }
  if (!(S->q = spill__orth_basis(ctx, a, nt, na, &S->kq))) goto done;
  spill__within(p->y, n, t, SPILL_FE_TWOWAYS, work, S->yq);
  spill__orth_resid(S->q, S->kq, nt, S->yq);
  S->yy = S->yw = S->ww = 0;
  for (int64_t r = 0; r < nt; r++) S->yy += S->yq[r] * S->yq[r];
  if (S->sdm) {
    spill__wlag(S->w, p->y, t, tmp); /* the within transform of W y (the exact convention) */
    spill__within(tmp, n, t, SPILL_FE_TWOWAYS, work, S->wyq);
    spill__orth_resid(S->q, S->kq, nt, S->wyq);
    for (int64_t r = 0; r < nt; r++) {
      S->yw += S->yq[r] * S->wyq[r];
      S->ww += S->wyq[r] * S->wyq[r];
    }
  }
  /* xtreg's cluster factor, as in ols.c: K = regressors + constant + T - 1 */
  kreg = 1 + S->kq;
  S->cclus = ((double)n / (double)(n - 1)) * (((double)nt - 1.0) / ((double)nt - ((double)kreg + 1.0 + (double)(t - 1))));
  if (S->sdm) {
    spill__ldet *ld = spill__ldet_new(ctx, S->w, o->logdet);
    double lo, hi;
    spill_effects_opts eo;
    if (!ld) goto done;
    spill__ldet_interval(ld, &lo, &hi);
    lo = fmax(lo, -0.999);
    hi = fmin(hi, 0.999);
    S->ld_h = (hi - lo) / (LD_GRID - 1);
    S->ld_lo = lo;
    for (int g = 0; g < LD_GRID; g++) {
      if ((rc = spill__ldet_eval(ctx, ld, lo + g * S->ld_h, &S->ld[g]))) break;
      if (!isfinite(S->ld[g])) S->ld[g] = -1e300;
      spill__progress(ctx, "log-determinant grid", (double)(g + 1) / LD_GRID);
    }
    spill__ldet_free(ld);
    if (rc) goto done;
    spill_effects_opts_init(&eo);
    eo.draws = 0;
    S->tr = spill_traces_new(ctx, S->w, 0.95, &eo);
    if (!S->tr) {
      rc = ctx->status;
      goto done;
    }
  }
  rc = SPILL_OK;
done:
  free(a);
  free(work);
  free(tmp);
  return rc;
}

static void setup_free(setup *S)
{
  free(S->q);
  free(S->yq);
  free(S->wyq);
  spill_traces_free(S->tr);
}

/* Periods before the first real adoption, with adoption moved back k. */
static spill_placebo *run_shift(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                const spill_placebo_opts *o, const int64_t *adopt, spill_placebo *pl)
{
  int64_t first = INT64_MAX, tc = 0, n = p->n;
  spill_panel *q = NULL;
  spill_fit *f = NULL;
  spill_effects *e = NULL;
  for (int64_t i = 0; i < n; i++)
    if (adopt[i] && adopt[i] > p->times[0] && adopt[i] < first) first = adopt[i];
  while (tc < p->t && p->times[tc] < first) tc++;
  if (tc < 3) {
    spill__fail(ctx, SPILL_EDATA, "placebo --shift: only %lld periods before the first adoption (%lld); at least 3 are needed",
                (long long)tc, (long long)first);
    goto fail;
  }
  q = spill_panel_new(ctx, n, tc, (const char *const *)p->ids, p->times, p->nx, 1);
  if (!q) goto fail;
  memcpy(q->y, p->y, (size_t)(n * tc) * sizeof *q->y);
  for (size_t k = 0; k < p->nx; k++) {
    memcpy(q->x + k * (size_t)(n * tc), p->x + k * (size_t)(n * p->t), (size_t)(n * tc) * sizeof *q->x);
    free(q->x_names[k]);
    if (!(q->x_names[k] = spill__strdup(ctx, p->x_names[k]))) goto fail;
  }
  for (int64_t s = 0; s < tc; s++)
    for (int64_t i = 0; i < n; i++)
      q->d[s * n + i] = adopt[i] && p->times[s] >= adopt[i] - o->shift ? 1.0 : 0.0;
  if (!(f = spill__fit_did(ctx, q, w, o->model, o->logdet))) goto fail;
  if (f->treat < 0) {
    spill__fail(ctx, SPILL_EDATA, "placebo --shift %d: the shifted treatment does not vary before %lld "
                "(every pilot's fake date falls outside the window); try a smaller --shift", o->shift, (long long)first);
    goto fail;
  }
  pl->coef = f->coef[f->treat];
  pl->se = f->se[f->treat];
  pl->p = spill__normal_p2(pl->coef / pl->se);
  pl->t = tc;
  if (o->model == SPILL_MODEL_SDM) {
    const spill_effect *ef;
    spill_effects_opts eo;
    spill_effects_opts_init(&eo);
    eo.seed = o->seed;
    if (!(e = spill_effects_compute(ctx, f, w, NULL, &eo))) goto fail;
    ef = spill_effects_find(e, f->names[f->treat]);
    pl->rho = f->rho;
    if (ef) {
      pl->direct = ef->direct.estimate;
      pl->indirect = ef->indirect.estimate;
      pl->total = ef->total.estimate;
      pl->p_direct = spill__stat_p(&ef->direct);
      pl->p_indirect = spill__stat_p(&ef->indirect);
    }
  }
  spill_effects_free(e);
  spill_fit_free(f);
  spill_panel_free(q);
  return pl;
fail:
  spill_effects_free(e);
  spill_fit_free(f);
  spill_panel_free(q);
  spill_placebo_free(pl);
  return NULL;
}

static double perm_p(const double *x, int reps, double real)
{
  int c = 0, m = 0;
  if (!isfinite(real)) return NAN;
  for (int r = 0; r < reps; r++) {
    if (!isfinite(x[r])) continue;
    m++;
    if (fabs(x[r]) >= fabs(real) * (1 - 1e-12)) c++;
  }
  return (1.0 + c) / (1.0 + m); /* Phipson and Smyth (2010) */
}

spill_placebo *spill_placebo_run(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                 const spill_placebo_opts *opts)
{
  spill_placebo_opts def;
  spill_placebo *pl = NULL;
  setup S;
  int64_t *adopt = NULL;
  size_t always = 0;
  int ok = 0;
  memset(&S, 0, sizeof S);
  if (!opts) {
    spill_placebo_opts_init(&def);
    opts = &def;
  }
  if (!p) return spill__fail(ctx, SPILL_EINVAL, "placebo: no panel"), NULL;
  if (opts->model != SPILL_MODEL_OLS && opts->model != SPILL_MODEL_SDM)
    return spill__fail(ctx, SPILL_EINVAL, "placebo: the model must be the TWFE (ols) or the SDM"), NULL;
  if (opts->model == SPILL_MODEL_SDM && !w)
    return spill__fail(ctx, SPILL_EINVAL, "placebo: the SDM needs a weights matrix"), NULL;
  if (opts->mode != SPILL_PLACEBO_SHIFT && (opts->reps < 1 || opts->reps > 10000000))
    return spill__fail(ctx, SPILL_EINVAL, "placebo: %d replications (1 to 10000000)", opts->reps), NULL;
  if (opts->mode == SPILL_PLACEBO_SHIFT && opts->shift < 1)
    return spill__fail(ctx, SPILL_EINVAL, "placebo: the shift must be at least 1 period"), NULL;
  if (p->t < 2) return spill__fail(ctx, SPILL_EDATA, "placebo: the panel has one period"), NULL;
  pl = spill__calloc(ctx, 1, sizeof *pl);
  adopt = spill__malloc(ctx, (size_t)p->n * sizeof *adopt);
  if (!pl || !adopt) goto done;
  pl->model = opts->model;
  pl->mode = opts->mode;
  pl->seed = opts->seed;
  pl->shift = opts->mode == SPILL_PLACEBO_SHIFT ? opts->shift : 0;
  pl->n = p->n;
  pl->t = p->t;
  pl->direct = pl->indirect = pl->total = pl->rho = NAN;
  pl->p_coef = pl->p_direct = pl->p_indirect = pl->mean = pl->sd = NAN;
  if (spill__adoption(ctx, p, adopt, &always)) goto done;
  for (int64_t i = 0; i < p->n; i++) pl->pilots += adopt[i] != 0;
  if (!pl->pilots) {
    spill__fail(ctx, SPILL_EDATA, "placebo: no unit is ever treated");
    goto done;
  }
  if (opts->mode == SPILL_PLACEBO_SHIFT) {
    spill_placebo *r = run_shift(ctx, p, w, opts, adopt, pl);
    pl = NULL;
    free(adopt);
    return r;
  }
  pl->reps = opts->reps;
  pl->b = spill__malloc(ctx, (size_t)opts->reps * sizeof *pl->b);
  pl->bp = spill__malloc(ctx, (size_t)opts->reps * sizeof *pl->bp);
  if (!pl->b || !pl->bp) goto done;
  if (opts->model == SPILL_MODEL_SDM) {
    pl->bdirect = spill__malloc(ctx, (size_t)opts->reps * sizeof *pl->bdirect);
    pl->bindirect = spill__malloc(ctx, (size_t)opts->reps * sizeof *pl->bindirect);
    if (!pl->bdirect || !pl->bindirect) goto done;
  }
  S.p = p;
  S.w = w;
  S.sdm = opts->model == SPILL_MODEL_SDM;
  S.adopt = adopt;
  S.pilots = pl->pilots;
  S.mode = opts->mode;
  S.seed = opts->seed;
  S.reps = opts->reps;
  S.out = pl;
  if (setup_build(ctx, &S, opts)) goto done;
  { /* the real estimate by the same refit */
    ws w0;
    if (ws_alloc(ctx, &S, &w0)) goto done;
    refit(&S, &w0, adopt, &pl->coef, &pl->p, &pl->direct, &pl->indirect, &pl->rho);
    ws_free(&w0);
    if (!isfinite(pl->coef)) {
      spill__fail(ctx, SPILL_EDATA, "placebo: the real treatment is collinear with the fixed effects and controls");
      goto done;
    }
  }
  pl->threads = spill__thread_count(ctx, (int64_t)opts->reps * S.nt);
  if (spill__run_parallel(ctx, pl->threads, task, &S)) goto done;
  {
    double m = 0, v = 0;
    int k = 0;
    for (int r = 0; r < pl->reps; r++)
      if (isfinite(pl->b[r])) {
        m += pl->b[r];
        k++;
      }
    m = k ? m / k : NAN;
    for (int r = 0; r < pl->reps; r++)
      if (isfinite(pl->b[r])) v += (pl->b[r] - m) * (pl->b[r] - m);
    pl->mean = m;
    pl->sd = k > 1 ? sqrt(v / (k - 1)) : NAN;
  }
  pl->p_coef = perm_p(pl->b, pl->reps, pl->coef);
  if (S.sdm) {
    pl->p_direct = perm_p(pl->bdirect, pl->reps, pl->direct);
    pl->p_indirect = perm_p(pl->bindirect, pl->reps, pl->indirect);
  }
  ok = 1;
done:
  setup_free(&S);
  free(adopt);
  if (!ok) {
    spill_placebo_free(pl);
    return NULL;
  }
  return pl;
}

/* ---- tables ---- */
static const char *mode_name(spill_placebo_mode m)
{
  return m == SPILL_PLACEBO_PERMUTE ? "permute" : m == SPILL_PLACEBO_RANDOM_TIME ? "random-time" : "shift";
}

static int pl_json(spill_ctx *ctx, const spill_placebo *pl, FILE *out)
{
  json_t *root = json_object(), *real = json_object(), *pv = json_object();
  int sdm = pl->model == SPILL_MODEL_SDM;
  json_object_set_new(root, "model", json_string(sdm ? "SDM" : "TWFE"));
  json_object_set_new(root, "mode", json_string(mode_name(pl->mode)));
  json_object_set_new(root, "reps", json_integer(pl->reps));
  json_object_set_new(root, "seed", json_integer((json_int_t)pl->seed));
  json_object_set_new(root, "n", json_integer(pl->n));
  json_object_set_new(root, "t", json_integer(pl->t));
  json_object_set_new(root, "pilots", json_integer(pl->pilots));
  if (pl->mode == SPILL_PLACEBO_SHIFT) json_object_set_new(root, "shift", json_integer(pl->shift));
  json_object_set_new(real, "estimate", spill__jnum(pl->coef));
  json_object_set_new(real, "p", spill__jnum(pl->p));
  if (pl->mode == SPILL_PLACEBO_SHIFT) json_object_set_new(real, "se", spill__jnum(pl->se));
  if (sdm) {
    json_object_set_new(real, "rho", spill__jnum(pl->rho));
    json_object_set_new(real, "direct", spill__jnum(pl->direct));
    json_object_set_new(real, "indirect", spill__jnum(pl->indirect));
  }
  json_object_set_new(root, pl->mode == SPILL_PLACEBO_SHIFT ? "shifted" : "real", real);
  if (pl->reps) {
    json_object_set_new(root, "placebo_mean", spill__jnum(pl->mean));
    json_object_set_new(root, "placebo_sd", spill__jnum(pl->sd));
    json_object_set_new(pv, "estimate", spill__jnum(pl->p_coef));
    if (sdm) {
      json_object_set_new(pv, "direct", spill__jnum(pl->p_direct));
      json_object_set_new(pv, "indirect", spill__jnum(pl->p_indirect));
    }
    json_object_set_new(root, "permutation_p", pv);
  } else
    json_decref(pv);
  return spill__jdump(ctx, root, out);
}

static int pl_write(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_placebo *pl = obj;
  int sdm = pl->model == SPILL_MODEL_SDM, shift = pl->mode == SPILL_PLACEBO_SHIFT;
  if (fmt == SPILL_TABLE_JSON) return pl_json(ctx, pl, out);
  if (fmt == SPILL_TABLE_CSV) {
    fprintf(out, "statistic,estimate,permutation_p\n");
    fprintf(out, "%s,%.17g,%.17g\n", sdm ? "beta" : "did", pl->coef, shift ? pl->p : pl->p_coef);
    if (sdm) {
      fprintf(out, "direct,%.17g,%.17g\n", pl->direct, pl->p_direct);
      fprintf(out, "indirect,%.17g,%.17g\n", pl->indirect, pl->p_indirect);
    }
    if (!shift) fprintf(out, "placebo_mean,%.17g,\nplacebo_sd,%.17g,\nreps,%d,\n", pl->mean, pl->sd, pl->reps);
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fprintf(out, "\\begin{tabular}{lccc}\n\\toprule\n & Real estimate & Placebo mean (SD) & Permutation $p$ \\\\\n\\midrule\n");
    fprintf(out, "%s & %.4f & %.4f (%.4f) & %.3f \\\\\n", sdm ? "$\\beta$" : "DID", pl->coef, pl->mean, pl->sd,
            shift ? pl->p : pl->p_coef);
    if (sdm) {
      fprintf(out, "Direct & %.4f & & %.3f \\\\\n", pl->direct, pl->p_direct);
      fprintf(out, "Indirect & %.4f & & %.3f \\\\\n", pl->indirect, pl->p_indirect);
    }
    fprintf(out, "\\midrule\nReplications & %d & & \\\\\n\\bottomrule\n\\end{tabular}\n", pl->reps);
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  if (shift) {
    fprintf(out, "Placebo: adoption dates moved back %d periods, on the %lld periods before the first adoption (%s)\n",
            pl->shift, (long long)pl->t, sdm ? "SDM-DID" : "TWFE DID");
    fprintf(out, "fake-date estimate %.6f (SE %.6f, p %.4f)\n", pl->coef, pl->se, pl->p);
    if (sdm)
      fprintf(out, "direct %.6f (p %.4f), indirect %.6f (p %.4f)\n", pl->direct, pl->p_direct, pl->indirect,
              pl->p_indirect);
    fprintf(out, "A real effect should not appear before the real dates: a small p here questions the design.\n");
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  fprintf(out, "Placebo test (%s), %d replications (%s: %s), seed %llu, %d thread%s\n", sdm ? "SDM-DID" : "TWFE DID",
          pl->reps, mode_name(pl->mode),
          pl->mode == SPILL_PLACEBO_PERMUTE ? "pilot status reassigned, cohorts kept" : "random pilots and years",
          (unsigned long long)pl->seed, pl->threads, pl->threads == 1 ? "" : "s");
  fprintf(out, "units %lld, pilots %lld, periods %lld\n\n", (long long)pl->n, (long long)pl->pilots, (long long)pl->t);
  fprintf(out, "%-10s %12s %14s %12s %14s\n", "", "real", "placebo mean", "placebo SD", "permutation p");
  fprintf(out, "%-10s %12.6f %14.6f %12.6f %14.4f\n", sdm ? "beta" : "DID", pl->coef, pl->mean, pl->sd, pl->p_coef);
  if (sdm) {
    fprintf(out, "%-10s %12.6f %14s %12s %14.4f\n", "direct", pl->direct, "", "", pl->p_direct);
    fprintf(out, "%-10s %12.6f %14s %12s %14.4f\n", "indirect", pl->indirect, "", "", pl->p_indirect);
  }
  fprintf(out, "\npermutation p = (1 + #{|placebo| >= |real|}) / (1 + replications)\n");
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
}

int spill_placebo_print(spill_ctx *ctx, const spill_placebo *pl, FILE *out, spill_table_fmt fmt)
{
  return pl_write(ctx, pl, out, fmt);
}

int spill_placebo_save(spill_ctx *ctx, const spill_placebo *pl, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, pl_write, pl, fmt, 1);
}

static int draws_csv(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_placebo *pl = obj;
  (void)fmt;
  fprintf(out, "rep,estimate,p%s\n", pl->bdirect ? ",direct,indirect" : "");
  for (int r = 0; r < pl->reps; r++) {
    fprintf(out, "%d,%.17g,%.17g", r + 1, pl->b[r], pl->bp[r]);
    if (pl->bdirect) fprintf(out, ",%.17g,%.17g", pl->bdirect[r], pl->bindirect[r]);
    fputc('\n', out);
  }
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the placebo draws") : SPILL_OK;
}

int spill_placebo_write_draws(spill_ctx *ctx, const spill_placebo *pl, const char *path)
{
  if (!pl->reps) return spill__fail(ctx, SPILL_EINVAL, "placebo: no draws to write (the shift mode has none)");
  return spill__save_table(ctx, path, draws_csv, pl, SPILL_TABLE_CSV, 0);
}

/* ---- figure ---- */
int spill_placebo_plot(spill_ctx *ctx, const spill_placebo *pl, const char *path, const char *title)
{
  return spill__placebo_plot(ctx, pl, path, title, NULL);
}

int spill__placebo_plot(spill_ctx *ctx, const spill_placebo *pl, const char *path, const char *title,
                   spill__chart_stats *st)
{
  enum { NG = 200, NB = 30 };
  spill__chart c;
  int sdm = pl->model == SPILL_MODEL_SDM, np = sdm ? 3 : 1, rc;
  double *buf;
  char lab[3][64];
  static const char *names[3] = {"beta", "Direct effect", "Indirect effect"};
  if (!pl->reps) return spill__fail(ctx, SPILL_EINVAL, "placebo: nothing to draw (the shift mode has no distribution)");
  buf = spill__malloc(ctx, (size_t)np * (2 * NG + 2 * NB) * sizeof *buf);
  if (!buf) return SPILL_ENOMEM;
  spill__chart_init(&c);
  c.title = title;
  c.npanels = np;
  c.panel_width = sdm ? 560 : 720;
  for (int q = 0; q < np; q++) {
    const double *x = q == 0 ? pl->b : q == 1 ? pl->bdirect : pl->bindirect;
    double real = q == 0 ? pl->coef : q == 1 ? pl->direct : pl->indirect;
    double pp = q == 0 ? pl->p_coef : q == 1 ? pl->p_direct : pl->p_indirect;
    double *g = buf + (size_t)q * (2 * NG + 2 * NB), *f = g + NG, *bc = f + NG, *bh = bc + NB;
    double lo = INFINITY, hi = -INFINITY, bw;
    spill__panel *P = &c.panel[q];
    spill__series *s;
    spill__refline *r;
    for (int k = 0; k < pl->reps; k++)
      if (isfinite(x[k])) {
        lo = fmin(lo, x[k]);
        hi = fmax(hi, x[k]);
      }
    if (!(lo <= hi)) lo = hi = 0;
    if (isfinite(real)) {
      lo = fmin(lo, real);
      hi = fmax(hi, real);
    }
    {
      double pad = 0.05 * (hi - lo > 0 ? hi - lo : 1);
      lo -= pad;
      hi += pad;
    }
    for (int k = 0; k < NG; k++) g[k] = lo + (hi - lo) * k / (NG - 1);
    spill__kde(x, (size_t)pl->reps, g, NG, 0, f);
    bw = spill__histogram(x, (size_t)pl->reps, lo, hi, NB, bc, bh);
    s = spill__chart_add(P, SPILL__SERIES_BARS, NB, bc, bh, NULL);
    s->bar_width = bw;
    s = spill__chart_add(P, SPILL__SERIES_LINE, NG, g, f, "kernel density");
    s->color = 2;
    if (q == 0) {
      s = spill__chart_add(P, SPILL__SERIES_POINTS, (size_t)pl->reps, pl->b, pl->bp, "p-value");
      s->y2 = 1;
      s->hollow = 1;
      s->size = 0.3;
      s->color = 1;
      P->y2label = "p-value";
      P->y2min = 0;
      P->y2max = 1;
      r = spill__chart_ref(P, 0, 0.1, 1);
      r->y2 = 1;
      r->color = 1;
    }
    P->xlabel = sdm ? "Placebo estimate" : "Placebo DID estimate";
    P->ylabel = q == 0 ? "Density" : NULL;
    if (sdm) P->title = names[q];
    P->legend = SPILL__LEGEND_TOPLEFT;
    snprintf(lab[q], sizeof lab[q], "real %.4f (p = %.3f)", real, pp);
    r = spill__chart_ref(P, 1, real, 1);
    r->label = lab[q];
    r->color = 0;
  }
  rc = spill__chart_draw(ctx, &c, path, st);
  free(buf);
  return rc;
}

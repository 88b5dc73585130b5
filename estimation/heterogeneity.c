/* Heterogeneity of the treatment effect across unit groups (region, market
 * level): separate fits by group and three tests of equality, as applied
 * papers report them: a pooled interaction model (Wald), a seemingly-
 * unrelated comparison of the separate fits (Stata suest) and Fisher's
 * permutation test of the difference (Stata bdiff; Efron and Tibshirani
 * 1993, ch. 15). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/did.h"
#include "estimation/effects.h"
#include "spatial/parallel.h"
#include "core/table.h"

void spill_het_opts_init(spill_het_opts *o)
{
  memset(o, 0, sizeof *o);
  o->model = SPILL_MODEL_OLS;
  o->reps = 1000;
  o->seed = 1;
  o->logdet = SPILL_LOGDET_AUTO;
  spill_effects_opts_init(&o->effects);
}

void spill_heterogeneity_free(spill_heterogeneity *h)
{
  if (!h) return;
  for (size_t g = 0; g < h->groups && h->g; g++) {
    spill_fit_free(h->g[g].fit);
    free(h->g[g].label);
  }
  free(h->g);
  free(h->by);
  free(h);
}

/* The units of one group as a panel (W order kept). */
static spill_panel *sub_panel(spill_ctx *ctx, const spill_panel *p, const unsigned char *keep)
{
  int64_t m = 0, n = p->n, t = p->t, k = 0;
  spill_panel *q;
  char **ids;
  for (int64_t i = 0; i < n; i++) m += keep[i] != 0;
  ids = spill__malloc(ctx, (size_t)(m ? m : 1) * sizeof *ids);
  if (!ids) return NULL;
  for (int64_t i = 0; i < n; i++)
    if (keep[i]) ids[k++] = p->ids[i];
  q = spill_panel_new(ctx, m, t, (const char *const *)ids, p->times, p->nx, p->d != NULL);
  free(ids);
  if (!q) return NULL;
  for (size_t c = 0; c < p->nx; c++) {
    free(q->x_names[c]);
    if (!(q->x_names[c] = spill__strdup(ctx, p->x_names[c]))) {
      spill_panel_free(q);
      return NULL;
    }
  }
  for (int64_t s = 0; s < t; s++) {
    k = 0;
    for (int64_t i = 0; i < n; i++) {
      if (!keep[i]) continue;
      q->y[s * m + k] = p->y[s * n + i];
      if (p->d) q->d[s * m + k] = p->d[s * n + i];
      for (size_t c = 0; c < p->nx; c++) q->x[c * (size_t)(m * t) + (size_t)(s * m + k)] = p->x[c * (size_t)(n * t) + (size_t)(s * n + i)];
      k++;
    }
  }
  return q;
}

/* Fit one group: the treatment coefficient, its SE, the fit, and for the
 * SDM the effects (with draws when sim). */
static int fit_group(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, const unsigned char *keep,
                     const spill_het_opts *o, int sim, spill_het_group *g, int keep_fit)
{
  spill_panel *q = sub_panel(ctx, p, keep);
  spill_weights *wg = NULL;
  spill_fit *f = NULL;
  spill_effects *e = NULL;
  int rc = SPILL_OK;
  if (!q) return ctx->status;
  if (o->model == SPILL_MODEL_SDM && !(wg = spill_weights_subset(ctx, w, keep, 'W'))) {
    rc = ctx->status;
    goto done;
  }
  if (!(f = spill__fit_did(ctx, q, wg, o->model, o->logdet))) {
    rc = ctx->status;
    goto done;
  }
  if (f->treat < 0) {
    rc = spill__fail(ctx, SPILL_EDATA, "the treatment does not vary within the group of %lld units", (long long)q->n);
    goto done;
  }
  g->units = q->n;
  g->coef = f->coef[f->treat];
  g->se = f->se[f->treat];
  if (o->model == SPILL_MODEL_SDM) {
    spill_effects_opts eo = o->effects;
    const spill_effect *ef;
    if (!sim) eo.draws = 0;
    if (!(e = spill_effects_compute(ctx, f, wg, NULL, &eo))) {
      rc = ctx->status;
      goto done;
    }
    ef = spill_effects_find(e, f->names[f->treat]);
    if (ef) {
      g->direct = ef->direct;
      g->indirect = ef->indirect;
    }
  }
  if (keep_fit) {
    g->fit = f;
    f = NULL;
  }
done:
  spill_effects_free(e);
  spill_fit_free(f);
  spill_weights_free(wg);
  spill_panel_free(q);
  return rc;
}

/* Wald test that every group value equals the last: v[g] estimates with
 * independent variances var[g] (G - 1 df). */
static void wald_equal(const double *v, const double *var, size_t G, double *stat, double *p, int *df)
{
  /* with independent estimates, the Wald statistic of equality is the
   * precision-weighted dispersion sum_g (v_g - vbar)^2 / var_g */
  double sw = 0, swv = 0, s = 0;
  for (size_t g = 0; g < G; g++) {
    sw += 1 / var[g];
    swv += v[g] / var[g];
  }
  for (size_t g = 0; g < G; g++) s += (v[g] - swv / sw) * (v[g] - swv / sw) / var[g];
  *stat = s;
  *df = (int)G - 1;
  *p = spill__chi2_sf(s, (double)(G - 1));
}

/* The permutation statistic: the difference (first - last) for two
 * groups, else the size-weighted dispersion of the group estimates. */
static double perm_stat(const double *b, const int64_t *size, size_t G)
{
  double m = 0, s = 0, nn = 0;
  if (G == 2) return b[0] - b[1];
  for (size_t g = 0; g < G; g++) {
    m += (double)size[g] * b[g];
    nn += (double)size[g];
  }
  m /= nn;
  for (size_t g = 0; g < G; g++) s += (double)size[g] * (b[g] - m) * (b[g] - m);
  return s;
}

/* The permutation draws, shared out over threads: replication r relabels
 * the units from its own stream (seed, r) and refits every group. Threads
 * other than the first work in a context of their own (CHOLMOD state is
 * per context). */
typedef struct perm_job {
  const spill_panel *base;
  const spill_weights *w;
  const spill_het_opts *opts;
  const int64_t *gid, *sizes;
  size_t G;
  double *st;   /* 3 per replication: the statistic of beta, direct, indirect */
  unsigned char *ok;
} perm_job;

static int perm_task(spill_ctx *ctx, void *user, int thread, int nthreads)
{
  perm_job *J = user;
  int64_t n = J->base->n, *perm = NULL;
  unsigned char *keep = NULL;
  spill_ctx *own = thread ? spill_ctx_new() : ctx;
  int rc = SPILL_ENOMEM, done = 0;
  if (!own) return spill__fail(ctx, SPILL_ENOMEM, "cannot start a worker context");
  if (thread) spill_ctx_set_threads(own, 1);
  perm = spill__malloc(ctx, (size_t)n * sizeof *perm);
  keep = spill__malloc(ctx, (size_t)n);
  if (!perm || !keep) goto out;
  for (int r = thread; r < J->opts->reps; r += nthreads) {
    spill_rng rng;
    double b[20], bd[20], bi[20];
    int bad = 0;
    spill_rng_seed(&rng, J->opts->seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(r + 1));
    memcpy(perm, J->gid, (size_t)n * sizeof *perm);
    for (int64_t i = n - 1; i > 0; i--) {
      int64_t j = (int64_t)(spill_rng_u64(&rng) % (uint64_t)(i + 1)), x = perm[i];
      perm[i] = perm[j];
      perm[j] = x;
    }
    for (size_t g = 0; g < J->G && !bad; g++) {
      spill_het_group tmp;
      for (int64_t i = 0; i < n; i++) keep[i] = perm[i] == (int64_t)g;
      memset(&tmp, 0, sizeof tmp);
      if (fit_group(own, J->base, J->w, keep, J->opts, 0, &tmp, 0)) {
        bad = 1;
        spill_ctx_clear_error(own);
        break;
      }
      b[g] = tmp.coef;
      bd[g] = tmp.direct.estimate;
      bi[g] = tmp.indirect.estimate;
    }
    J->ok[r] = !bad;
    if (!bad) {
      J->st[3 * r] = perm_stat(b, J->sizes, J->G);
      J->st[3 * r + 1] = perm_stat(bd, J->sizes, J->G);
      J->st[3 * r + 2] = perm_stat(bi, J->sizes, J->G);
    }
    if (thread == 0 && (++done & 7) == 0) spill__progress(ctx, "permutations", (double)done * nthreads / J->opts->reps);
  }
  if (thread == 0) spill__progress(ctx, "permutations", 1.0);
  rc = SPILL_OK;
out:
  free(perm);
  free(keep);
  if (thread) spill_ctx_free(own);
  return rc;
}

spill_heterogeneity *spill_heterogeneity_fit(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                             const char *by, const spill_het_opts *opts)
{
  spill_het_opts def;
  spill_heterogeneity *h = NULL;
  spill_panel *base = NULL, *pooled = NULL;
  spill_fit *pf = NULL;
  double *uval = NULL, *cols = NULL, *vals = NULL;
  int64_t n, t, nt, *gid = NULL, *sizes = NULL;
  unsigned char *keep = NULL;
  char **names = NULL;
  long bycol = -1;
  size_t G = 0;
  int ok = 0, sdm;
  if (!opts) {
    spill_het_opts_init(&def);
    opts = &def;
  }
  if (!p || !by) return spill__fail(ctx, SPILL_EINVAL, "heterogeneity: no panel or no grouping column"), NULL;
  sdm = opts->model == SPILL_MODEL_SDM;
  if (opts->model != SPILL_MODEL_OLS && !sdm)
    return spill__fail(ctx, SPILL_EINVAL, "heterogeneity: the model must be the TWFE (ols) or the SDM"), NULL;
  if (sdm && !w) return spill__fail(ctx, SPILL_EINVAL, "heterogeneity: the SDM needs a weights matrix"), NULL;
  if (!p->d) return spill__fail(ctx, SPILL_EINVAL, "heterogeneity: the panel has no treatment"), NULL;
  for (size_t k = 0; k < p->nx; k++)
    if (!strcmp(p->x_names[k], by)) bycol = (long)k;
  if (bycol < 0) return spill__fail(ctx, SPILL_EINVAL, "heterogeneity: no column '%s' among the panel's controls", by), NULL;
  n = p->n;
  t = p->t;
  nt = n * t;
  h = spill__calloc(ctx, 1, sizeof *h);
  uval = spill__malloc(ctx, (size_t)n * sizeof *uval);
  vals = spill__malloc(ctx, (size_t)n * sizeof *vals);
  gid = spill__malloc(ctx, (size_t)n * sizeof *gid);
  keep = spill__malloc(ctx, (size_t)n);
  if (!h || !uval || !vals || !gid || !keep || !(h->by = spill__strdup(ctx, by))) goto done;
  h->model = opts->model;
  h->wald = h->wald_p = h->sur = h->sur_p = h->sur_direct = h->sur_direct_p = h->sur_indirect = h->sur_indirect_p = NAN;
  h->diff = h->perm_p = h->perm_p1 = h->diff_direct = h->perm_p_direct = h->diff_indirect = h->perm_p_indirect = NAN;
  /* the group of each unit: constant over periods */
  for (int64_t i = 0; i < n; i++) {
    const double *x = p->x + (size_t)bycol * (size_t)nt;
    uval[i] = x[i];
    for (int64_t s = 1; s < t; s++)
      if (x[s * n + i] != x[i]) {
        spill__fail(ctx, SPILL_EDATA, "heterogeneity: '%s' changes within unit %s (%g in %lld, %g in %lld); "
                    "groups must be constant within each unit", by, p->ids[i], x[i], (long long)p->times[0],
                    x[s * n + i], (long long)p->times[s]);
        goto done;
      }
  }
  for (int64_t i = 0; i < n; i++) {
    size_t g;
    for (g = 0; g < G; g++)
      if (vals[g] == uval[i]) break;
    if (g == G) vals[G++] = uval[i];
  }
  if (G < 2 || G > 20) {
    spill__fail(ctx, SPILL_EDATA, "heterogeneity: '%s' has %zu distinct values; 2 to 20 groups are needed", by, G);
    goto done;
  }
  for (size_t a = 1; a < G; a++) /* sort the group values */
    for (size_t b = a; b > 0 && vals[b - 1] > vals[b]; b--) {
      double tmp = vals[b];
      vals[b] = vals[b - 1];
      vals[b - 1] = tmp;
    }
  for (int64_t i = 0; i < n; i++)
    for (size_t g = 0; g < G; g++)
      if (vals[g] == uval[i]) gid[i] = (int64_t)g;
  h->groups = G;
  h->g = spill__calloc(ctx, G, sizeof *h->g);
  sizes = spill__calloc(ctx, G, sizeof *sizes);
  if (!h->g || !sizes) goto done;
  for (int64_t i = 0; i < n; i++) sizes[gid[i]]++;
  /* the panel without the grouping column */
  {
    size_t m = p->nx - 1, c = 0;
    cols = spill__malloc(ctx, (m ? m : 1) * (size_t)nt * sizeof *cols);
    names = spill__calloc(ctx, m ? m : 1, sizeof *names);
    if (!cols || !names) goto done;
    for (size_t k = 0; k < p->nx; k++) {
      if ((long)k == bycol) continue;
      memcpy(cols + c * (size_t)nt, p->x + k * (size_t)nt, (size_t)nt * sizeof *cols);
      names[c++] = p->x_names[k];
    }
    if (!(base = spill__panel_with(ctx, p, p->d, p->d_name, cols, m, (const char *const *)names, 1))) goto done;
  }
  /* separate fits */
  for (size_t g = 0; g < G; g++) {
    h->g[g].value = vals[g];
    for (int64_t i = 0; i < n; i++) keep[i] = gid[i] == (int64_t)g;
    if (fit_group(ctx, base, w, keep, opts, 1, &h->g[g], 1)) {
      spill__fail_prefix(ctx, "heterogeneity, group %s = %g: ", by, vals[g]);
      goto done;
    }
  }
  /* pooled interaction: treatment x each group (with W terms in the SDM) */
  {
    size_t m = G + base->nx;
    char **pn = spill__calloc(ctx, m, sizeof *pn);
    double *pc = spill__malloc(ctx, m * (size_t)nt * sizeof *pc);
    long idx[40];
    size_t ni = 0;
    int rc = SPILL_ENOMEM;
    if (pn && pc) {
      rc = SPILL_OK;
      for (size_t g = 0; g < G && !rc; g++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s_x_%s%g", base->d_name ? base->d_name : "did", by, vals[g]);
        if (!(pn[g] = spill__strdup(ctx, buf))) rc = SPILL_ENOMEM;
        for (int64_t s = 0; s < t; s++)
          for (int64_t i = 0; i < n; i++)
            pc[g * (size_t)nt + (size_t)(s * n + i)] = gid[i] == (int64_t)g ? base->d[s * n + i] : 0.0;
      }
      for (size_t k = 0; k < base->nx && !rc; k++) {
        memcpy(pc + (G + k) * (size_t)nt, base->x + k * (size_t)nt, (size_t)nt * sizeof *pc);
        if (!(pn[G + k] = spill__strdup(ctx, base->x_names[k]))) rc = SPILL_ENOMEM;
      }
      if (!rc && !(pooled = spill__panel_with(ctx, base, NULL, NULL, pc, m, (const char *const *)pn, 1))) rc = ctx->status;
      if (!rc && !(pf = spill__fit_did(ctx, pooled, sdm ? w : NULL, opts->model, opts->logdet))) rc = ctx->status;
      if (!rc) {
        /* H0: every group's coefficient (and W term) equals the last group's */
        double *R = NULL, *bv = NULL, *V = NULL, *work = NULL;
        size_t q = (sdm ? 2 : 1) * (G - 1), k = pf->k;
        for (size_t g = 0; g < G; g++) {
          char wn[80];
          idx[ni++] = spill__coef_index(pf, pn[g]);
          if (sdm) {
            snprintf(wn, sizeof wn, "W*%s", pn[g]);
            idx[ni++] = spill__coef_index(pf, wn);
          }
        }
        R = spill__calloc(ctx, q * k, sizeof *R);
        bv = spill__calloc(ctx, q, sizeof *bv);
        V = spill__malloc(ctx, q * q * sizeof *V);
        work = spill__malloc(ctx, k * q * sizeof *work);
        if (R && bv && V && work) {
          size_t row = 0, per = sdm ? 2 : 1, okidx = 1;
          double *vk = spill__malloc(ctx, k * k * sizeof *vk);
          for (size_t j = 0; j < ni; j++) okidx &= idx[j] >= 0;
          if (vk && okidx) {
            for (size_t a = 0; a < k; a++)
              for (size_t b = 0; b < k; b++) vk[a * k + b] = pf->vcov[a * pf->nv + b];
            for (size_t g = 0; g + 1 < G; g++)
              for (size_t c = 0; c < per; c++, row++) {
                R[row * k + (size_t)idx[g * per + c]] = 1;
                R[row * k + (size_t)idx[(G - 1) * per + c]] -= 1;
                bv[row] = pf->coef[idx[g * per + c]] - pf->coef[idx[(G - 1) * per + c]];
              }
            spill__sandwich(R, q, k, vk, work, V);
            if (spill__wald_vec(ctx, bv, V, q, &h->wald, &h->wald_p)) rc = ctx->status;
            h->wald_df = (int)q;
          } else if (!okidx) {
            spill__notice(ctx, "heterogeneity: an interaction was dropped as collinear; no pooled Wald test");
          }
          free(vk);
        } else
          rc = SPILL_ENOMEM;
        free(R);
        free(bv);
        free(V);
        free(work);
      }
    }
    if (pn)
      for (size_t j = 0; j < m; j++) free(pn[j]);
    free(pn);
    free(pc);
    if (rc) goto done;
  }
  /* seemingly unrelated comparison: groups are disjoint sets of clusters, so
   * the joint cluster-robust covariance of the stacked scores (suest) is
   * block diagonal, each block the group's sandwich with suest's factor
   * N/(N-1) over all N clusters in place of the fit's own factor */
  {
    double v[20], var[20];
    for (size_t g = 0; g < G; g++) {
      if (!sdm) {
        int64_t ng = h->g[g].units, ntg = ng * t;
        double kk = (double)h->g[g].fit->k + 1.0 + (double)(t - 1);
        double cg = ((double)ng / (double)(ng - 1)) * (((double)ntg - 1.0) / ((double)ntg - kk));
        v[g] = h->g[g].coef;
        var[g] = h->g[g].se * h->g[g].se / cg * ((double)n / (double)(n - 1));
      } else {
        v[g] = h->g[g].coef;
        var[g] = h->g[g].se * h->g[g].se;
      }
    }
    wald_equal(v, var, G, &h->sur, &h->sur_p, &h->sur_df);
    if (sdm) {
      int df;
      for (size_t g = 0; g < G; g++) {
        v[g] = h->g[g].direct.estimate;
        var[g] = pow(spill__stat_se(&h->g[g].direct), 2);
      }
      wald_equal(v, var, G, &h->sur_direct, &h->sur_direct_p, &df);
      for (size_t g = 0; g < G; g++) {
        v[g] = h->g[g].indirect.estimate;
        var[g] = pow(spill__stat_se(&h->g[g].indirect), 2);
      }
      wald_equal(v, var, G, &h->sur_indirect, &h->sur_indirect_p, &df);
    }
  }
  /* Fisher permutation (bdiff): group labels shuffled across units, sizes kept */
  if (opts->reps > 0) {
    perm_job J;
    double b[20], bd[20], bi[20], s0, sd0 = NAN, si0 = NAN;
    int c2 = 0, c1 = 0, cd = 0, ci = 0, m = 0;
    memset(&J, 0, sizeof J);
    J.base = base;
    J.w = w;
    J.opts = opts;
    J.gid = gid;
    J.sizes = sizes;
    J.G = G;
    J.st = spill__malloc(ctx, 3 * (size_t)opts->reps * sizeof *J.st);
    J.ok = spill__calloc(ctx, (size_t)opts->reps, sizeof *J.ok);
    if (!J.st || !J.ok) {
      free(J.st);
      free(J.ok);
      goto done;
    }
    for (size_t g = 0; g < G; g++) {
      b[g] = h->g[g].coef;
      bd[g] = h->g[g].direct.estimate;
      bi[g] = h->g[g].indirect.estimate;
    }
    s0 = perm_stat(b, sizes, G);
    if (sdm) {
      sd0 = perm_stat(bd, sizes, G);
      si0 = perm_stat(bi, sizes, G);
    }
    if (spill__run_parallel(ctx, spill__thread_count(ctx, (int64_t)opts->reps * nt * (sdm ? 50 : 1)), perm_task, &J)) {
      free(J.st);
      free(J.ok);
      goto done;
    }
    for (int r = 0; r < opts->reps; r++) { /* in replication order: the same on any number of threads */
      double s = J.st[3 * r], a = J.st[3 * r + 1], c = J.st[3 * r + 2];
      if (!J.ok[r]) continue; /* a draw where a group has no treatment variation */
      m++;
      if (G == 2) {
        c2 += fabs(s) >= fabs(s0) * (1 - 1e-12);
        c1 += s0 >= 0 ? s >= s0 : s <= s0;
      } else
        c2 += s >= s0 * (1 - 1e-12);
      if (sdm) {
        cd += G == 2 ? fabs(a) >= fabs(sd0) * (1 - 1e-12) : a >= sd0 * (1 - 1e-12);
        ci += G == 2 ? fabs(c) >= fabs(si0) * (1 - 1e-12) : c >= si0 * (1 - 1e-12);
      }
    }
    free(J.st);
    free(J.ok);
    h->diff = G == 2 ? s0 : NAN;
    h->perm_p = (1.0 + c2) / (1.0 + m);
    h->perm_p1 = G == 2 ? (double)c1 / (m ? m : 1) : NAN; /* bdiff: share of draws beyond the observed */
    if (sdm) {
      h->diff_direct = G == 2 ? sd0 : NAN;
      h->diff_indirect = G == 2 ? si0 : NAN;
      h->perm_p_direct = (1.0 + cd) / (1.0 + m);
      h->perm_p_indirect = (1.0 + ci) / (1.0 + m);
    }
    h->reps = m;
  } else if (G == 2) {
    h->diff = h->g[0].coef - h->g[1].coef;
    if (sdm) {
      h->diff_direct = h->g[0].direct.estimate - h->g[1].direct.estimate;
      h->diff_indirect = h->g[0].indirect.estimate - h->g[1].indirect.estimate;
    }
  }
  ok = 1;
done:
  free(uval);
  free(vals);
  free(gid);
  free(keep);
  free(sizes);
  free(cols);
  free(names);
  spill_panel_free(base);
  spill_panel_free(pooled);
  spill_fit_free(pf);
  if (!ok) {
    spill_heterogeneity_free(h);
    return NULL;
  }
  return h;
}

/* ---- group columns given as text ---- */
static int cmp_label(const void *a, const void *b, int numeric)
{
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  if (numeric) {
    double u = strtod(x, NULL), v = strtod(y, NULL);
    return (u > v) - (u < v);
  }
  return strcmp(x, y);
}
static int cmp_num(const void *a, const void *b) { return cmp_label(a, b, 1); }
static int cmp_txt(const void *a, const void *b) { return cmp_label(a, b, 0); }

int spill_panel_group_column(spill_ctx *ctx, spill_panel *p, const char *path, const char *id_col,
                             const char *col, char ***labels, size_t *k)
{
  spill__table *t = spill__table_read(ctx, path);
  const char **unit = NULL, **uniq = NULL;
  long ci, cc;
  size_t nl = 0, nt = (size_t)(p->n * p->t);
  int numeric = 1, rc = SPILL_ENOMEM;
  double *x = NULL;
  char **names = NULL, **out = NULL;
  *labels = NULL;
  *k = 0;
  if (!t) return ctx->status;
  if ((ci = spill__table_require_col(ctx, t, id_col)) < 0 || (cc = spill__table_require_col(ctx, t, col)) < 0) {
    rc = ctx->status;
    goto done;
  }
  unit = spill__calloc(ctx, (size_t)p->n, sizeof *unit);
  uniq = spill__calloc(ctx, (size_t)p->n, sizeof *uniq);
  if (!unit || !uniq) goto done;
  for (size_t r = 0; r < t->nrows; r++) {
    const char *id = spill__table_cell(t, r, (size_t)ci), *v = spill__table_cell(t, r, (size_t)cc);
    char buf[32];
    int64_t i;
    if (spill__canonical_id(id, buf)) id = buf;
    for (i = 0; i < p->n; i++)
      if (!strcmp(p->ids[i], id)) break;
    if (i == p->n) continue; /* a unit the panel does not keep */
    if (!unit[i]) unit[i] = v;
    else if (strcmp(unit[i], v)) {
      rc = spill__fail(ctx, SPILL_EDATA, "%s, line %zu: '%s' of unit %s is '%s' here and '%s' above; "
                       "groups must be constant within each unit", path, r + 2, col, p->ids[i], v, unit[i]);
      goto done;
    }
  }
  for (int64_t i = 0; i < p->n; i++) {
    size_t g;
    if (!unit[i] || !*unit[i]) {
      rc = spill__fail(ctx, SPILL_EDATA, "%s: unit %s has no value of '%s'", path, p->ids[i], col);
      goto done;
    }
    for (g = 0; g < nl; g++)
      if (!strcmp(uniq[g], unit[i])) break;
    if (g == nl) {
      char *end;
      uniq[nl++] = unit[i];
      (void)strtod(unit[i], &end);
      if (*end || end == unit[i]) numeric = 0;
    }
  }
  qsort(uniq, nl, sizeof *uniq, numeric ? cmp_num : cmp_txt);
  out = spill__calloc(ctx, nl, sizeof *out);
  x = realloc(p->x, (p->nx + 1) * nt * sizeof *x);
  if (x) p->x = x;
  names = x ? realloc(p->x_names, (p->nx + 1) * sizeof *names) : NULL;
  if (names) p->x_names = names;
  if (!out || !x || !names) {
    rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory adding the group column");
    goto done;
  }
  for (size_t g = 0; g < nl; g++)
    if (!(out[g] = spill__strdup(ctx, uniq[g]))) goto done;
  if (!(p->x_names[p->nx] = spill__strdup(ctx, col))) goto done;
  for (int64_t i = 0; i < p->n; i++) {
    size_t g = 0;
    while (strcmp(uniq[g], unit[i])) g++;
    for (int64_t s = 0; s < p->t; s++) p->x[p->nx * nt + (size_t)(s * p->n + i)] = (double)g;
  }
  p->nx++;
  *labels = out;
  *k = nl;
  out = NULL;
  rc = SPILL_OK;
done:
  if (out)
    for (size_t g = 0; g < nl; g++) free(out[g]);
  free(out);
  free(unit);
  free(uniq);
  spill__table_free(t);
  return rc;
}

int spill_heterogeneity_set_labels(spill_ctx *ctx, spill_heterogeneity *h, char *const *labels, size_t k)
{
  for (size_t g = 0; g < h->groups; g++) {
    double v = h->g[g].value;
    if (v >= 0 && v < (double)k && v == floor(v)) {
      free(h->g[g].label);
      if (!(h->g[g].label = spill__strdup(ctx, labels[(size_t)v]))) return SPILL_ENOMEM;
    }
  }
  return SPILL_OK;
}

/* "by = value" or "by = label" */
static void group_name(const spill_heterogeneity *h, size_t g, char *buf, size_t size)
{
  if (h->g[g].label) snprintf(buf, size, "%s = %s", h->by, h->g[g].label);
  else snprintf(buf, size, "%s = %g", h->by, h->g[g].value);
}

/* ---- tables ---- */
static json_t *jstat(const spill_effect_stat *s)
{
  return json_pack("{s:o,s:o,s:o}", "estimate", spill__jnum(s->estimate), "se", spill__jnum(spill__stat_se(s)), "p",
                   spill__jnum(spill__stat_p(s)));
}

static int het_json(spill_ctx *ctx, const spill_heterogeneity *h, FILE *out)
{
  json_t *root = json_object(), *gr = json_array(), *tests = json_object();
  int sdm = h->model == SPILL_MODEL_SDM;
  json_object_set_new(root, "model", json_string(sdm ? "SDM" : "TWFE"));
  json_object_set_new(root, "by", json_string(h->by));
  for (size_t g = 0; g < h->groups; g++) {
    const spill_het_group *G = &h->g[g];
    json_t *o = json_pack("{s:o,s:s?,s:I,s:o,s:o,s:o}", "value", spill__jnum(G->value), "label", G->label, "units", (json_int_t)G->units,
                          "estimate", spill__jnum(G->coef), "se", spill__jnum(G->se), "p",
                          spill__jnum(spill__normal_p2(G->coef / G->se)));
    if (sdm) {
      json_object_set_new(o, "direct", jstat(&G->direct));
      json_object_set_new(o, "indirect", jstat(&G->indirect));
    }
    json_array_append_new(gr, o);
  }
  json_object_set_new(root, "groups", gr);
  json_object_set_new(tests, "interaction_wald", json_pack("{s:o,s:i,s:o}", "stat", spill__jnum(h->wald), "df", h->wald_df,
                                                           "p", spill__jnum(h->wald_p)));
  json_object_set_new(tests, "suest", json_pack("{s:o,s:i,s:o}", "stat", spill__jnum(h->sur), "df", h->sur_df, "p",
                                                spill__jnum(h->sur_p)));
  if (sdm) {
    json_object_set_new(tests, "sur_direct", json_pack("{s:o,s:o}", "stat", spill__jnum(h->sur_direct), "p",
                                                       spill__jnum(h->sur_direct_p)));
    json_object_set_new(tests, "sur_indirect", json_pack("{s:o,s:o}", "stat", spill__jnum(h->sur_indirect), "p",
                                                         spill__jnum(h->sur_indirect_p)));
  }
  json_object_set_new(tests, "permutation",
                      json_pack("{s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "reps", h->reps, "difference", spill__jnum(h->diff),
                                "p", spill__jnum(h->perm_p), "p_one_sided", spill__jnum(h->perm_p1), "difference_direct",
                                spill__jnum(h->diff_direct), "p_direct", spill__jnum(h->perm_p_direct),
                                "difference_indirect", spill__jnum(h->diff_indirect), "p_indirect",
                                spill__jnum(h->perm_p_indirect)));
  json_object_set_new(root, "tests", tests);
  return spill__jdump(ctx, root, out);
}

static int het_write(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_heterogeneity *h = obj;
  int sdm = h->model == SPILL_MODEL_SDM;
  if (fmt == SPILL_TABLE_JSON) return het_json(ctx, h, out);
  if (fmt == SPILL_TABLE_CSV) {
    fprintf(out, "group,units,estimate,se%s\n", sdm ? ",direct,direct_se,indirect,indirect_se" : "");
    for (size_t g = 0; g < h->groups; g++) {
      const spill_het_group *G = &h->g[g];
      char lab[96];
      group_name(h, g, lab, sizeof lab);
      spill__csv_str(out, lab);
      fprintf(out, ",%lld,%.17g,%.17g", (long long)G->units, G->coef, G->se);
      if (sdm)
        fprintf(out, ",%.17g,%.17g,%.17g,%.17g", G->direct.estimate, spill__stat_se(&G->direct), G->indirect.estimate,
                spill__stat_se(&G->indirect));
      fputc('\n', out);
    }
    fprintf(out, "test,statistic,df,p\n");
    fprintf(out, "interaction_wald,%.17g,%d,%.17g\n", h->wald, h->wald_df, h->wald_p);
    fprintf(out, "suest,%.17g,%d,%.17g\n", h->sur, h->sur_df, h->sur_p);
    if (sdm) {
      fprintf(out, "sur_direct,%.17g,%d,%.17g\n", h->sur_direct, h->sur_df, h->sur_direct_p);
      fprintf(out, "sur_indirect,%.17g,%d,%.17g\n", h->sur_indirect, h->sur_df, h->sur_indirect_p);
    }
    fprintf(out, "permutation,%.17g,%d,%.17g\n", h->diff, h->reps, h->perm_p);
    if (sdm) {
      fprintf(out, "permutation_direct,%.17g,%d,%.17g\n", h->diff_direct, h->reps, h->perm_p_direct);
      fprintf(out, "permutation_indirect,%.17g,%d,%.17g\n", h->diff_indirect, h->reps, h->perm_p_indirect);
    }
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fprintf(out, "\\begin{tabular}{l");
    for (size_t g = 0; g < h->groups; g++) fputc('c', out);
    fprintf(out, "}\n\\toprule\n");
    for (size_t g = 0; g < h->groups; g++) {
      char lab[96];
      group_name(h, g, lab, sizeof lab);
      fputs(" & ", out);
      spill__latex_str(out, lab);
    }
    fprintf(out, " \\\\\n\\midrule\n%s", sdm ? "$\\beta$" : "DID");
    for (size_t g = 0; g < h->groups; g++) spill__latex_num(out, h->g[g].coef, spill__normal_p2(h->g[g].coef / h->g[g].se));
    fprintf(out, " \\\\\n");
    for (size_t g = 0; g < h->groups; g++) fprintf(out, " & (%.4f)", h->g[g].se);
    fprintf(out, " \\\\\n");
    if (sdm) {
      fprintf(out, "Direct");
      for (size_t g = 0; g < h->groups; g++) spill__latex_num(out, h->g[g].direct.estimate, spill__stat_p(&h->g[g].direct));
      fprintf(out, " \\\\\nIndirect");
      for (size_t g = 0; g < h->groups; g++)
        spill__latex_num(out, h->g[g].indirect.estimate, spill__stat_p(&h->g[g].indirect));
      fprintf(out, " \\\\\n");
    }
    fprintf(out, "\\midrule\nUnits");
    for (size_t g = 0; g < h->groups; g++) fprintf(out, " & %lld", (long long)h->g[g].units);
    fprintf(out, " \\\\\nInteraction Wald $p$ & \\multicolumn{%zu}{c}{%.4f} \\\\\n", h->groups, h->wald_p);
    fprintf(out, "SUR (suest) $p$ & \\multicolumn{%zu}{c}{%.4f} \\\\\n", h->groups, h->sur_p);
    fprintf(out, "Permutation $p$ (%d draws) & \\multicolumn{%zu}{c}{%.4f} \\\\\n", h->reps, h->groups, h->perm_p);
    fprintf(out, "\\bottomrule\n\\end{tabular}\n");
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  fprintf(out, "Heterogeneity by %s (%s; separate fits by group%s)\n\n", h->by, sdm ? "SDM-DID" : "TWFE DID",
          sdm ? ", W cut to each group and re-standardised" : "");
  fprintf(out, "%-16s %7s %11s %10s %8s", "group", "units", sdm ? "beta" : "estimate", "se", "p");
  if (sdm) fprintf(out, " %11s %10s %11s %10s", "direct", "se", "indirect", "se");
  fputc('\n', out);
  for (size_t g = 0; g < h->groups; g++) {
    const spill_het_group *G = &h->g[g];
    char lab[96];
    group_name(h, g, lab, sizeof lab);
    fprintf(out, "%-16s %7lld %11.6f %10.6f %8.4f", lab, (long long)G->units, G->coef, G->se,
            spill__normal_p2(G->coef / G->se));
    if (sdm)
      fprintf(out, " %11.6f %10.6f %11.6f %10.6f", G->direct.estimate, spill__stat_se(&G->direct), G->indirect.estimate,
              spill__stat_se(&G->indirect));
    fputc('\n', out);
  }
  fprintf(out, "\nEquality of the treatment effect across groups:\n");
  fprintf(out, "  pooled interaction model, Wald chi2(%d) = %.4f, p = %.4f%s\n", h->wald_df, h->wald, h->wald_p,
          sdm ? " (coefficients and W terms)" : "");
  fprintf(out, "  seemingly unrelated (suest), chi2(%d) = %.4f, p = %.4f\n", h->sur_df, h->sur, h->sur_p);
  if (sdm) {
    fprintf(out, "  direct effects, chi2(%d) = %.4f, p = %.4f\n", h->sur_df, h->sur_direct, h->sur_direct_p);
    fprintf(out, "  indirect effects, chi2(%d) = %.4f, p = %.4f\n", h->sur_df, h->sur_indirect, h->sur_indirect_p);
  }
  if (h->reps) {
    if (h->groups == 2)
      fprintf(out, "  Fisher permutation (bdiff), %d draws: difference %.6f, p = %.4f (one-sided %.4f)\n", h->reps,
              h->diff, h->perm_p, h->perm_p1);
    else
      fprintf(out, "  Fisher permutation, %d draws: dispersion of the group estimates, p = %.4f\n", h->reps, h->perm_p);
    if (sdm)
      fprintf(out, "  permutation p of the direct effects %.4f, of the indirect effects %.4f\n", h->perm_p_direct,
              h->perm_p_indirect);
  }
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
}

int spill_heterogeneity_print(spill_ctx *ctx, const spill_heterogeneity *h, FILE *out, spill_table_fmt fmt)
{
  return het_write(ctx, h, out, fmt);
}

int spill_heterogeneity_save(spill_ctx *ctx, const spill_heterogeneity *h, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, het_write, h, fmt, 1);
}

/* Event study: leads and lags of each unit's adoption in the TWFE DID and
 * in the SDM-DID (every event dummy with its W term; effects per relative
 * period), the joint pre-trend test, tables and the figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/did.h"
#include "estimation/effects.h"
#include "shapes/chart.h"

void spill_es_opts_init(spill_es_opts *o)
{
  memset(o, 0, sizeof *o);
  o->model = SPILL_MODEL_OLS;
  o->lead = 4;
  o->lag = 4;
  o->ref = -1;
  o->logdet = SPILL_LOGDET_AUTO;
  spill_effects_opts_init(&o->effects);
}

void spill_eventstudy_free(spill_eventstudy *es)
{
  if (!es) return;
  if (es->names)
    for (size_t j = 0; j < es->m; j++) free(es->names[j]);
  free(es->names);
  free(es->rel);
  free(es->coef);
  free(es->se);
  free(es->p);
  free(es->wcoef);
  free(es->wse);
  free(es->direct);
  free(es->indirect);
  free(es->total);
  spill_fit_free(es->fit);
  free(es);
}

static void nan_stat(spill_effect_stat *s)
{
  s->estimate = s->se_delta = s->mean = s->sd = s->z = s->p = s->lo = s->hi = NAN;
  s->mc_se = s->trunc = 0;
}

spill_eventstudy *spill_eventstudy_fit(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                       const spill_es_opts *opts)
{
  spill_es_opts def;
  spill_eventstudy *es = NULL;
  spill_panel *q = NULL;
  spill_effects *eff = NULL;
  int64_t n, t, *adopt = NULL;
  size_t nt, always = 0, m;
  double *cols = NULL;
  long *lead_idx = NULL;
  int ok = 0, sdm;
  if (!opts) {
    spill_es_opts_init(&def);
    opts = &def;
  }
  if (!p) {
    spill__fail(ctx, SPILL_EINVAL, "event study: no panel");
    return NULL;
  }
  sdm = opts->model == SPILL_MODEL_SDM;
  if (opts->model != SPILL_MODEL_OLS && !sdm) {
    spill__fail(ctx, SPILL_EINVAL, "event study: the model must be the TWFE (ols) or the SDM");
    return NULL;
  }
  if (sdm && !w) {
    spill__fail(ctx, SPILL_EINVAL, "event study: the SDM needs a weights matrix (--w)");
    return NULL;
  }
  if (opts->lead < 1 || opts->lag < 0 || opts->lead > 50 || opts->lag > 50) {
    spill__fail(ctx, SPILL_EINVAL, "event study: the window needs 1 to 50 leads and 0 to 50 lags (got %d, %d)",
                opts->lead, opts->lag);
    return NULL;
  }
  if (opts->ref < -opts->lead || opts->ref > opts->lag) {
    spill__fail(ctx, SPILL_EINVAL, "event study: the reference period %d is outside the window %d..%d",
                opts->ref, -opts->lead, opts->lag);
    return NULL;
  }
  n = p->n;
  t = p->t;
  nt = (size_t)(n * t);
  m = (size_t)(opts->lead + opts->lag); /* window size lead + lag + 1, less ref */
  es = spill__calloc(ctx, 1, sizeof *es);
  adopt = spill__malloc(ctx, (size_t)n * sizeof *adopt);
  if (!es || !adopt) goto done;
  es->model = opts->model;
  es->lead = opts->lead;
  es->lag = opts->lag;
  es->ref = opts->ref;
  es->m = m;
  es->n = n;
  es->t = t;
  es->rho = es->rho_se = NAN;
  if (spill__adoption(ctx, p, adopt, &always)) goto done;
  es->always = (int64_t)always;
  for (int64_t i = 0; i < n; i++) {
    if (adopt[i]) es->treated++;
    else es->never++;
  }
  if (!es->treated) {
    spill__fail(ctx, SPILL_EDATA, "event study: no unit is ever treated");
    goto done;
  }
  es->rel = spill__malloc(ctx, m * sizeof *es->rel);
  es->names = spill__calloc(ctx, m, sizeof *es->names);
  es->coef = spill__malloc(ctx, m * sizeof *es->coef);
  es->se = spill__malloc(ctx, m * sizeof *es->se);
  es->p = spill__malloc(ctx, m * sizeof *es->p);
  cols = spill__calloc(ctx, m * nt, sizeof *cols);
  lead_idx = spill__malloc(ctx, 2 * m * sizeof *lead_idx);
  if (!es->rel || !es->names || !es->coef || !es->se || !es->p || !cols || !lead_idx) goto done;
  {
    size_t j = 0;
    for (int r = -opts->lead; r <= opts->lag; r++) {
      char buf[32];
      if (r == opts->ref) continue;
      es->rel[j] = r;
      snprintf(buf, sizeof buf, r < 0 ? "pre%d" : "post%d", r < 0 ? -r : r);
      if (!(es->names[j] = spill__strdup(ctx, buf))) goto done;
      j++;
    }
  }
  /* the dummies: relative period binned into the window's ends */
  for (int64_t i = 0; i < n; i++) {
    if (!adopt[i]) continue;
    for (int64_t s = 0; s < t; s++) {
      int64_t e = p->times[s] - adopt[i];
      if (e < -opts->lead) e = -opts->lead;
      if (e > opts->lag) e = opts->lag;
      if (e == opts->ref) continue;
      for (size_t j = 0; j < m; j++)
        if (es->rel[j] == e) cols[j * nt + (size_t)(s * n + i)] = 1.0;
    }
  }
  q = spill__panel_with(ctx, p, NULL, NULL, cols, m, (const char *const *)es->names, 0);
  if (!q) goto done;
  if (!(es->fit = spill__fit_did(ctx, q, w, opts->model, opts->logdet))) goto done;
  if (sdm) {
    es->wcoef = spill__malloc(ctx, m * sizeof *es->wcoef);
    es->wse = spill__malloc(ctx, m * sizeof *es->wse);
    es->direct = spill__malloc(ctx, m * sizeof *es->direct);
    es->indirect = spill__malloc(ctx, m * sizeof *es->indirect);
    es->total = spill__malloc(ctx, m * sizeof *es->total);
    if (!es->wcoef || !es->wse || !es->direct || !es->indirect || !es->total) goto done;
    es->rho = es->fit->rho;
    es->rho_se = es->fit->rho_se;
    eff = spill_effects_compute(ctx, es->fit, w, NULL, &opts->effects);
    if (!eff) goto done;
  }
  {
    size_t nl = 0;
    for (size_t j = 0; j < m; j++) {
      long c = spill__coef_index(es->fit, es->names[j]);
      es->coef[j] = c >= 0 ? es->fit->coef[c] : NAN;
      es->se[j] = c >= 0 ? es->fit->se[c] : NAN;
      es->p[j] = c >= 0 ? spill__normal_p2(es->coef[j] / es->se[j]) : NAN;
      if (c >= 0 && es->rel[j] < 0) lead_idx[nl++] = c;
      if (sdm) {
        char wn[40];
        long wc;
        const spill_effect *e = spill_effects_find(eff, es->names[j]);
        snprintf(wn, sizeof wn, "W*%s", es->names[j]);
        wc = spill__coef_index(es->fit, wn);
        es->wcoef[j] = wc >= 0 ? es->fit->coef[wc] : NAN;
        es->wse[j] = wc >= 0 ? es->fit->se[wc] : NAN;
        if (wc >= 0 && es->rel[j] < 0) lead_idx[nl++] = wc;
        if (e) {
          es->direct[j] = e->direct;
          es->indirect[j] = e->indirect;
          es->total[j] = e->total;
        } else {
          nan_stat(&es->direct[j]);
          nan_stat(&es->indirect[j]);
          nan_stat(&es->total[j]);
        }
      }
    }
    es->pre_df = (int)nl;
    es->pre_wald = es->pre_p = NAN;
    if (nl && spill__wald_idx(ctx, es->fit, lead_idx, nl, &es->pre_wald, &es->pre_p)) goto done;
  }
  ok = 1;
done:
  free(adopt);
  free(cols);
  free(lead_idx);
  spill_panel_free(q);
  spill_effects_free(eff);
  if (!ok) {
    spill_eventstudy_free(es);
    return NULL;
  }
  return es;
}

/* ---- tables ---- */
static void rel_label(const spill_eventstudy *es, size_t j, char *buf, size_t size)
{
  int r = es->rel[j];
  if (r == -es->lead) snprintf(buf, size, "<=%d", r);
  else if (r == es->lag && r > 0) snprintf(buf, size, ">=%d", r);
  else snprintf(buf, size, "%d", r);
}

static json_t *jstat(const spill_effect_stat *s)
{
  json_t *o = json_object();
  json_object_set_new(o, "estimate", spill__jnum(s->estimate));
  json_object_set_new(o, "se", spill__jnum(spill__stat_se(s)));
  json_object_set_new(o, "p", spill__jnum(spill__stat_p(s)));
  json_object_set_new(o, "lo", spill__jnum(s->lo));
  json_object_set_new(o, "hi", spill__jnum(s->hi));
  return o;
}

static int es_json(spill_ctx *ctx, const spill_eventstudy *es, FILE *out)
{
  json_t *root = json_object(), *arr = json_array(), *pre = json_object();
  int sdm = es->model == SPILL_MODEL_SDM;
  json_object_set_new(root, "model", json_string(sdm ? "SDM" : "TWFE"));
  json_object_set_new(root, "n", json_integer(es->n));
  json_object_set_new(root, "t", json_integer(es->t));
  json_object_set_new(root, "treated", json_integer(es->treated));
  json_object_set_new(root, "never_treated", json_integer(es->never));
  json_object_set_new(root, "reference", json_integer(es->ref));
  json_object_set_new(root, "window", json_pack("[i,i]", -es->lead, es->lag));
  if (sdm) {
    json_object_set_new(root, "rho", spill__jnum(es->rho));
    json_object_set_new(root, "rho_se", spill__jnum(es->rho_se));
  }
  for (size_t j = 0; j < es->m; j++) {
    json_t *o = json_object();
    json_object_set_new(o, "rel", json_integer(es->rel[j]));
    json_object_set_new(o, "binned", json_boolean(es->rel[j] == -es->lead || (es->rel[j] == es->lag && es->lag > 0)));
    json_object_set_new(o, "name", json_string(es->names[j]));
    json_object_set_new(o, "estimate", spill__jnum(es->coef[j]));
    json_object_set_new(o, "se", spill__jnum(es->se[j]));
    json_object_set_new(o, "p", spill__jnum(es->p[j]));
    json_object_set_new(o, "lo", spill__jnum(es->coef[j] - SPILL__Z975 * es->se[j]));
    json_object_set_new(o, "hi", spill__jnum(es->coef[j] + SPILL__Z975 * es->se[j]));
    if (sdm) {
      json_object_set_new(o, "w_estimate", spill__jnum(es->wcoef[j]));
      json_object_set_new(o, "w_se", spill__jnum(es->wse[j]));
      json_object_set_new(o, "direct", jstat(&es->direct[j]));
      json_object_set_new(o, "indirect", jstat(&es->indirect[j]));
      json_object_set_new(o, "total", jstat(&es->total[j]));
    }
    json_array_append_new(arr, o);
  }
  json_object_set_new(root, "periods", arr);
  json_object_set_new(pre, "wald", spill__jnum(es->pre_wald));
  json_object_set_new(pre, "df", json_integer(es->pre_df));
  json_object_set_new(pre, "p", spill__jnum(es->pre_p));
  json_object_set_new(root, "pretrend", pre);
  return spill__jdump(ctx, root, out);
}

static int es_write(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_eventstudy *es = obj;
  int sdm = es->model == SPILL_MODEL_SDM;
  char lab[16];
  if (fmt == SPILL_TABLE_JSON) return es_json(ctx, es, out);
  if (fmt == SPILL_TABLE_CSV) {
    fprintf(out, "rel,name,estimate,se,lo,hi,p%s\n",
            sdm ? ",w_estimate,w_se,direct,direct_se,indirect,indirect_se,total,total_se" : "");
    for (size_t j = 0; j < es->m; j++) {
      fprintf(out, "%d,%s,%.17g,%.17g,%.17g,%.17g,%.17g", es->rel[j], es->names[j], es->coef[j], es->se[j],
              es->coef[j] - SPILL__Z975 * es->se[j], es->coef[j] + SPILL__Z975 * es->se[j], es->p[j]);
      if (sdm)
        fprintf(out, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g", es->wcoef[j], es->wse[j],
                es->direct[j].estimate, spill__stat_se(&es->direct[j]), es->indirect[j].estimate,
                spill__stat_se(&es->indirect[j]), es->total[j].estimate, spill__stat_se(&es->total[j]));
      fputc('\n', out);
    }
    fprintf(out, "pretrend_wald,%.17g,df,%d,p,%.17g\n", es->pre_wald, es->pre_df, es->pre_p);
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  if (fmt == SPILL_TABLE_LATEX) {
    fprintf(out, "\\begin{tabular}{l%s}\n\\toprule\n", sdm ? "ccccc" : "c");
    if (sdm) fprintf(out, "Relative period & $\\beta$ & $\\theta$ & Direct & Indirect & Total \\\\\n");
    else fprintf(out, "Relative period & Estimate \\\\\n");
    fprintf(out, "\\midrule\n");
    for (size_t j = 0; j < es->m; j++) {
      int r = es->rel[j];
      if (r == -es->lead) fprintf(out, "$\\leq %d$", r);
      else if (r == es->lag && r > 0) fprintf(out, "$\\geq %d$", r);
      else fprintf(out, "$%d$", r);
      spill__latex_num(out, es->coef[j], es->p[j]);
      if (sdm) {
        spill__latex_num(out, es->wcoef[j], spill__normal_p2(es->wcoef[j] / es->wse[j]));
        spill__latex_num(out, es->direct[j].estimate, spill__stat_p(&es->direct[j]));
        spill__latex_num(out, es->indirect[j].estimate, spill__stat_p(&es->indirect[j]));
        spill__latex_num(out, es->total[j].estimate, spill__stat_p(&es->total[j]));
      }
      fprintf(out, " \\\\\n ");
      fprintf(out, " & (%.4f)", es->se[j]);
      if (sdm)
        fprintf(out, " & (%.4f) & (%.4f) & (%.4f) & (%.4f)", es->wse[j], spill__stat_se(&es->direct[j]),
                spill__stat_se(&es->indirect[j]), spill__stat_se(&es->total[j]));
      fprintf(out, " \\\\\n");
    }
    fprintf(out, "\\midrule\nPre-trend Wald $\\chi^2(%d)$ & %.3f [p = %.4f]%s \\\\\n", es->pre_df, es->pre_wald,
            es->pre_p, sdm ? " & & & &" : "");
    fprintf(out, "\\bottomrule\n\\end{tabular}\n");
    return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
  }
  fprintf(out, "Event study (%s), reference period %d, window %d..%d (ends binned)\n",
          sdm ? "SDM-DID" : "TWFE DID, cluster-robust SEs by unit", es->ref, -es->lead, es->lag);
  fprintf(out, "units %lld (treated %lld, never treated %lld), periods %lld\n", (long long)es->n,
          (long long)es->treated, (long long)es->never, (long long)es->t);
  if (sdm) fprintf(out, "rho %.4f (%.4f)\n", es->rho, es->rho_se);
  fprintf(out, "\n%-8s %10s %9s %10s %10s %7s", "rel", sdm ? "beta" : "estimate", "se", "lo95", "hi95", "p");
  if (sdm) fprintf(out, " %10s %9s %10s %9s %10s %9s", "direct", "se", "indirect", "se", "total", "se");
  fputc('\n', out);
  for (size_t j = 0; j < es->m; j++) {
    rel_label(es, j, lab, sizeof lab);
    fprintf(out, "%-8s %10.4f %9.4f %10.4f %10.4f %7.4f", lab, es->coef[j], es->se[j],
            es->coef[j] - SPILL__Z975 * es->se[j], es->coef[j] + SPILL__Z975 * es->se[j], es->p[j]);
    if (sdm)
      fprintf(out, " %10.4f %9.4f %10.4f %9.4f %10.4f %9.4f", es->direct[j].estimate,
              spill__stat_se(&es->direct[j]), es->indirect[j].estimate, spill__stat_se(&es->indirect[j]),
              es->total[j].estimate, spill__stat_se(&es->total[j]));
    fputc('\n', out);
  }
  fprintf(out, "\nPre-trend test (all leads = 0%s): Wald chi2(%d) = %.4f, p = %.4f\n",
          sdm ? ", with their W terms" : "", es->pre_df, es->pre_wald, es->pre_p);
  if (es->always)
    fprintf(out, "note: %lld units are treated from the first period; their adoption is taken as that period\n"
                 "(the true date is earlier or unknown): consider dropping them.\n", (long long)es->always);
  for (size_t j = 0; j < es->m; j++)
    if (!isfinite(es->coef[j])) {
      fprintf(out, "note: periods shown as nan have no observations in the window (or are collinear) and were dropped.\n");
      break;
    }
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "cannot write the table") : SPILL_OK;
}

int spill_eventstudy_print(spill_ctx *ctx, const spill_eventstudy *es, FILE *out, spill_table_fmt fmt)
{
  return es_write(ctx, es, out, fmt);
}

int spill_eventstudy_save(spill_ctx *ctx, const spill_eventstudy *es, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, es_write, es, fmt, 1);
}

/* ---- figure ---- */
int spill_eventstudy_plot(spill_ctx *ctx, const spill_eventstudy *es, const char *path, const char *title)
{
  return spill__eventstudy_plot(ctx, es, path, title, NULL);
}

int spill__eventstudy_plot(spill_ctx *ctx, const spill_eventstudy *es, const char *path, const char *title,
                   spill__chart_stats *st)
{
  spill__chart c;
  size_t m1 = es->m + 1;
  int sdm = es->model == SPILL_MODEL_SDM, np = sdm ? 3 : 1, rc;
  double *buf = spill__malloc(ctx, 5 * (size_t)np * m1 * sizeof *buf);
  double refx[1] = {es->ref}, refy[1] = {0};
  static const char *ptitle[3] = {"Direct effect", "Indirect effect", "Total effect"};
  if (!buf) return SPILL_ENOMEM;
  spill__chart_init(&c);
  c.title = title;
  c.npanels = np;
  c.panel_width = sdm ? 560 : 720;
  c.share_y = sdm;
  c.note = "Points: estimates; bars: 95% intervals; the omitted reference period is drawn at 0.";
  for (int q = 0; q < np; q++) {
    double *x = buf + (size_t)q * 5 * m1, *y = x + m1, *lo = y + m1, *hi = lo + m1, *py = hi + m1;
    spill__panel *P = &c.panel[q];
    spill__series *s;
    size_t k = 0, j = 0;
    for (int r = -es->lead; r <= es->lag; r++) {
      double est, se;
      const spill_effect_stat *st = NULL;
      x[k] = r;
      if (r == es->ref) { /* the omitted period: 0 by construction, drawn hollow */
        y[k] = 0;
        py[k] = lo[k] = hi[k] = NAN;
        k++;
        continue;
      }
      if (sdm) st = q == 0 ? &es->direct[j] : q == 1 ? &es->indirect[j] : &es->total[j];
      est = sdm ? st->estimate : es->coef[j];
      se = sdm ? spill__stat_se(st) : es->se[j];
      y[k] = py[k] = est;
      lo[k] = sdm && isfinite(st->lo) ? st->lo : est - SPILL__Z975 * se;
      hi[k] = sdm && isfinite(st->hi) ? st->hi : est + SPILL__Z975 * se;
      k++;
      j++;
    }
    P->integer_x = 1;
    P->legend = SPILL__LEGEND_NONE;
    P->xlabel = "Periods relative to adoption";
    P->ylabel = q == 0 ? (sdm ? "Effect" : "Coefficient") : NULL;
    if (sdm) P->title = ptitle[q];
    spill__chart_ref(P, 0, 0, 1);
    spill__chart_ref(P, 1, -0.5, 1);
    s = spill__chart_add(P, SPILL__SERIES_LINE, k, x, y, NULL);
    s->color = 6;
    s->line_width = 0.15;
    s = spill__chart_add(P, SPILL__SERIES_POINTS, k, x, py, NULL);
    s->lo = lo;
    s->hi = hi;
    s->color = 0;
    s = spill__chart_add(P, SPILL__SERIES_POINTS, 1, refx, refy, NULL); /* the omitted period, hollow */
    s->hollow = 1;
    s->color = 0;
  }
  rc = spill__chart_draw(ctx, &c, path, st);
  free(buf);
  return rc;
}

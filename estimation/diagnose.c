/* The model-choice section of a spatial panel paper in one table: Moran's I
 * of y, the LM tests under each fixed-effects choice, the LR tests of the
 * fixed effects, the Hausman row (filled by the model family), and the SDM
 * against SAR and SEM (Elhorst 2014, sec. 3.5-3.6; Anselin 2005 for the
 * LM decision rule). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "estimation/estimation.h"
#include "estimation/report.h"

/* The row of the spatial Hausman test (Mutl and Pfaffermayr 2011, splm
 * sphtest), filled by hausman_row. */
#define HAUSMAN_ROW "Hausman (FE vs RE)"

void spill_diagnose_opts_init(spill_diagnose_opts *o)
{
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->sdm_fe = SPILL_FE_TWOWAYS;
  o->alpha = 0.05;
}

void spill_diagnose_free(spill_diagnose *d)
{
  if (!d) return;
  free(d->row);
  free(d);
}

static spill_diag_row *add(spill_ctx *ctx, spill_diagnose *d, const char *section, const char *name, double stat,
                           double df, double p, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static spill_diag_row *add(spill_ctx *ctx, spill_diagnose *d, const char *section, const char *name, double stat,
                           double df, double p, const char *fmt, ...)
{
  spill_diag_row *r;
  va_list ap;
  if (d->count == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 32;
    spill_diag_row *nr = realloc(d->row, cap * sizeof *nr);
    if (!nr) return spill__fail(ctx, SPILL_ENOMEM, "out of memory"), NULL;
    d->row = nr;
    d->cap = cap;
  }
  r = &d->row[d->count++];
  memset(r, 0, sizeof *r);
  snprintf(r->section, sizeof r->section, "%s", section);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->stat = stat;
  r->df = df;
  r->p = p;
  va_start(ap, fmt);
  vsnprintf(r->reading, sizeof r->reading, fmt, ap);
  va_end(ap);
  return r;
}

int spill_diagnose_set(spill_ctx *ctx, spill_diagnose *d, const char *name, double stat, double df, double p,
                       const char *reading)
{
  for (size_t r = 0; r < d->count; r++)
    if (!strcmp(d->row[r].name, name)) {
      d->row[r].stat = stat;
      d->row[r].df = df;
      d->row[r].p = p;
      snprintf(d->row[r].reading, sizeof d->row[r].reading, "%s", reading ? reading : "");
      return SPILL_OK;
    }
  return spill__fail(ctx, SPILL_EINVAL, "the diagnose table has no row '%s'", name);
}

static const char *sig(double p, double a) { return p <= a ? "significant" : "not significant"; }

/* Anselin (2005, fig. 8.7) as Elhorst (2014, sec. 3.5) applies it. */
static void lm_decision(const spill_lmtests *o, double a, char *buf, size_t size)
{
  int lag = o->p_lag <= a, err = o->p_err <= a, rlag = o->p_rlag <= a, rerr = o->p_rerr <= a;
  if (!lag && !err) snprintf(buf, size, "neither LM test significant: no spatial lag or error needed");
  else if (lag && !err) snprintf(buf, size, "LM-lag significant, LM-error not: spatial lag");
  else if (!lag && err) snprintf(buf, size, "LM-error significant, LM-lag not: spatial error");
  else if (rlag && !rerr) snprintf(buf, size, "LM-lag robust significant, LM-error robust not: spatial lag");
  else if (!rlag && rerr) snprintf(buf, size, "LM-error robust significant, LM-lag robust not: spatial error");
  else if (rlag && rerr)
    snprintf(buf, size, "both robust tests significant (larger: %s): consider the SDM or SAC",
             o->rlm_lag >= o->rlm_err ? "lag" : "error");
  else snprintf(buf, size, "both LM tests significant, neither robust one: lag and error not told apart");
}

static int moran_rows(spill_ctx *ctx, spill_diagnose *d, const spill_panel *p, const spill_weights *w,
                      const spill_diagnose_opts *o)
{
  spill_moran_table *tab = spill_moran_by_period(ctx, w, p->y, p->t, p->times, p->y_name, o->perm, o->seed);
  char sec[40];
  if (!tab) return spill_ctx_status(ctx);
  snprintf(sec, sizeof sec, "Moran's I of %s", p->y_name ? p->y_name : "y");
  for (size_t r = 0; r < tab->count; r++) {
    const spill_moran *m = &tab->row[r];
    double pv = m->perm ? m->pi_perm : m->pi_rand;
    if (!add(ctx, d, sec, tab->label[r], m->moran_i, NAN, pv, "%s (z = %.2f%s)",
             pv <= o->alpha ? (m->moran_i > m->ei ? "positive spatial autocorrelation" : "no positive autocorrelation")
                            : "no significant spatial autocorrelation",
             m->zi_rand, m->perm ? "; p by permutation" : ", randomisation")) {
      spill_moran_table_free(tab);
      return SPILL_ENOMEM;
    }
  }
  spill_moran_table_free(tab);
  return SPILL_OK;
}

static const char *fe_label(spill_fe fe)
{
  switch (fe) {
  case SPILL_FE_NONE: return "LM tests, pooled OLS";
  case SPILL_FE_UNIT: return "LM tests, unit FE";
  case SPILL_FE_TIME: return "LM tests, time FE";
  default: return "LM tests, two-way FE";
  }
}

static int lm_rows(spill_ctx *ctx, spill_diagnose *d, const spill_lmtests *o, double a)
{
  const char *s = fe_label(o->fe);
  char dec[200];
  lm_decision(o, a, dec, sizeof dec);
  if (!add(ctx, d, s, "LM-lag", o->lm_lag, 1, o->p_lag, "%s", sig(o->p_lag, a)) ||
      !add(ctx, d, s, "LM-error", o->lm_err, 1, o->p_err, "%s", sig(o->p_err, a)) ||
      !add(ctx, d, s, "Robust LM-lag", o->rlm_lag, 1, o->p_rlag, "%s", sig(o->p_rlag, a)) ||
      !add(ctx, d, s, "Robust LM-error", o->rlm_err, 1, o->p_rerr, "%s", sig(o->p_rerr, a)) ||
      !add(ctx, d, s, "SARMA", o->sarma, 2, o->p_sarma, "%s", sig(o->p_sarma, a)) ||
      !add(ctx, d, s, "Reading", NAN, NAN, NAN, "%s", dec))
    return SPILL_ENOMEM;
  return SPILL_OK;
}

static int sdm_rows(spill_ctx *ctx, spill_diagnose *d, const spill_panel *p, const spill_weights *w,
                    const spill_diagnose_opts *o)
{
  spill_fit_opts fo;
  spill_fit *f;
  double q = 0, a = o->alpha;
  char sec[40];
  int sar, sem;
  spill_fit_opts_init(&fo);
  fo.model = SPILL_MODEL_SDM;
  fo.fe = o->sdm_fe;
  fo.splm_wy = o->splm_wy;
  if (!(f = spill_fit_model(ctx, p, w, &fo))) {
    spill__fail_prefix(ctx, "the SDM fit for the SAR/SEM tests: ");
    return spill_ctx_status(ctx);
  }
  for (size_t j = 0; j < f->k; j++) q += f->wlag[j] >= 0;
  snprintf(sec, sizeof sec, "SDM vs SAR/SEM (%s)",
           o->sdm_fe == SPILL_FE_NONE ? "no FE" : o->sdm_fe == SPILL_FE_UNIT ? "unit FE"
                                             : o->sdm_fe == SPILL_FE_TIME ? "time FE" : "two-way FE");
  sar = f->wald_sar_p <= a && f->lr_sar_p <= a;
  sem = f->wald_sem_p <= a && f->lr_sem_p <= a;
  if (!add(ctx, d, sec, "Wald SDM vs SAR", f->wald_sar, q, f->wald_sar_p, "H0 theta = 0 %s",
           f->wald_sar_p <= a ? "rejected" : "not rejected") ||
      !add(ctx, d, sec, "LR SDM vs SAR", f->lr_sar, q, f->lr_sar_p, "H0 theta = 0 %s",
           f->lr_sar_p <= a ? "rejected" : "not rejected") ||
      !add(ctx, d, sec, "Wald SDM vs SEM", f->wald_sem, q, f->wald_sem_p, "H0 theta = -rho beta %s",
           f->wald_sem_p <= a ? "rejected" : "not rejected") ||
      !add(ctx, d, sec, "LR SDM vs SEM", f->lr_sem, q, f->lr_sem_p, "H0 theta = -rho beta %s",
           f->lr_sem_p <= a ? "rejected" : "not rejected") ||
      !add(ctx, d, sec, "Reading", NAN, NAN, NAN, "%s",
           sar && sem   ? "SAR and SEM both rejected: the spatial Durbin model"
           : sar        ? "SEM not rejected (SAR is): the spatial error model may do"
           : sem        ? "SAR not rejected (SEM is): the spatial lag model may do"
                        : "neither restriction rejected: SAR or SEM (see the LM tests)")) {
    spill_fit_free(f);
    return SPILL_ENOMEM;
  }
  spill_fit_free(f);
  return SPILL_OK;
}

/* Spatial Hausman test of unit fixed against random effects for the spatial
 * lag model (Mutl and Pfaffermayr 2011; splm sphtest(spatial.model = "lag")).
 * A fit that fails leaves the row empty with the reason instead of failing
 * the whole table. */
static int hausman_row(spill_ctx *ctx, spill_diagnose *d, const spill_panel *p, const spill_weights *w,
                       double a)
{
  spill_hausman_result h;
  const char *sec = "Fixed or random effects";
  if (spill_hausman(ctx, p, w, SPILL_MODEL_SAR, &h)) {
    char why[160];
    snprintf(why, sizeof why, "not computed: %s", spill_ctx_error(ctx));
    spill_ctx_clear_error(ctx);
    return add(ctx, d, sec, HAUSMAN_ROW, NAN, NAN, NAN, "%s", why) ? SPILL_OK : SPILL_ENOMEM;
  }
  return add(ctx, d, sec, HAUSMAN_ROW, h.stat, h.df, h.p, "%s",
             h.p <= a ? "random effects rejected: fixed effects" : "random effects not rejected (FE still consistent)")
             ? SPILL_OK
             : SPILL_ENOMEM;
}

spill_diagnose *spill_diagnose_run(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                   const spill_diagnose_opts *opts)
{
  spill_diagnose_opts def;
  spill_diagnose *d;
  spill_lmtests lm[4];
  static const spill_fe fes[4] = {SPILL_FE_NONE, SPILL_FE_UNIT, SPILL_FE_TIME, SPILL_FE_TWOWAYS};
  int nfe = p->t > 1 ? 4 : 1;
  if (!opts) {
    spill_diagnose_opts_init(&def);
    opts = &def;
  }
  if (!(opts->alpha > 0 && opts->alpha < 1)) return spill__fail(ctx, SPILL_EINVAL, "alpha must be in (0, 1)"), NULL;
  if (!(d = spill__calloc(ctx, 1, sizeof *d))) return NULL;
  snprintf(d->y, sizeof d->y, "%s", p->y_name ? p->y_name : "y");
  d->n = p->n;
  d->t = p->t;
  if (moran_rows(ctx, d, p, w, opts)) goto fail;
  spill__progress(ctx, "diagnose", 0.2);
  for (int k = 0; k < nfe; k++) {
    if (spill_lm_tests(ctx, p, w, fes[k], opts->splm_wy, &lm[k])) {
      spill__fail_prefix(ctx, "%s: ", fe_label(fes[k]));
      goto fail;
    }
    if (lm_rows(ctx, d, &lm[k], opts->alpha)) goto fail;
  }
  spill__progress(ctx, "diagnose", 0.4);
  if (nfe == 4) {
    spill_fe_lr lr;
    const char *s = "Fixed effects (LR, non-spatial)", *dec;
    double a = opts->alpha;
    spill_fe_lr_tests(&lm[3], &lm[1], &lm[2], &lr);
    dec = lr.p_unit <= a && lr.p_time <= a ? "both jointly significant: two-way fixed effects"
          : lr.p_unit <= a                 ? "unit effects only: unit fixed effects"
          : lr.p_time <= a                 ? "time effects only: time fixed effects"
                                           : "neither significant: pooled model";
    if (!add(ctx, d, s, "LR unit effects", lr.lr_unit, lr.df_unit, lr.p_unit, "unit effects %s",
             lr.p_unit <= a ? "jointly significant" : "not jointly significant") ||
        !add(ctx, d, s, "LR time effects", lr.lr_time, lr.df_time, lr.p_time, "time effects %s",
             lr.p_time <= a ? "jointly significant" : "not jointly significant") ||
        !add(ctx, d, s, "Reading", NAN, NAN, NAN, "%s", dec))
      goto fail;
    if (hausman_row(ctx, d, p, w, a)) goto fail;
  }
  spill__progress(ctx, "diagnose", 0.5);
  if (!opts->no_sdm && (p->t > 1 || opts->sdm_fe == SPILL_FE_NONE) && sdm_rows(ctx, d, p, w, opts)) goto fail;
  spill__progress(ctx, "diagnose", 1.0);
  return d;
fail:
  spill_diagnose_free(d);
  return NULL;
}

/* ---- output ---- */
static void fmt_num(char *buf, size_t size, double v, const char *f)
{
  if (isfinite(v)) snprintf(buf, size, f, v);
  else snprintf(buf, size, "%s", "");
}

static void print_text(const spill_diagnose *d, FILE *out)
{
  const char *sec = "";
  fprintf(out, "Spatial dependence and model choice: %s (N = %lld, T = %lld)\n", d->y, (long long)d->n,
          (long long)d->t);
  for (size_t r = 0; r < d->count; r++) {
    const spill_diag_row *x = &d->row[r];
    char s[32], df[16], p[16];
    if (strcmp(sec, x->section)) {
      sec = x->section;
      fprintf(out, "\n%s\n", sec);
      fprintf(out, "  %-20s %12s %5s %10s  %s\n", "test", "statistic", "df", "p", "reading");
    }
    fmt_num(s, sizeof s, x->stat, "%.4f");
    fmt_num(df, sizeof df, x->df, "%.0f");
    if (isfinite(x->p) && x->p < 1e-16) snprintf(p, sizeof p, "<1e-16");
    else if (isfinite(x->p)) snprintf(p, sizeof p, x->p < 1e-4 ? "%.2e" : "%.4f", x->p);
    else p[0] = 0;
    fprintf(out, "  %-20s %12s %5s %10s  %s\n", x->name, s, df, p, x->reading);
  }
}

static void csv_text(FILE *out, const char *s)
{
  if (!strpbrk(s, ",\"\n")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void print_csv(const spill_diagnose *d, FILE *out)
{
  fputs("section,test,statistic,df,p,reading\n", out);
  for (size_t r = 0; r < d->count; r++) {
    const spill_diag_row *x = &d->row[r];
    char s[32], df[16], p[32];
    fmt_num(s, sizeof s, x->stat, "%.17g");
    fmt_num(df, sizeof df, x->df, "%.0f");
    fmt_num(p, sizeof p, x->p, "%.17g");
    csv_text(out, x->section);
    fputc(',', out);
    csv_text(out, x->name);
    fprintf(out, ",%s,%s,%s,", s, df, p);
    csv_text(out, x->reading);
    fputc('\n', out);
  }
}

static void latex_text(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("&%$#_{}", *s)) fprintf(out, "\\%c", *s);
    else if (*s == '\'') fputc('\'', out);
    else fputc(*s, out);
  }
}

static void print_latex(const spill_diagnose *d, FILE *out)
{
  const char *sec = "";
  fputs("\\begin{tabular}{lrrrl}\n\\toprule\nTest & Statistic & df & $p$ & Reading \\\\\n", out);
  for (size_t r = 0; r < d->count; r++) {
    const spill_diag_row *x = &d->row[r];
    char s[32], df[16], p[16];
    if (strcmp(sec, x->section)) {
      sec = x->section;
      fputs("\\midrule\n\\multicolumn{5}{l}{\\textit{", out);
      latex_text(out, sec);
      fputs("}} \\\\\n", out);
    }
    fmt_num(s, sizeof s, x->stat, "%.3f");
    fmt_num(df, sizeof df, x->df, "%.0f");
    if (isfinite(x->p) && x->p < 0.001) snprintf(p, sizeof p, "$<$0.001");
    else fmt_num(p, sizeof p, x->p, "%.3f");
    latex_text(out, x->name);
    fprintf(out, " & %s & %s & %s & ", s, df, p);
    latex_text(out, x->reading);
    fputs(" \\\\\n", out);
  }
  fputs("\\bottomrule\n\\end{tabular}\n", out);
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static int print_json(spill_ctx *ctx, const spill_diagnose *d, FILE *out)
{
  json_t *root = json_object(), *rows = json_array();
  int rc = SPILL_OK;
  json_object_set_new(root, "y", json_string(d->y));
  json_object_set_new(root, "n", json_integer(d->n));
  json_object_set_new(root, "t", json_integer(d->t));
  for (size_t r = 0; r < d->count; r++) {
    const spill_diag_row *x = &d->row[r];
    json_t *o = json_object();
    json_object_set_new(o, "section", json_string(x->section));
    json_object_set_new(o, "test", json_string(x->name));
    json_object_set_new(o, "statistic", num(x->stat));
    json_object_set_new(o, "df", num(x->df));
    json_object_set_new(o, "p", num(x->p));
    json_object_set_new(o, "reading", json_string(x->reading));
    json_array_append_new(rows, o);
  }
  json_object_set_new(root, "rows", rows);
  if (json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0)
    rc = spill__fail(ctx, SPILL_EIO, "writing JSON failed");
  json_decref(root);
  return rc;
}

static int write_table(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_diagnose *d = obj;
  switch (fmt) {
  case SPILL_TABLE_CSV: print_csv(d, out); break;
  case SPILL_TABLE_LATEX: print_latex(d, out); break;
  case SPILL_TABLE_JSON: return print_json(ctx, d, out);
  default: print_text(d, out);
  }
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "writing the diagnose table failed") : SPILL_OK;
}

int spill_diagnose_print(spill_ctx *ctx, const spill_diagnose *d, FILE *out, spill_table_fmt fmt)
{
  int rc = write_table(ctx, d, out, (int)fmt);
  if (!rc && fmt == SPILL_TABLE_JSON) fputc('\n', out);
  return rc;
}

int spill_diagnose_save(spill_ctx *ctx, const spill_diagnose *d, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_table, d, (int)fmt, 1);
}

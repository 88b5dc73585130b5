/* Staggered-DID results: the tables a user reads (ATT(g,t), event time,
 * group, calendar, overall, spillover rings, comparison) and their writers:
 * aligned text, CSV, LaTeX (booktabs) and JSON (jansson). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"

void spill_did_opts_init(spill_did_opts *o)
{
  memset(o, 0, sizeof *o);
  o->method = SPILL_DID_CS;
  o->control = SPILL_CS_NEVER;
  o->base = SPILL_CS_VARYING;
  o->est = SPILL_CS_DR;
  o->boot = 999;
  o->seed = 1;
  o->level = 0.95;
  o->leads = 1;
}

/* Acklam's rational approximation of the normal quantile, refined by one
 * Halley step (Acklam 2003; relative error below 1e-15 after the step). */
double spill__qnorm(double p)
{
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double q, r, x, e, u;
  if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    q = sqrt(-2 * log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  e = 0.5 * erfc(-x / sqrt(2)) - p;
  u = e * 2.50662827463100050242 * exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

static const char *method_name(spill_did_method m)
{
  switch (m) {
  case SPILL_DID_CS: return "Callaway-Sant'Anna";
  case SPILL_DID_IMPUTATION: return "imputation (Borusyak-Jaravel-Spiess)";
  case SPILL_DID_TWOSTAGE: return "two-stage DID (Gardner)";
  default: return "two-way fixed effects";
  }
}

spill_did_result *spill__did_result_new(spill_ctx *ctx, spill_did_method m, const spill_did_opts *o)
{
  spill_did_result *r = spill__calloc(ctx, 1, sizeof *r);
  if (!r) return NULL;
  r->method = m;
  r->boot = o->boot;
  r->seed = o->seed;
  r->level = o->level;
  if (!(r->description = spill__strdup(ctx, method_name(m)))) {
    free(r);
    return NULL;
  }
  return r;
}

void spill_did_result_free(spill_did_result *r)
{
  if (!r) return;
  for (size_t k = 0; k < r->ntab; k++) {
    for (size_t j = 0; j < r->tab[k].count; j++) free(r->tab[k].row[j].label);
    free(r->tab[k].row);
    free(r->tab[k].name);
  }
  free(r->tab);
  for (size_t k = 0; k < r->nnotes; k++) free(r->notes[k]);
  free(r->notes);
  free(r->description);
  free(r);
}

spill_did_table *spill__did_table_add(spill_ctx *ctx, spill_did_result *r, const char *name)
{
  spill_did_table *t = realloc(r->tab, (r->ntab + 1) * sizeof *t);
  if (!t) return spill__fail(ctx, SPILL_ENOMEM, "out of memory"), NULL;
  r->tab = t;
  t = &r->tab[r->ntab];
  memset(t, 0, sizeof *t);
  t->crit = NAN;
  if (!(t->name = spill__strdup(ctx, name))) return NULL;
  r->ntab++;
  return t;
}

spill_did_row *spill__did_row_add(spill_ctx *ctx, spill_did_table *t, const char *label, int64_t g,
                                  int64_t tt, int64_t e, double est, double se, double level,
                                  int64_t nobs)
{
  spill_did_row *row = realloc(t->row, (t->count + 1) * sizeof *row);
  double z = spill__qnorm(0.5 + level / 2);
  if (!row) return spill__fail(ctx, SPILL_ENOMEM, "out of memory"), NULL;
  t->row = row;
  row = &t->row[t->count];
  memset(row, 0, sizeof *row);
  if (!(row->label = spill__strdup(ctx, label))) return NULL;
  row->g = g;
  row->t = tt;
  row->e = e;
  row->est = est;
  row->se = se;
  row->lo = isfinite(se) ? est - z * se : NAN;
  row->hi = isfinite(se) ? est + z * se : NAN;
  row->ulo = row->uhi = NAN;
  row->nobs = nobs;
  t->count++;
  return row;
}

void spill__did_table_band(spill_did_table *t, double crit)
{
  t->crit = crit;
  for (size_t j = 0; j < t->count; j++) {
    spill_did_row *w = &t->row[j];
    w->ulo = isfinite(crit) && isfinite(w->se) ? w->est - crit * w->se : NAN;
    w->uhi = isfinite(crit) && isfinite(w->se) ? w->est + crit * w->se : NAN;
  }
}

int spill__did_note(spill_ctx *ctx, spill_did_result *r, const char *fmt, ...)
{
  char buf[1024], **n;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  n = realloc(r->notes, (r->nnotes + 1) * sizeof *n);
  if (!n) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
  r->notes = n;
  if (!(r->notes[r->nnotes] = spill__strdup(ctx, buf))) return SPILL_ENOMEM;
  r->nnotes++;
  return 0;
}

const spill_did_table *spill_did_find(const spill_did_result *r, const char *name)
{
  for (size_t k = 0; r && k < r->ntab; k++)
    if (!strcmp(r->tab[k].name, name)) return &r->tab[k];
  return NULL;
}

/* ---- writers ---- */

static void num(FILE *out, double v, const char *fmtv)
{
  if (isfinite(v)) fprintf(out, fmtv, v);
  else fprintf(out, "%*s", atoi(fmtv + 1), "");
}

static void csv_num(FILE *out, double v)
{
  if (isfinite(v)) fprintf(out, ",%.10g", v);
  else fputs(",", out);
}

static void csv_key(FILE *out, int64_t k)
{
  if (k != INT64_MIN) fprintf(out, ",%lld", (long long)k);
  else fputs(",", out);
}

static int print_text(const spill_did_result *r, FILE *out)
{
  fprintf(out, "%s\n", r->description);
  fprintf(out, "units %lld (eventually treated %lld, never treated %lld), periods %lld\n",
          (long long)r->n, (long long)r->n_treated, (long long)r->n_never, (long long)r->t);
  for (size_t k = 0; k < r->ntab; k++) {
    const spill_did_table *t = &r->tab[k];
    int band = isfinite(t->crit);
    size_t wl = 8;
    for (size_t j = 0; j < t->count; j++)
      if (strlen(t->row[j].label) > wl) wl = strlen(t->row[j].label);
    fprintf(out, "\n%s\n", t->name);
    fprintf(out, "  %-*s %11s %10s %22s", (int)wl, "", "estimate", "se",
            band ? "pointwise interval" : "interval");
    if (band) fprintf(out, " %22s", "uniform band");
    fprintf(out, " %8s\n", "n");
    for (size_t j = 0; j < t->count; j++) {
      const spill_did_row *w = &t->row[j];
      fprintf(out, "  %-*s ", (int)wl, w->label);
      num(out, w->est, "%11.4f");
      fputc(' ', out);
      num(out, w->se, "%10.4f");
      if (isfinite(w->lo)) fprintf(out, "  [%9.4f, %9.4f]", w->lo, w->hi);
      else fprintf(out, "%24s", "");
      if (band) {
        if (isfinite(w->ulo)) fprintf(out, "  [%9.4f, %9.4f]", w->ulo, w->uhi);
        else fprintf(out, "%24s", "");
      }
      if (w->nobs > 0) fprintf(out, " %8lld", (long long)w->nobs);
      fputc('\n', out);
    }
    if (band) fprintf(out, "  (uniform band: critical value %.4f)\n", t->crit);
  }
  if (r->nnotes) fputs("\nnotes:\n", out);
  for (size_t k = 0; k < r->nnotes; k++) fprintf(out, "  - %s\n", r->notes[k]);
  return ferror(out) ? -1 : 0;
}

static void csv_text(FILE *out, const char *s)
{
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static int print_csv(const spill_did_result *r, FILE *out)
{
  fputs("table,label,g,t,e,estimate,se,lo,hi,ulo,uhi,n\n", out);
  for (size_t k = 0; k < r->ntab; k++)
    for (size_t j = 0; j < r->tab[k].count; j++) {
      const spill_did_row *w = &r->tab[k].row[j];
      csv_text(out, r->tab[k].name);
      fputc(',', out);
      csv_text(out, w->label);
      csv_key(out, w->g);
      csv_key(out, w->t);
      csv_key(out, w->e);
      csv_num(out, w->est);
      csv_num(out, w->se);
      csv_num(out, w->lo);
      csv_num(out, w->hi);
      csv_num(out, w->ulo);
      csv_num(out, w->uhi);
      fprintf(out, ",%lld\n", (long long)w->nobs);
    }
  return ferror(out) ? -1 : 0;
}

static void tex_text(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("&%$#_{}", *s)) fputc('\\', out);
    if (*s == '\'') fputs("'", out);
    else fputc(*s, out);
  }
}

static int print_latex(const spill_did_result *r, FILE *out)
{
  fputs("% ", out);
  tex_text(out, r->description);
  fputs("\n\\begin{tabular}{lrrc}\n\\toprule\n & Estimate & SE & Interval \\\\\n", out);
  for (size_t k = 0; k < r->ntab; k++) {
    const spill_did_table *t = &r->tab[k];
    fputs("\\midrule\n\\multicolumn{4}{l}{\\emph{", out);
    tex_text(out, t->name);
    fputs("}} \\\\\n", out);
    for (size_t j = 0; j < t->count; j++) {
      const spill_did_row *w = &t->row[j];
      tex_text(out, w->label);
      if (isfinite(w->est)) fprintf(out, " & %.4f", w->est);
      else fputs(" & ", out);
      if (isfinite(w->se)) fprintf(out, " & (%.4f)", w->se);
      else fputs(" & ", out);
      if (isfinite(w->lo)) fprintf(out, " & [%.4f, %.4f]", w->lo, w->hi);
      else fputs(" & ", out);
      fputs(" \\\\\n", out);
    }
  }
  fputs("\\bottomrule\n\\end{tabular}\n", out);
  return ferror(out) ? -1 : 0;
}

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static json_t *jkey(int64_t k) { return k != INT64_MIN ? json_integer((json_int_t)k) : json_null(); }

static int print_json(spill_ctx *ctx, const spill_did_result *r, FILE *out)
{
  json_t *root = json_object(), *tabs = json_array(), *notes = json_array();
  int rc = 0;
  if (!root || !tabs || !notes) {
    json_decref(root);
    json_decref(tabs);
    json_decref(notes);
    return spill__fail(ctx, SPILL_ENOMEM, "out of memory writing JSON");
  }
  json_object_set_new(root, "method", json_string(r->description));
  json_object_set_new(root, "units", json_integer(r->n));
  json_object_set_new(root, "periods", json_integer(r->t));
  json_object_set_new(root, "treated_units", json_integer(r->n_treated));
  json_object_set_new(root, "never_treated_units", json_integer(r->n_never));
  json_object_set_new(root, "level", json_real(r->level));
  if (r->method != SPILL_DID_TWFE) {
    json_object_set_new(root, "bootstrap", json_integer(r->boot));
    json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
  }
  for (size_t k = 0; k < r->ntab; k++) {
    const spill_did_table *t = &r->tab[k];
    json_t *jt = json_object(), *rows = json_array();
    json_object_set_new(jt, "name", json_string(t->name));
    json_object_set_new(jt, "uniform_crit", jnum(t->crit));
    for (size_t j = 0; j < t->count; j++) {
      const spill_did_row *w = &t->row[j];
      json_t *jr = json_object();
      json_object_set_new(jr, "label", json_string(w->label));
      json_object_set_new(jr, "g", jkey(w->g));
      json_object_set_new(jr, "t", jkey(w->t));
      json_object_set_new(jr, "e", jkey(w->e));
      json_object_set_new(jr, "estimate", jnum(w->est));
      json_object_set_new(jr, "se", jnum(w->se));
      json_object_set_new(jr, "lo", jnum(w->lo));
      json_object_set_new(jr, "hi", jnum(w->hi));
      json_object_set_new(jr, "ulo", jnum(w->ulo));
      json_object_set_new(jr, "uhi", jnum(w->uhi));
      json_object_set_new(jr, "n", json_integer(w->nobs));
      json_array_append_new(rows, jr);
    }
    json_object_set_new(jt, "rows", rows);
    json_array_append_new(tabs, jt);
  }
  for (size_t k = 0; k < r->nnotes; k++) json_array_append_new(notes, json_string(r->notes[k]));
  json_object_set_new(root, "tables", tabs);
  json_object_set_new(root, "notes", notes);
  if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0)
    rc = spill__fail(ctx, SPILL_EIO, "cannot write the JSON output");
  else
    fputc('\n', out);
  json_decref(root);
  return rc;
}

int spill_did_print(spill_ctx *ctx, const spill_did_result *r, FILE *out, spill_table_fmt fmt)
{
  int rc;
  switch (fmt) {
  case SPILL_TABLE_TEXT: rc = print_text(r, out); break;
  case SPILL_TABLE_CSV: rc = print_csv(r, out); break;
  case SPILL_TABLE_LATEX: rc = print_latex(r, out); break;
  case SPILL_TABLE_JSON: return print_json(ctx, r, out);
  default: return spill__fail(ctx, SPILL_EINVAL, "unknown table format %d", (int)fmt);
  }
  return rc ? spill__fail(ctx, SPILL_EIO, "cannot write the DID table") : 0;
}

static int writer(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  return spill_did_print(ctx, obj, out, (spill_table_fmt)fmt);
}

int spill_did_save(spill_ctx *ctx, const spill_did_result *r, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, writer, r, fmt, 0);
}

/* Fits side by side (esttab-style): saved fit JSONs (spill fit --json) as
 * the columns of one regression table in text, CSV, LaTeX (booktabs), HTML
 * or RTF. Cells are built once as strings, then rendered per format.
 *
 * JSON keys read from each fit (all optional except "coefficients"):
 *   model, fe, observations, units, r2, r2_within, loglik, aic,
 *   coefficients [{name, estimate, se, z, p}], rho/lambda/phi {estimate, se, z, p},
 *   absorb ["prov#year", ...]       absorbed fixed effects (a "... FE" row each),
 *   vce "cluster prov"              standard errors (a "SE" row when any fit has it),
 *   first_stage_f                   IV first-stage F (row "First-stage F"),
 *   table_stats {"label": number}   any further statistic rows, in the order given
 *                                   (e.g. {"Matched treated": 120, "Kleibergen-Paap F": 31.2}). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "estimation/estimation.h"
#include "estimation/report.h"

typedef struct tcoef {
  char *name;
  double b, se, t, p;
} tcoef;

typedef struct tfit {
  char *path, *model, *fe, *vce;
  tcoef *c;
  size_t k;
  char **absorb;
  size_t n_absorb;
  double nobs, units, r2, r2w, loglik, fsf;
  char **stat_name;
  double *stat_val;
  size_t n_stat;
} tfit;

/* A rendered table: nr x nc cells; kind per row. */
enum { ROW_HEAD, ROW_COEF, ROW_SE, ROW_RULE, ROW_STAT };
typedef struct grid {
  size_t nr, nc, cap;
  char **cell; /* nr * nc */
  int *kind;
} grid;

static double num_or_nan(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

static char *dup_str(const char *s) { return s ? strdup(s) : NULL; }

/* Two-sided normal p from z (the fits' own convention). */
static double p_from_z(double z) { return isfinite(z) ? erfc(fabs(z) / sqrt(2.0)) : NAN; }

static void tcoef_from(json_t *o, const char *name, tcoef *c)
{
  c->name = strdup(name);
  c->b = num_or_nan(o, "estimate");
  c->se = num_or_nan(o, "se");
  c->t = num_or_nan(o, "z");
  if (!isfinite(c->t) && c->se > 0) c->t = c->b / c->se;
  c->p = num_or_nan(o, "p");
  if (!isfinite(c->p)) c->p = p_from_z(c->t);
}

static void tfit_free(tfit *f)
{
  if (!f) return;
  free(f->path);
  free(f->model);
  free(f->fe);
  free(f->vce);
  for (size_t j = 0; j < f->k; j++) free(f->c[j].name);
  free(f->c);
  for (size_t j = 0; j < f->n_absorb; j++) free(f->absorb[j]);
  free(f->absorb);
  for (size_t j = 0; j < f->n_stat; j++) free(f->stat_name[j]);
  free(f->stat_name);
  free(f->stat_val);
}

static int tfit_read(spill_ctx *ctx, const char *path, tfit *f)
{
  json_error_t err;
  memset(f, 0, sizeof *f);
  json_t *root = json_load_file(path, 0, &err);
  if (!root) {
    FILE *t = fopen(path, "rb");
    if (!t) return spill__fail(ctx, SPILL_EIO, "%s: cannot open (write it with spill fit --json FILE)", path);
    fclose(t);
    return spill__fail(ctx, SPILL_EFORMAT, "%s: line %d: not JSON: %s", path, err.line, err.text);
  }
  json_t *cs = json_object_get(root, "coefficients");
  if (!json_is_object(root) || !json_is_array(cs)) {
    json_decref(root);
    return spill__fail(ctx, SPILL_EFORMAT, "%s: no \"coefficients\" array: not a fit written by spill fit --json", path);
  }
  f->path = strdup(path);
  f->model = dup_str(json_string_value(json_object_get(root, "model")));
  f->fe = dup_str(json_string_value(json_object_get(root, "fe")));
  f->vce = dup_str(json_string_value(json_object_get(root, "vce")));
  size_t kc = json_array_size(cs);
  f->c = calloc(kc + 3, sizeof *f->c);
  for (size_t j = 0; j < kc; j++) {
    json_t *o = json_array_get(cs, j);
    const char *nm = json_string_value(json_object_get(o, "name"));
    if (!nm) continue;
    tcoef_from(o, nm, &f->c[f->k++]);
  }
  /* spatial and variance parameters as coefficient rows */
  static const char *par[] = {"rho", "lambda", "phi"};
  for (int q = 0; q < 3; q++) {
    json_t *o = json_object_get(root, par[q]);
    if (!json_is_object(o)) continue;
    const char *nm = json_string_value(json_object_get(o, "name"));
    tcoef_from(o, nm ? nm : par[q], &f->c[f->k++]);
  }
  json_t *ab = json_object_get(root, "absorb");
  if (json_is_array(ab) && json_array_size(ab)) {
    f->absorb = calloc(json_array_size(ab), sizeof *f->absorb);
    for (size_t j = 0; j < json_array_size(ab); j++) {
      const char *s = json_string_value(json_array_get(ab, j));
      if (s) f->absorb[f->n_absorb++] = strdup(s);
    }
  }
  f->nobs = num_or_nan(root, "observations");
  f->units = num_or_nan(root, "units");
  f->r2 = num_or_nan(root, "r2");
  f->r2w = num_or_nan(root, "r2_within");
  f->loglik = num_or_nan(root, "loglik");
  f->fsf = num_or_nan(root, "first_stage_f");
  json_t *ts = json_object_get(root, "table_stats");
  if (json_is_object(ts) && json_object_size(ts)) {
    size_t m = json_object_size(ts);
    f->stat_name = calloc(m, sizeof *f->stat_name);
    f->stat_val = calloc(m, sizeof *f->stat_val);
    const char *key;
    json_t *v;
    json_object_foreach(ts, key, v)
    {
      f->stat_name[f->n_stat] = strdup(key);
      f->stat_val[f->n_stat++] = json_is_number(v) ? json_number_value(v) : NAN;
    }
  }
  json_decref(root);
  return SPILL_OK;
}

void spill_table_opts_init(spill_table_opts *o)
{
  memset(o, 0, sizeof *o);
  o->digits = 3;
  o->stars = 1;
}

/* exact name, or a prefix pattern ending in '*' */
static int match(const char *pat, const char *name)
{
  size_t l = strlen(pat);
  if (l && pat[l - 1] == '*') return !strncmp(pat, name, l - 1);
  return !strcmp(pat, name);
}

static int in_list(char *const *list, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (match(list[i], name)) return (int)i;
  return -1;
}

/* A control named in --controls, or its spatial lag W*name. */
static int is_control(const spill_table_opts *o, const char *name)
{
  if (in_list(o->controls, o->n_controls, name) >= 0) return 1;
  return !strncmp(name, "W*", 2) && in_list(o->controls, o->n_controls, name + 2) >= 0;
}

static const char *display_name(const spill_table_opts *o, const char *name)
{
  for (size_t i = 0; i < o->n_rename; i++)
    if (!strcmp(o->rename_from[i], name)) return o->rename_to[i];
  return name;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
  va_list ap;
  va_start(ap, f);
  char buf[256];
  vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return strdup(buf);
}

static int grid_row(grid *g, int kind)
{
  if (g->nr == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 32;
    char **c = realloc(g->cell, cap * g->nc * sizeof *c);
    if (!c) return -1;
    g->cell = c;
    int *k = realloc(g->kind, cap * sizeof *k);
    if (!k) return -1;
    g->kind = k;
    g->cap = cap;
  }
  for (size_t j = 0; j < g->nc; j++) g->cell[g->nr * g->nc + j] = NULL;
  g->kind[g->nr] = kind;
  return (int)g->nr++;
}

static void grid_free(grid *g)
{
  for (size_t i = 0; i < g->nr * g->nc; i++) free(g->cell[i]);
  free(g->cell);
  free(g->kind);
}

static const char *fe_unit(const char *fe)
{
  if (!fe) return "NO";
  if (!strcmp(fe, "twoways") || !strcmp(fe, "unit")) return "YES";
  if (!strcmp(fe, "random")) return "RE";
  return "NO";
}

static const char *fe_time(const char *fe)
{
  return fe && (!strcmp(fe, "twoways") || !strcmp(fe, "time")) ? "YES" : "NO";
}

static char *fmt_count(double v) { return isfinite(v) ? fmt("%.0f", v) : strdup(""); }

static char *fmt_num(double v, int d) { return isfinite(v) ? fmt("%.*f", d, v) : strdup(""); }

static int has_absorb(const tfit *f, const char *term)
{
  for (size_t q = 0; q < f->n_absorb; q++)
    if (!strcmp(f->absorb[q], term)) return 1;
  return 0;
}

static int has_controls(const spill_table_opts *o, const tfit *f)
{
  for (size_t j = 0; j < f->k; j++)
    if (is_control(o, f->c[j].name) && isfinite(f->c[j].b)) return 1;
  return 0;
}

static double stat_of(const tfit *f, const char *lab)
{
  for (size_t q = 0; q < f->n_stat; q++)
    if (!strcmp(f->stat_name[q], lab)) return f->stat_val[q];
  return NAN;
}

/* whole numbers (counts) without decimals */
static char *fmt_stat(double v, int d)
{
  return isfinite(v) && v == floor(v) && fabs(v) < 1e15 ? fmt("%.0f", v) : fmt_num(v, d);
}

/* Build the cell grid (column 0 holds the row labels). */
static int build(spill_ctx *ctx, const tfit *f, size_t nf, const spill_table_opts *o, grid *g)
{
  int d = o->digits >= 0 && o->digits <= 12 ? o->digits : 3;
  g->nc = nf + 1;
  /* the coefficient rows: --order first, then the rest in order of first appearance */
  size_t cap = 0, nn = 0;
  for (size_t c = 0; c < nf; c++) cap += f[c].k;
  const char **names = calloc(cap + 1, sizeof *names);
  if (!names) return spill__fail(ctx, SPILL_ENOMEM, "table: out of memory");
  for (size_t c = 0; c < nf; c++)
    for (size_t j = 0; j < f[c].k; j++) {
      const char *nm = f[c].c[j].name;
      size_t i = 0;
      while (i < nn && strcmp(names[i], nm)) i++;
      if (i < nn) continue;
      if (o->n_keep && in_list(o->keep, o->n_keep, nm) < 0) continue;
      if (in_list(o->drop, o->n_drop, nm) >= 0) continue;
      if (is_control(o, nm)) continue;
      names[nn++] = nm;
    }
  if (o->n_order) {
    const char **sorted = calloc(nn + 1, sizeof *sorted);
    char *used = calloc(nn + 1, 1);
    size_t m = 0;
    for (size_t q = 0; q < o->n_order; q++)
      for (size_t i = 0; i < nn; i++)
        if (!used[i] && match(o->order[q], names[i])) {
          sorted[m++] = names[i];
          used[i] = 1;
        }
    for (size_t i = 0; i < nn; i++)
      if (!used[i]) sorted[m++] = names[i];
    free(names);
    free(used);
    names = sorted;
  }
  if (!nn) {
    free(names);
    return spill__fail(ctx, SPILL_EINVAL, "table: no coefficient left to show (check --keep, --drop and --controls)");
  }
  int r = grid_row(g, ROW_HEAD);
  g->cell[r * g->nc] = strdup("");
  for (size_t c = 0; c < nf; c++) g->cell[r * g->nc + c + 1] = fmt("(%zu)", c + 1);
  if (o->n_mtitles) {
    r = grid_row(g, ROW_HEAD);
    g->cell[r * g->nc] = strdup("");
    for (size_t c = 0; c < nf; c++)
      g->cell[r * g->nc + c + 1] = strdup(c < o->n_mtitles ? o->mtitles[c] : "");
  }
  grid_row(g, ROW_RULE);
  for (size_t i = 0; i < nn; i++) {
    int rb = grid_row(g, ROW_COEF), rs = grid_row(g, ROW_SE);
    g->cell[rb * g->nc] = strdup(display_name(o, names[i]));
    g->cell[rs * g->nc] = strdup("");
    for (size_t c = 0; c < nf; c++) {
      const tcoef *t = NULL;
      for (size_t j = 0; j < f[c].k; j++)
        if (!strcmp(f[c].c[j].name, names[i])) t = &f[c].c[j];
      if (!t || !isfinite(t->b)) continue;
      g->cell[rb * g->nc + c + 1] = fmt("%.*f%s", d, t->b, o->stars ? spill__stars(t->p) : "");
      double s = o->tstat ? t->t : t->se;
      if (isfinite(s)) g->cell[rs * g->nc + c + 1] = fmt("(%.*f)", o->tstat ? 2 : d, s);
    }
  }
  free(names);
  grid_row(g, ROW_RULE);
  /* fixed effects and controls */
#define STATROW(label, expr)                                                                      \
  do {                                                                                            \
    int rr = grid_row(g, ROW_STAT);                                                               \
    g->cell[rr * g->nc] = strdup(label);                                                          \
    for (size_t c = 0; c < nf; c++) g->cell[rr * g->nc + c + 1] = (expr);                         \
  } while (0)
  STATROW("Unit FE", strdup(fe_unit(f[c].fe)));
  STATROW("Time FE", strdup(fe_time(f[c].fe)));
  /* absorbed effects: one row per distinct term */
  for (size_t a = 0; a < nf; a++)
    for (size_t j = 0; j < f[a].n_absorb; j++) {
      int seen = 0;
      for (size_t b = 0; b < a && !seen; b++)
        for (size_t q = 0; q < f[b].n_absorb; q++) seen |= !strcmp(f[b].absorb[q], f[a].absorb[j]);
      for (size_t q = 0; q < j; q++) seen |= !strcmp(f[a].absorb[q], f[a].absorb[j]);
      if (seen) continue;
      const char *term = f[a].absorb[j];
      char label[200];
      size_t tl = strlen(term);
      if (strstr(term, "#c.")) snprintf(label, sizeof label, "%.*s trends", (int)(strstr(term, "#c.") - term), term);
      else snprintf(label, sizeof label, "%.*s FE", (int)(tl < 180 ? tl : 180), term);
      STATROW(label, strdup(has_absorb(&f[c], term) ? "YES" : "NO"));
    }
  if (o->n_controls) {
    STATROW("Controls", strdup(has_controls(o, &f[c]) ? "YES" : "NO"));
  }
  int any_vce = 0;
  for (size_t c = 0; c < nf; c++) any_vce |= f[c].vce != NULL;
  if (any_vce) STATROW("SE", strdup(f[c].vce ? f[c].vce : ""));
  grid_row(g, ROW_RULE);
  STATROW("Observations", fmt_count(f[c].nobs));
  STATROW("Units", fmt_count(f[c].units));
  int any_r2 = 0, any_r2w = 0, any_ll = 0, any_f = 0;
  for (size_t c = 0; c < nf; c++) {
    any_r2 |= isfinite(f[c].r2);
    any_r2w |= isfinite(f[c].r2w);
    any_ll |= isfinite(f[c].loglik);
    any_f |= isfinite(f[c].fsf);
  }
  if (any_r2) STATROW("R-squared", fmt_num(f[c].r2, d));
  if (any_r2w) STATROW("Within R-squared", fmt_num(f[c].r2w, d));
  if (any_ll) STATROW("Log-likelihood", fmt_num(f[c].loglik, d));
  if (any_f) STATROW("First-stage F", fmt_num(f[c].fsf, d));
  /* table_stats: the union of labels in order of first appearance */
  for (size_t a = 0; a < nf; a++)
    for (size_t j = 0; j < f[a].n_stat; j++) {
      const char *lab = f[a].stat_name[j];
      int seen = 0;
      for (size_t b = 0; b < a && !seen; b++)
        for (size_t q = 0; q < f[b].n_stat; q++) seen |= !strcmp(f[b].stat_name[q], lab);
      if (seen) continue;
      STATROW(lab, fmt_stat(stat_of(&f[c], lab), d));
    }
#undef STATROW
  for (size_t i = 0; i < g->nr * g->nc; i++)
    if (!g->cell[i] && g->kind[i / g->nc] != ROW_RULE) g->cell[i] = strdup("");
  return SPILL_OK;
}

static const char *note(const spill_table_opts *o)
{
  if (!o->stars) return o->tstat ? "t statistics in parentheses" : "Standard errors in parentheses";
  return o->tstat ? "t statistics in parentheses; * p<0.1, ** p<0.05, *** p<0.01"
                  : "Standard errors in parentheses; * p<0.1, ** p<0.05, *** p<0.01";
}

static void put_csv(FILE *out, const char *s)
{
  if (strpbrk(s, ",\"\n")) {
    fputc('"', out);
    for (; *s; s++) {
      if (*s == '"') fputc('"', out);
      fputc(*s, out);
    }
    fputc('"', out);
  } else {
    fputs(s, out);
  }
}

static void put_tex(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (strchr("&%$#_{}", *s)) fprintf(out, "\\%c", *s);
    else if (*s == '*' && s[strspn(s, "*")] == '\0') { /* trailing stars: superscript */
      fprintf(out, "\\sym{%s}", s);
      break;
    } else if (*s == '~') fputs("\\textasciitilde{}", out);
    else if (*s == '^') fputs("\\textasciicircum{}", out);
    else if (*s == '\\') fputs("\\textbackslash{}", out);
    else fputc(*s, out);
  }
}

static void put_html(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", out);
    else if (*s == '>') fputs("&gt;", out);
    else if (*s == '&') fputs("&amp;", out);
    else fputc(*s, out);
  }
}

static void put_rtf(FILE *out, const char *s)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '\\' || ch == '{' || ch == '}') fprintf(out, "\\%c", ch);
    else if (ch >= 0x80) {
      /* UTF-8 to \uN? */
      unsigned cp = 0;
      int extra = ch >= 0xF0 ? 3 : ch >= 0xE0 ? 2 : ch >= 0xC0 ? 1 : 0;
      cp = ch & (0x3F >> extra);
      for (int e = 0; e < extra && s[1]; e++) cp = (cp << 6) | ((unsigned char)*++s & 0x3F);
      if (cp > 0xFFFF) cp = '?';
      fprintf(out, "\\u%d?", cp > 32767 ? (int)cp - 65536 : (int)cp);
    } else fputc(ch, out);
  }
}

static void render(FILE *out, const grid *g, const spill_table_opts *o, spill_tables_format fmt_kind)
{
  size_t nc = g->nc;
  switch (fmt_kind) {
  case SPILL_TABLES_CSV:
    if (o->title) {
      put_csv(out, o->title);
      fputc('\n', out);
    }
    for (size_t r = 0; r < g->nr; r++) {
      if (g->kind[r] == ROW_RULE) continue;
      for (size_t c = 0; c < nc; c++) {
        if (c) fputc(',', out);
        put_csv(out, g->cell[r * nc + c]);
      }
      fputc('\n', out);
    }
    put_csv(out, note(o));
    fputc('\n', out);
    return;
  case SPILL_TABLES_TEX:
    fputs("% needs \\usepackage{booktabs}\n\\providecommand{\\sym}[1]{\\ensuremath{^{#1}}}\n", out);
    fputs("\\begin{table}[htbp]\\centering\n", out);
    if (o->title) {
      fputs("\\caption{", out);
      put_tex(out, o->title);
      fputs("}\n", out);
    }
    fputs("\\begin{tabular}{l", out);
    for (size_t c = 1; c < nc; c++) fputc('c', out);
    fputs("}\n\\toprule\n", out);
    {
      int first_rule = 1;
      for (size_t r = 0; r < g->nr; r++) {
        if (g->kind[r] == ROW_RULE) {
          if (r + 1 < g->nr) fputs(first_rule ? "\\midrule\n" : "\\midrule\n", out);
          first_rule = 0;
          continue;
        }
        for (size_t c = 0; c < nc; c++) {
          if (c) fputs(" & ", out);
          put_tex(out, g->cell[r * nc + c]);
        }
        fputs(" \\\\\n", out);
      }
    }
    fprintf(out, "\\bottomrule\n\\multicolumn{%zu}{l}{\\footnotesize ", nc);
    put_tex(out, note(o));
    fputs("}\\\\\n\\end{tabular}\n\\end{table}\n", out);
    return;
  case SPILL_TABLES_HTML:
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n", out);
    fputs("<table style=\"border-collapse:collapse;font-family:serif\">\n", out);
    if (o->title) {
      fputs("<caption>", out);
      put_html(out, o->title);
      fputs("</caption>\n", out);
    }
    {
      int border = 1; /* top rule on the first row */
      for (size_t r = 0; r < g->nr; r++) {
        if (g->kind[r] == ROW_RULE) {
          border = 1;
          continue;
        }
        fputs("<tr>", out);
        for (size_t c = 0; c < nc; c++) {
          fprintf(out, "<td style=\"padding:0 8px;text-align:%s%s\">", c ? "center" : "left",
                  border ? ";border-top:1px solid black" : "");
          put_html(out, g->cell[r * nc + c]);
          fputs("</td>", out);
        }
        fputs("</tr>\n", out);
        border = 0;
      }
    }
    fprintf(out, "<tr><td colspan=\"%zu\" style=\"border-top:1px solid black;font-size:smaller\">", nc);
    put_html(out, note(o));
    fputs("</td></tr>\n</table>\n</body></html>\n", out);
    return;
  case SPILL_TABLES_RTF:
    fputs("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs20\n", out);
    if (o->title) {
      fputs("{\\pard\\qc\\b ", out);
      put_rtf(out, o->title);
      fputs("\\par}\n", out);
    }
    {
      int border = 1;
      for (size_t r = 0; r < g->nr; r++) {
        if (g->kind[r] == ROW_RULE) {
          border = 1;
          continue;
        }
        int last = 1;
        for (size_t q = r + 1; q < g->nr; q++)
          if (g->kind[q] != ROW_RULE) last = 0;
        fputs("\\trowd\\trgaph108", out);
        for (size_t c = 0; c < nc; c++)
          fprintf(out, "%s%s\\cellx%zu", border ? "\\clbrdrt\\brdrs\\brdrw10" : "",
                  last ? "\\clbrdrb\\brdrs\\brdrw10" : "", (size_t)2600 + c * 1500);
        fputc('\n', out);
        for (size_t c = 0; c < nc; c++) {
          fputs(c ? "\\pard\\intbl\\qc " : "\\pard\\intbl\\ql ", out);
          put_rtf(out, g->cell[r * nc + c]);
          fputs("\\cell\n", out);
        }
        fputs("\\row\n", out);
        border = 0;
      }
    }
    fputs("{\\pard\\fs16 ", out);
    put_rtf(out, note(o));
    fputs("\\par}\n}\n", out);
    return;
  default: {
    size_t *w = calloc(nc, sizeof *w), total = 0;
    char **pc = calloc(g->nr * nc, sizeof *pc);
    if (!w || !pc) {
      free(w);
      free(pc);
      return;
    }
    /* numbers aligned on the right with room for the stars beside them */
    for (size_t r = 0; r < g->nr; r++)
      if (g->kind[r] != ROW_RULE)
        for (size_t c = 0; c < nc; c++) {
          const char *s = g->cell[r * nc + c];
          size_t l = strlen(s), m = 0;
          while (m < l && s[l - 1 - m] == '*') m++;
          int pad = c && g->kind[r] != ROW_HEAD && o->stars && *s ? 3 - (int)m : 0;
          pc[r * nc + c] = fmt("%s%*s", s, pad > 0 ? pad : 0, "");
          l = strlen(pc[r * nc + c]);
          if (l > w[c]) w[c] = l;
        }
    for (size_t c = 0; c < nc; c++) total += w[c] + (c ? 2 : 0);
    if (o->title) fprintf(out, "%s\n", o->title);
    for (size_t i = 0; i < total; i++) fputc('=', out);
    fputc('\n', out);
    for (size_t r = 0; r < g->nr; r++) {
      if (g->kind[r] == ROW_RULE) {
        if (r + 1 == g->nr) continue;
        for (size_t i = 0; i < total; i++) fputc('-', out);
        fputc('\n', out);
        continue;
      }
      for (size_t c = 0; c < nc; c++) {
        const char *s = pc[r * nc + c];
        if (!c) fprintf(out, "%-*s", (int)w[c], s);
        else {
          size_t l = strlen(s), pad = w[c] - l;
          if (g->kind[r] == ROW_HEAD) fprintf(out, "  %*s%s%*s", (int)(pad / 2), "", s, (int)(pad - pad / 2), "");
          else fprintf(out, "  %*s", (int)w[c], s);
        }
      }
      fputc('\n', out);
    }
    for (size_t i = 0; i < total; i++) fputc('=', out);
    fprintf(out, "\n%s\n", note(o));
    for (size_t i = 0; i < g->nr * nc; i++) free(pc[i]);
    free(pc);
    free(w);
  }
  }
}

int spill_table_write(spill_ctx *ctx, FILE *out, const char *const *paths, size_t n, const spill_table_opts *o,
                      spill_tables_format format)
{
  if (!out || !paths || !n || !o) return spill__fail(ctx, SPILL_EINVAL, "table: no fit given");
  tfit *f = calloc(n, sizeof *f);
  if (!f) return spill__fail(ctx, SPILL_ENOMEM, "table: out of memory");
  int rc = SPILL_OK;
  for (size_t i = 0; i < n && rc == SPILL_OK; i++) rc = tfit_read(ctx, paths[i], &f[i]);
  grid g = {0};
  if (rc == SPILL_OK) rc = build(ctx, f, n, o, &g);
  if (rc == SPILL_OK) render(out, &g, o, format);
  grid_free(&g);
  for (size_t i = 0; i < n; i++) tfit_free(&f[i]);
  free(f);
  return rc;
}

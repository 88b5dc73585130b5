/* Several weight matrices side by side: the effects of one regressor under
 * each W, one column per W (the seeds' Table 8), as text, CSV, LaTeX, JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/effects.h"

spill_multiw *spill_multiw_new(spill_ctx *ctx) { return spill__calloc(ctx, 1, sizeof(spill_multiw)); }

void spill_multiw_free(spill_multiw *r)
{
  if (!r) return;
  for (size_t c = 0; c < r->count; c++) {
    free(r->col[c].name);
    free(r->col[c].regressor);
  }
  free(r->col);
  free(r);
}

int spill_multiw_add(spill_ctx *ctx, spill_multiw *r, const char *name, const spill_fit *fit,
                     const spill_effects *e, const char *regressor)
{
  const spill_effect *ef = NULL;
  spill_multiw_col *col, *grown;
  if (regressor) {
    ef = spill_effects_find(e, regressor);
    if (!ef)
      return spill__fail(ctx, SPILL_EINVAL, "effects table: the model under W '%s' has no effect "
                         "for '%s'", name, regressor);
  } else if (fit->treat >= 0) {
    for (size_t k = 0; k < e->count && !ef; k++)
      if (e->e[k].coef == fit->treat) ef = &e->e[k];
  }
  if (!ef && e->count) ef = &e->e[0];
  if (!ef) return spill__fail(ctx, SPILL_EINVAL, "effects table: the model under W '%s' has no effects", name);
  grown = realloc(r->col, (r->count + 1) * sizeof *r->col);
  if (!grown) return spill__fail(ctx, SPILL_ENOMEM, "effects table: out of memory");
  r->col = grown;
  col = &r->col[r->count];
  memset(col, 0, sizeof *col);
  col->name = spill__strdup(ctx, name ? name : "W");
  col->regressor = spill__strdup(ctx, ef->name);
  if (!col->name || !col->regressor) {
    free(col->name);
    free(col->regressor);
    return SPILL_ENOMEM;
  }
  col->direct = ef->direct;
  col->indirect = ef->indirect;
  col->total = ef->total;
  col->has_rho = fit->has_rho;
  col->rho = fit->rho;
  col->rho_se = fit->rho_se;
  col->r2 = fit->r2;
  col->n = fit->n;
  col->t = fit->t;
  col->nobs = fit->nobs ? fit->nobs : fit->n * fit->t;
  r->count++;
  return SPILL_OK;
}

static double rho_p(const spill_multiw_col *c)
{
  return c->has_rho && c->rho_se > 0.0 ? spill__pnorm2(c->rho / c->rho_se) : NAN;
}

/* A cell "0.1234***" or "(0.0123)" or "" into buf. */
static void cell_est(char *buf, size_t size, double v, double p)
{
  if (isfinite(v)) snprintf(buf, size, "%.4f%s", v, spill__stars(p));
  else snprintf(buf, size, "-");
}

static void cell_se(char *buf, size_t size, double se)
{
  if (isfinite(se)) snprintf(buf, size, "(%.4f)", se);
  else buf[0] = '\0';
}

static void text_row(FILE *out, int lw, int cw, const char *label, char cells[][48], size_t m)
{
  fprintf(out, "%-*s", lw, label);
  for (size_t c = 0; c < m; c++) fprintf(out, " %*s", cw, cells[c]);
  fputc('\n', out);
}

static int print_text(spill_ctx *ctx, const spill_multiw *r, FILE *out)
{
  size_t m = r->count;
  int lw = 12, cw = 12, sim = 1;
  char (*cells)[48] = spill__calloc(ctx, m ? m : 1, sizeof *cells);
  static const char *labels[3] = {"Direct", "Indirect", "Total"};
  if (!cells) return SPILL_ENOMEM;
  for (size_t c = 0; c < m; c++) {
    if ((int)strlen(r->col[c].name) > cw) cw = (int)strlen(r->col[c].name);
    if (!isfinite(r->col[c].direct.sd)) sim = 0;
  }
  fprintf(out, "Effects of %s under each weight matrix (LeSage-Pace, per period)\n",
          m ? r->col[0].regressor : "-");
  for (int i = 0; i < lw + (int)m * (cw + 1); i++) fputc('-', out);
  fputc('\n', out);
  for (size_t c = 0; c < m; c++) snprintf(cells[c], 48, "(%zu)", c + 1);
  text_row(out, lw, cw, "", cells, m);
  for (size_t c = 0; c < m; c++) snprintf(cells[c], 48, "%s", r->col[c].name);
  text_row(out, lw, cw, "", cells, m);
  for (int i = 0; i < lw + (int)m * (cw + 1); i++) fputc('-', out);
  fputc('\n', out);
  for (int q = 0; q < 3; q++) {
    for (size_t c = 0; c < m; c++) {
      const spill_effect_stat *s = q == 0 ? &r->col[c].direct : q == 1 ? &r->col[c].indirect : &r->col[c].total;
      cell_est(cells[c], 48, s->estimate, spill__stat_p(s));
    }
    text_row(out, lw, cw, labels[q], cells, m);
    for (size_t c = 0; c < m; c++) {
      const spill_effect_stat *s = q == 0 ? &r->col[c].direct : q == 1 ? &r->col[c].indirect : &r->col[c].total;
      cell_se(cells[c], 48, spill__stat_se(s));
    }
    text_row(out, lw, cw, "", cells, m);
  }
  for (size_t c = 0; c < m; c++) cell_est(cells[c], 48, r->col[c].has_rho ? r->col[c].rho : NAN, rho_p(&r->col[c]));
  text_row(out, lw, cw, "rho", cells, m);
  for (size_t c = 0; c < m; c++) cell_se(cells[c], 48, r->col[c].has_rho ? r->col[c].rho_se : NAN);
  text_row(out, lw, cw, "", cells, m);
  for (size_t c = 0; c < m; c++) snprintf(cells[c], 48, "%.4f", r->col[c].r2);
  text_row(out, lw, cw, "R-squared", cells, m);
  for (size_t c = 0; c < m; c++) snprintf(cells[c], 48, "%lld", (long long)r->col[c].nobs);
  text_row(out, lw, cw, "Observations", cells, m);
  for (size_t c = 0; c < m; c++) snprintf(cells[c], 48, "%lld", (long long)r->col[c].n);
  text_row(out, lw, cw, "Units", cells, m);
  for (int i = 0; i < lw + (int)m * (cw + 1); i++) fputc('-', out);
  fputc('\n', out);
  fprintf(out, "Standard errors in parentheses (%s); *** p<0.01, ** p<0.05, * p<0.1\n",
          sim ? "SD of the simulated effects" : "delta method");
  free(cells);
  return SPILL_OK;
}

static void csv_cell(FILE *out, double v)
{
  if (isfinite(v)) fprintf(out, ",%.10g", v);
  else fputs(",", out);
}

static void print_csv(const spill_multiw *r, FILE *out)
{
  static const char *kinds[3] = {"direct", "indirect", "total"};
  fputs("statistic", out);
  for (size_t c = 0; c < r->count; c++) {
    fputc(',', out);
    spill__csv_str(out, r->col[c].name);
  }
  fputs("\nregressor", out);
  for (size_t c = 0; c < r->count; c++) {
    fputc(',', out);
    spill__csv_str(out, r->col[c].regressor);
  }
  fputc('\n', out);
  for (int q = 0; q < 3; q++) {
    for (int part = 0; part < 3; part++) {
      fprintf(out, "%s%s", kinds[q], part == 0 ? "" : part == 1 ? "_se" : "_p");
      for (size_t c = 0; c < r->count; c++) {
        const spill_effect_stat *s = q == 0 ? &r->col[c].direct : q == 1 ? &r->col[c].indirect : &r->col[c].total;
        csv_cell(out, part == 0 ? s->estimate : part == 1 ? spill__stat_se(s) : spill__stat_p(s));
      }
      fputc('\n', out);
    }
  }
  fputs("rho", out);
  for (size_t c = 0; c < r->count; c++) csv_cell(out, r->col[c].has_rho ? r->col[c].rho : NAN);
  fputs("\nrho_se", out);
  for (size_t c = 0; c < r->count; c++) csv_cell(out, r->col[c].has_rho ? r->col[c].rho_se : NAN);
  fputs("\nrho_p", out);
  for (size_t c = 0; c < r->count; c++) csv_cell(out, rho_p(&r->col[c]));
  fputs("\nr2", out);
  for (size_t c = 0; c < r->count; c++) csv_cell(out, r->col[c].r2);
  fputs("\nn_obs", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, ",%lld", (long long)r->col[c].nobs);
  fputs("\nn_units", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, ",%lld", (long long)r->col[c].n);
  fputs("\nn_periods", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, ",%lld", (long long)r->col[c].t);
  fputc('\n', out);
}

static void latex_est(FILE *out, double v, double p)
{
  spill__latex_num(out, v, p);
}

static void print_latex(const spill_multiw *r, FILE *out)
{
  static const char *labels[3] = {"Direct", "Indirect", "Total"};
  fputs("\\begin{tabular}{l", out);
  for (size_t c = 0; c < r->count; c++) fputc('c', out);
  fputs("}\n\\toprule\n", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, " & (%zu)", c + 1);
  fputs(" \\\\\n", out);
  for (size_t c = 0; c < r->count; c++) {
    fputs(" & ", out);
    spill__latex_str(out, r->col[c].name);
  }
  fputs(" \\\\\n\\midrule\n", out);
  for (int q = 0; q < 3; q++) {
    fputs(labels[q], out);
    for (size_t c = 0; c < r->count; c++) {
      const spill_effect_stat *s = q == 0 ? &r->col[c].direct : q == 1 ? &r->col[c].indirect : &r->col[c].total;
      latex_est(out, s->estimate, spill__stat_p(s));
    }
    fputs(" \\\\\n", out);
    for (size_t c = 0; c < r->count; c++) {
      const spill_effect_stat *s = q == 0 ? &r->col[c].direct : q == 1 ? &r->col[c].indirect : &r->col[c].total;
      double se = spill__stat_se(s);
      if (isfinite(se)) fprintf(out, " & (%.4f)", se);
      else fputs(" & ", out);
    }
    fputs(" \\\\\n", out);
  }
  fputs("\\midrule\n$\\rho$", out);
  for (size_t c = 0; c < r->count; c++) latex_est(out, r->col[c].has_rho ? r->col[c].rho : NAN, rho_p(&r->col[c]));
  fputs(" \\\\\n", out);
  for (size_t c = 0; c < r->count; c++) {
    if (r->col[c].has_rho && isfinite(r->col[c].rho_se)) fprintf(out, " & (%.4f)", r->col[c].rho_se);
    else fputs(" & ", out);
  }
  fputs(" \\\\\n$R^2$", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, " & %.4f", r->col[c].r2);
  fputs(" \\\\\nObservations", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, " & %lld", (long long)r->col[c].nobs);
  fputs(" \\\\\nUnits", out);
  for (size_t c = 0; c < r->count; c++) fprintf(out, " & %lld", (long long)r->col[c].n);
  fputs(" \\\\\n\\bottomrule\n\\end{tabular}\n", out);
  fputs("% Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.1\n", out);
}

static void json_stat(FILE *out, const spill_effect_stat *s)
{
  fputs("{\"estimate\":", out);
  spill__json_number(out, s->estimate);
  fputs(",\"se\":", out);
  spill__json_number(out, spill__stat_se(s));
  fputs(",\"p\":", out);
  spill__json_number(out, spill__stat_p(s));
  fputc('}', out);
}

static void print_json(const spill_multiw *r, FILE *out)
{
  fputc('[', out);
  for (size_t c = 0; c < r->count; c++) {
    const spill_multiw_col *col = &r->col[c];
    if (c) fputc(',', out);
    fputs("{\"w\":", out);
    spill__json_string(out, col->name);
    fputs(",\"name\":", out);
    spill__json_string(out, col->regressor);
    fputs(",\"direct\":", out);
    json_stat(out, &col->direct);
    fputs(",\"indirect\":", out);
    json_stat(out, &col->indirect);
    fputs(",\"total\":", out);
    json_stat(out, &col->total);
    fputs(",\"rho\":{\"estimate\":", out);
    spill__json_number(out, col->has_rho ? col->rho : NAN);
    fputs(",\"se\":", out);
    spill__json_number(out, col->has_rho ? col->rho_se : NAN);
    fputs("},\"r2\":", out);
    spill__json_number(out, col->r2);
    fprintf(out, ",\"n_obs\":%lld,\"n\":%lld,\"t\":%lld}", (long long)col->nobs, (long long)col->n,
            (long long)col->t);
  }
  fputc(']', out);
}

int spill_multiw_print(spill_ctx *ctx, const spill_multiw *r, FILE *out, spill_table_fmt fmt)
{
  int rc = SPILL_OK;
  switch (fmt) {
  case SPILL_TABLE_TEXT: rc = print_text(ctx, r, out); break;
  case SPILL_TABLE_CSV: print_csv(r, out); break;
  case SPILL_TABLE_LATEX: print_latex(r, out); break;
  case SPILL_TABLE_JSON: print_json(r, out); break;
  default: return spill__fail(ctx, SPILL_EINVAL, "effects table: unknown format %d", (int)fmt);
  }
  if (rc) return rc;
  if (ferror(out)) return spill__fail(ctx, SPILL_EIO, "effects table: writing failed");
  return SPILL_OK;
}

static int write_multiw(spill_ctx *ctx, const void *r, FILE *out, int fmt)
{
  return spill_multiw_print(ctx, r, out, (spill_table_fmt)fmt);
}

int spill_multiw_save(spill_ctx *ctx, const spill_multiw *r, const char *path, spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_multiw, r, (int)fmt, 1);
}

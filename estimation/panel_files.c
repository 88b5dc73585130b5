/* Panels from the files economists have: the format by extension (.dta or
 * text in any separator and encoding, core/table.c), and rows with missing
 * values left out so the balanced/incomplete rules of panel.c apply. */
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

spill_panel *spill_panel_read(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                              const spill_text_opts *text)
{
  const spill_text_opts *saved = ctx->text;
  spill_panel *p;
  ctx->text = text;
  p = spill_panel_read_csv(ctx, path, spec);
  ctx->text = saved;
  return p;
}

int spill__panel_skip_missing(spill_ctx *ctx, spill__table *tb, const spill_panel_spec *spec)
{
  long cols[64];
  size_t nc = 0, kept = 0, dropped = 0, first_row = 0;
  long first_col = -1;
  const char *want[3] = {spec->y_col, spec->treat_col, NULL};
  for (size_t k = 0; k < 2; k++)
    if (want[k] && nc < 64) {
      long c = spill__table_col(tb, want[k]);
      if (c >= 0) cols[nc++] = c;
    }
  for (size_t k = 0; k < spec->nx && nc < 64; k++) {
    long c = spill__table_col(tb, spec->x_cols[k]);
    if (c >= 0) cols[nc++] = c;
  }
  if (!nc) return SPILL_OK;
  for (size_t r = 0; r < tb->nrows; r++) {
    if (!tb->lines) {
      int any = 0;
      for (size_t k = 0; k < nc; k++) any |= spill__table_is_missing(tb, r, (size_t)cols[k]);
      if (!any) continue;
      if (!(tb->lines = spill__malloc(ctx, (tb->nrows + 1) * sizeof *tb->lines))) return SPILL_ENOMEM;
      for (size_t q = 0; q < tb->nrows; q++) tb->lines[q] = q + 2;
      kept = r;
    }
    long miss = -1;
    for (size_t k = 0; k < nc && miss < 0; k++)
      if (spill__table_is_missing(tb, r, (size_t)cols[k])) miss = cols[k];
    if (miss >= 0) {
      if (!dropped++) {
        first_row = tb->lines[r];
        first_col = miss;
      }
      for (size_t c = 0; c < tb->ncols; c++) free(tb->cells[r * tb->ncols + c]);
      continue;
    }
    if (kept != r) {
      tb->lines[kept] = tb->lines[r];
      memmove(tb->cells + kept * tb->ncols, tb->cells + r * tb->ncols, tb->ncols * sizeof *tb->cells);
      if (tb->num) memmove(tb->num + kept * tb->ncols, tb->num + r * tb->ncols, tb->ncols * sizeof *tb->num);
    }
    kept++;
  }
  if (!dropped) return SPILL_OK;
  tb->nrows = kept;
  spill__notice(ctx,
                "%s: %zu row%s with a missing value left out (the first: line %zu, column '%s'); their "
                "unit-periods count as absent",
                tb->path, dropped, dropped == 1 ? "" : "s", first_row, tb->names[first_col]);
  if (!kept) return spill__fail(ctx, SPILL_EDATA, "%s: every row has a missing value", tb->path);
  return SPILL_OK;
}

int spill_panel_means_text(spill_ctx *ctx, const char *path, const spill_text_opts *text,
                           const char *id_col, const char *time_col, const char *var_col, long from,
                           long to, char ***ids, double **xbar, int64_t *n)
{
  const spill_text_opts *saved = ctx->text;
  int rc;
  ctx->text = text;
  rc = spill_panel_means(ctx, path, id_col, time_col, var_col, from, to, ids, xbar, n);
  ctx->text = saved;
  return rc;
}

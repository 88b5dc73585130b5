/* Per-city effects as a Stata .dta (the columns of the CSV, through
 * ReadStat's writer in core/dta.c). */
#include <stdlib.h>
#include <string.h>
#include "core/dta.h"
#include "core/internal.h"

static const char *const city_cols[] = {"id",       "pilot",       "own",  "own_lo",  "own_hi",
                                        "received", "received_lo", "received_hi", "sent",
                                        "sent_lo",  "sent_hi",     "total", "total_lo", "total_hi"};
static const char *const city_labels[] = {
    "unit id", "pilot (treatment) in the period", "own effect", "own: lower bound", "own: upper bound",
    "spillover received", "received: lower bound", "received: upper bound", "spillover sent",
    "sent: lower bound", "sent: upper bound", "own + sent", "total: lower bound", "total: upper bound"};

static double city_num(void *user, size_t r, size_t c)
{
  const spill_city_effects *e = user;
  const double *col[] = {NULL,           e->pilot,   e->own,     e->own_lo,   e->own_hi,
                         e->received,    e->received_lo, e->received_hi, e->sent, e->sent_lo,
                         e->sent_hi,     e->total,   e->total_lo, e->total_hi};
  if (c == 0) return strtod(e->ids[r], NULL);
  return col[c][r];
}

static const char *city_text(void *user, size_t r, size_t c)
{
  (void)c;
  return ((const spill_city_effects *)user)->ids[r];
}

int spill_city_effects_write_dta(spill_ctx *ctx, const spill_city_effects *c, const char *path)
{
  unsigned char is_text[14] = {0};
  spill__dta_spec spec;
  int numeric = 1;
  for (int64_t i = 0; i < c->n && numeric; i++) {
    char buf[32];
    numeric = spill__canonical_id(c->ids[i], buf) && !strcmp(buf, c->ids[i]);
  }
  is_text[0] = (unsigned char)!numeric;
  memset(&spec, 0, sizeof spec);
  spec.ncols = 14;
  spec.nrows = (size_t)c->n;
  spec.names = city_cols;
  spec.labels = city_labels;
  spec.is_text = is_text;
  spec.num = city_num;
  spec.text = city_text;
  spec.user = (void *)c;
  spec.file_label = "spill: per-city effects of the treatment";
  return spill__dta_write(ctx, path, &spec);
}

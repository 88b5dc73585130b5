/* A panel read inside a time window (--years FROM-TO): rows outside the
 * window never count against balance, as if the file had been cut first. */
#include <stdlib.h>
#include "estimation/estimation.h"

spill_panel *spill_panel_read_years(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                                    const spill_text_opts *text, long from, long to)
{
  const spill_text_opts *saved = ctx->text;
  spill_panel_spec s = *spec;
  spill_panel *p;
  int64_t cells = 0, units = 0;
  char list[200] = "";
  if (from > to) {
    spill__fail(ctx, SPILL_EINVAL, "--years %ld-%ld: the first year is after the last", from, to);
    return NULL;
  }
  s.drop_incomplete = 0;
  ctx->text = text;
  p = spill_panel_read_csv_unbalanced(ctx, path, &s);
  ctx->text = saved;
  if (!p) return NULL;
  if (spill_panel_keep_years(ctx, p, from, to)) goto fail;
  if (!p->obs) return p;
  for (int64_t i = 0; i < p->n; i++) {
    int64_t miss = 0;
    for (int64_t t = 0; t < p->t; t++) miss += !p->obs[t * p->n + i];
    cells += miss;
    if (miss) spill__id_list_add(list, sizeof list, &units, p->ids[i]);
  }
  if (!cells) {
    free(p->obs);
    p->obs = NULL;
    return p;
  }
  if (spec->drop_incomplete) {
    if (spill_panel_drop_incomplete(ctx, p)) goto fail;
    return p;
  }
  spill__fail(ctx, SPILL_EDATA,
              "%s: unbalanced panel within --years %ld-%ld: %lld unit-periods missing (of %lld units x %lld "
              "periods) in %lld units: %s; add the rows, or drop these units (--drop-incomplete)",
              path, from, to, (long long)cells, (long long)p->n, (long long)p->t, (long long)units, list);
fail:
  spill_panel_free(p);
  return NULL;
}

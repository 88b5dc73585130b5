/* Values from a CSV matched to a layer's units by id: what `spill map` and
 * `spill join` read. Numeric ids compare canonically ("110000.0" ==
 * "110000"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/maps.h"

typedef struct keyed {
  const char *key;
  size_t unit;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
  return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* The CSV id column: as asked, else "id", else the first column. */
static long pick_id_col(spill_ctx *ctx, const spill__table *t, const char *id_col)
{
  long c;
  if (id_col) return spill__table_require_col(ctx, t, id_col);
  c = spill__table_col(t, "id");
  return c >= 0 ? c : 0;
}

static void add_id(spill_match_report *rep, const char *id)
{
  size_t used = strlen(rep->unmatched_ids);
  if (rep->unmatched > 5 || used + strlen(id) + 8 > sizeof rep->unmatched_ids) return;
  if (rep->unmatched == 5) {
    snprintf(rep->unmatched_ids + used, sizeof rep->unmatched_ids - used, ", ...");
    return;
  }
  snprintf(rep->unmatched_ids + used, sizeof rep->unmatched_ids - used, "%s%s", used ? ", " : "", id);
}

int spill__match_rows(spill_ctx *ctx, const spill_layer *layer, const spill__table *t,
                      const char *id_col, int allow_unmatched, size_t *unit_row, long *id_col_out,
                      spill_match_report *rep)
{
  keyed *idx = NULL;
  char (*canon)[32] = NULL;
  size_t n = layer->n;
  long c;
  int rc = SPILL_OK;
  memset(rep, 0, sizeof *rep);
  rep->rows = t->nrows;
  c = pick_id_col(ctx, t, id_col);
  if (c < 0) return spill_ctx_status(ctx);
  *id_col_out = c;
  snprintf(rep->id_col, sizeof rep->id_col, "%s", t->names[c]);
  idx = spill__malloc(ctx, (n ? n : 1) * sizeof *idx);
  canon = spill__malloc(ctx, (n ? n : 1) * sizeof *canon);
  if (!idx || !canon) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    idx[i].key = spill__canonical_id(layer->ids[i], canon[i]) ? canon[i] : layer->ids[i];
    idx[i].unit = i;
    unit_row[i] = (size_t)-1;
  }
  qsort(idx, n, sizeof *idx, cmp_keyed);
  for (size_t r = 0; r < t->nrows; r++) {
    char buf[32];
    const char *raw = spill__table_cell(t, r, (size_t)c);
    keyed probe, *hit;
    probe.key = spill__canonical_id(raw, buf) ? buf : raw;
    hit = n ? bsearch(&probe, idx, n, sizeof *idx, cmp_keyed) : NULL;
    if (!hit) {
      add_id(rep, raw[0] ? raw : "(empty)");
      rep->unmatched++;
      continue;
    }
    if (unit_row[hit->unit] != (size_t)-1) {
      rc = spill__fail(ctx, SPILL_EDATA, "%s, lines %zu and %zu: id '%s' appears twice in column '%s'",
                       t->path, unit_row[hit->unit] + 2, r + 2, raw, t->names[c]);
      goto done;
    }
    unit_row[hit->unit] = r;
    rep->matched++;
  }
  rep->units_without = n - rep->matched;
  if (rep->unmatched && !allow_unmatched) {
    rc = spill__fail(ctx, SPILL_EDATA,
                     "%s: %zu of %zu ids in column '%s' are not in the map %s (%s); check --id "
                     "and --values-id, or pass --allow-unmatched to leave them out",
                     t->path, rep->unmatched, t->nrows, t->names[c],
                     layer->path ? layer->path : "", rep->unmatched_ids);
    goto done;
  }
  if (!rep->matched && n) {
    rc = spill__fail(ctx, SPILL_EDATA, "%s: no id in column '%s' matches the map's ids (e.g. '%s')",
                     t->path, t->names[c], layer->ids[0]);
    goto done;
  }
done:
  free(idx);
  free(canon);
  return rc;
}

int spill_layer_values_csv(spill_ctx *ctx, const spill_layer *layer, const char *csv_path,
                           const char *id_col, const char *field, int allow_unmatched,
                           double *values, spill_match_report *rep)
{
  spill_match_report local;
  spill__table *t = NULL;
  size_t *unit_row = NULL;
  long idc, fc;
  int rc = SPILL_OK;
  if (!rep) rep = &local;
  memset(rep, 0, sizeof *rep);
  t = spill__table_read(ctx, csv_path);
  if (!t) return spill_ctx_status(ctx);
  fc = spill__table_require_col(ctx, t, field);
  if (fc < 0) {
    rc = spill_ctx_status(ctx);
    goto done;
  }
  unit_row = spill__malloc(ctx, (layer->n ? layer->n : 1) * sizeof *unit_row);
  if (!unit_row) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  rc = spill__match_rows(ctx, layer, t, id_col, allow_unmatched, unit_row, &idc, rep);
  if (rc) goto done;
  for (size_t i = 0; i < layer->n; i++) {
    size_t r = unit_row[i];
    values[i] = NAN;
    if (r == (size_t)-1 || spill__table_is_missing(t, r, (size_t)fc)) continue;
    rc = spill__table_number(ctx, t, r, (size_t)fc, &values[i]);
    if (rc) goto done;
  }
done:
  free(unit_row);
  spill__table_free(t);
  return rc;
}

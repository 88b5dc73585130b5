/* LISA results on the map: the cluster map in GeoDa's colours and the
 * layer written with the LISA fields joined. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

typedef struct keyed {
  char key[32];
  const char *raw;
  int64_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b) { return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key); }

static void key_of(const char *id, char key[32])
{
  if (!spill__canonical_id(id, key)) snprintf(key, 32, "%s", id);
}

/* idx[u] = the LISA unit of layer unit u, or -1. */
static int match_units(spill_ctx *ctx, const spill_layer *layer, const spill_lisa *l, int64_t *idx, size_t *matched)
{
  size_t n = spill_layer_count(layer);
  const char *const *ids = spill_layer_ids(layer);
  keyed *k = spill__malloc(ctx, (size_t)(l->n ? l->n : 1) * sizeof *k);
  *matched = 0;
  if (!k) return SPILL_ENOMEM;
  for (int64_t i = 0; i < l->n; i++) {
    key_of(l->ids[i], k[i].key);
    k[i].idx = i;
  }
  qsort(k, (size_t)l->n, sizeof *k, cmp_keyed);
  for (size_t u = 0; u < n; u++) {
    keyed probe, *hit;
    key_of(ids[u], probe.key);
    hit = bsearch(&probe, k, (size_t)l->n, sizeof *k, cmp_keyed);
    idx[u] = hit ? hit->idx : -1;
    if (hit) (*matched)++;
  }
  free(k);
  return SPILL_OK;
}

int spill_lisa_map(spill_ctx *ctx, const spill_layer *layer, const spill_lisa *l, const spill_map_opts *base,
                   const char *out_path, spill_map_stats *stats)
{
  size_t n = spill_layer_count(layer), matched;
  int64_t *idx = spill__malloc(ctx, (n ? n : 1) * sizeof *idx);
  double *v = spill__malloc(ctx, (n ? n : 1) * sizeof *v), rgb[18];
  const char *labels[6];
  char lab[6][64], title[160];
  spill_map_opts o;
  int rc;
  if (!idx || !v) {
    free(idx);
    free(v);
    return SPILL_ENOMEM;
  }
  if ((rc = match_units(ctx, layer, l, idx, &matched))) goto done;
  if (!matched) {
    rc = spill__fail(ctx, SPILL_EDATA, "no unit of the map matches the LISA units (W's ids): check the id field");
    goto done;
  }
  for (size_t u = 0; u < n; u++) v[u] = idx[u] >= 0 ? (double)l->cluster[idx[u]] : NAN;
  for (int c = 0; c < 6; c++) {
    spill_lisa_cluster_rgb(c, rgb + 3 * c);
    snprintf(lab[c], sizeof lab[c], "%s", spill_lisa_cluster_name(c));
    labels[c] = lab[c];
  }
  if (base) o = *base;
  else spill_map_opts_init(&o);
  o.categories = l->counts[SPILL_LISA_ISOLATED] ? 6 : 5; /* "no neighbours" only when there are some */
  o.category_rgb = rgb;
  o.category_labels = labels;
  if (!o.legend_title) {
    snprintf(title, sizeof title, "LISA clusters (p \xE2\x89\xA4 %g%s)", l->alpha, l->fdr ? ", FDR" : "");
    o.legend_title = title;
  }
  rc = spill_map_draw(ctx, layer, v, NULL, &o, out_path, stats);
done:
  free(idx);
  free(v);
  return rc;
}

int spill_lisa_write_shp(spill_ctx *ctx, const spill_layer *layer, const spill_lisa *l, const char *out_shp,
                         spill_write_report *rep)
{
  size_t n = spill_layer_count(layer), matched;
  int64_t *idx = spill__malloc(ctx, (n ? n : 1) * sizeof *idx);
  double *buf = spill__malloc(ctx, 4 * (n ? n : 1) * sizeof *buf);
  const char **names = spill__calloc(ctx, n ? n : 1, sizeof *names);
  spill_field_column cols[5];
  int rc;
  if (!idx || !buf || !names) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  if ((rc = match_units(ctx, layer, l, idx, &matched))) goto done;
  for (size_t u = 0; u < n; u++) {
    int64_t i = idx[u];
    buf[u] = i >= 0 ? l->ii[i] : NAN;
    buf[n + u] = i >= 0 ? l->z[i] : NAN;
    buf[2 * n + u] = i >= 0 ? (l->perm > 0 ? l->p_perm[i] : l->p_norm[i]) : NAN;
    buf[3 * n + u] = i >= 0 ? l->cluster[i] : NAN;
    names[u] = i >= 0 ? spill_lisa_cluster_name(l->cluster[i]) : NULL;
  }
  cols[0] = (spill_field_column){"LISA_I", buf, NULL};
  cols[1] = (spill_field_column){"LISA_Z", buf + n, NULL};
  cols[2] = (spill_field_column){"LISA_P", buf + 2 * n, NULL};
  cols[3] = (spill_field_column){"LISA_CL", buf + 3 * n, NULL};
  cols[4] = (spill_field_column){"LISA_CLN", NULL, names};
  rc = spill_layer_write_fields(ctx, layer, 5, cols, out_shp, rep);
done:
  free(idx);
  free(buf);
  free(names);
  return rc;
}

/* Id lists from files, and W cut to a list of ids (spill weights subset). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/estimation.h"

typedef struct ids_key {
  const char *id;
  int64_t index;
} ids_key;

static int cmp_ids_key(const void *a, const void *b)
{
  return strcmp(((const ids_key *)a)->id, ((const ids_key *)b)->id);
}

/* Append a canonical copy of s to the list unless it is there (linear
 * de-duplication is avoided: the caller de-duplicates by sorting). */
static int push(spill_ctx *ctx, char ***ids, int64_t *n, int64_t *cap, const char *s)
{
  char buf[32];
  if (*n == *cap) {
    int64_t nc = *cap ? 2 * *cap : 64;
    char **g = realloc(*ids, (size_t)nc * sizeof *g);
    if (!g) return spill__fail(ctx, SPILL_ENOMEM, "out of memory");
    *ids = g;
    *cap = nc;
  }
  if (!((*ids)[*n] = spill__strdup(ctx, spill__canonical_id(s, buf) ? buf : s))) return SPILL_ENOMEM;
  (*n)++;
  return SPILL_OK;
}

/* Keep the first appearance of each id, in order. */
static int dedup(spill_ctx *ctx, char **ids, int64_t *n)
{
  ids_key *k = spill__malloc(ctx, (size_t)(*n ? *n : 1) * sizeof *k);
  unsigned char *dup = spill__calloc(ctx, (size_t)(*n ? *n : 1), 1);
  int64_t m = 0;
  if (!k || !dup) {
    free(k);
    free(dup);
    return SPILL_ENOMEM;
  }
  for (int64_t i = 0; i < *n; i++) k[i] = (ids_key){ids[i], i};
  qsort(k, (size_t)*n, sizeof *k, cmp_ids_key);
  for (int64_t a = 0; a < *n;) {
    int64_t b = a + 1, first = k[a].index;
    for (; b < *n && !strcmp(k[b].id, k[a].id); b++)
      if (k[b].index < first) first = k[b].index;
    for (int64_t q = a; q < b; q++)
      if (k[q].index != first) dup[k[q].index] = 1;
    a = b;
  }
  for (int64_t i = 0; i < *n; i++) {
    if (dup[i]) free(ids[i]);
    else ids[m++] = ids[i];
  }
  *n = m;
  free(k);
  free(dup);
  return SPILL_OK;
}

int spill_ids_read(spill_ctx *ctx, const char *path, const char *col, char ***ids_out, int64_t *n_out)
{
  char **ids = NULL;
  int64_t n = 0, cap = 0;
  int rc = SPILL_OK;
  *ids_out = NULL;
  *n_out = 0;
  if (col) {
    spill__table *tb = spill__table_read(ctx, path);
    long c;
    if (!tb) return ctx->status;
    if ((c = spill__table_require_col(ctx, tb, col)) < 0) rc = ctx->status;
    for (size_t r = 0; !rc && r < tb->nrows; r++) {
      const char *s = spill__table_cell(tb, r, (size_t)c);
      if (!*s) rc = spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column '%s': missing id", path, r + 2, col);
      else rc = push(ctx, &ids, &n, &cap, s);
    }
    spill__table_free(tb);
  } else {
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t lineno = 0;
    if (!f) return spill__fail(ctx, SPILL_EIO, "cannot open id list %s", path);
    while (!rc && fgets(line, sizeof line, f)) {
      char *s = line, *e;
      lineno++;
      if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        s += 3;
      while (isspace((unsigned char)*s)) s++;
      e = s + strlen(s);
      while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == ',')) *--e = '\0';
      if (*s == '"' && e > s + 1 && e[-1] == '"') {
        *--e = '\0';
        s++;
      }
      if (*s) rc = push(ctx, &ids, &n, &cap, s);
    }
    fclose(f);
  }
  if (!rc) rc = dedup(ctx, ids, &n);
  if (!rc && n == 0) rc = spill__fail(ctx, SPILL_EDATA, "%s lists no ids", path);
  if (rc) {
    spill_free_ids(ids, n);
    return rc;
  }
  *ids_out = ids;
  *n_out = n;
  return SPILL_OK;
}

spill_weights *spill_weights_subset_ids(spill_ctx *ctx, const spill_weights *w,
                                        const char *const *ids, int64_t nids, int drop, char style,
                                        spill_wmatch_report *rep)
{
  spill_wmatch_report r;
  ids_key *wk = spill__malloc(ctx, (size_t)(w->n ? w->n : 1) * sizeof *wk);
  char (*canon)[32] = spill__malloc(ctx, (size_t)(w->n ? w->n : 1) * sizeof *canon);
  unsigned char *listed = spill__calloc(ctx, (size_t)(w->n ? w->n : 1), 1);
  unsigned char *keep = spill__calloc(ctx, (size_t)(w->n ? w->n : 1), 1);
  spill_weights *out = NULL;
  int64_t missing = 0;
  char miss[200] = "";
  memset(&r, 0, sizeof r);
  r.w_units = w->n;
  r.style = style && style != 'G' ? style : (char)w->style;
  if (!wk || !canon || !listed || !keep) goto done;
  for (int64_t i = 0; i < w->n; i++)
    wk[i] = (ids_key){spill__canonical_id(w->ids[i], canon[i]) ? canon[i] : w->ids[i], i};
  qsort(wk, (size_t)w->n, sizeof *wk, cmp_ids_key);
  for (int64_t k = 0; k < nids; k++) {
    char c[32];
    ids_key probe = {spill__canonical_id(ids[k], c) ? c : ids[k], 0};
    ids_key *h = bsearch(&probe, wk, (size_t)w->n, sizeof *wk, cmp_ids_key);
    if (h) listed[h->index] = 1;
    else spill__id_list_add(miss, sizeof miss, &missing, ids[k]);
  }
  if (missing) {
    spill__fail(ctx, SPILL_EDATA, "%lld listed id%s not in W (%s): check the id column and W's ids",
                (long long)missing, missing == 1 ? " is" : "s are", miss);
    goto done;
  }
  for (int64_t i = 0; i < w->n; i++) {
    keep[i] = drop ? !listed[i] : listed[i];
    if (keep[i]) r.kept++;
    else spill__id_list_add(r.w_dropped_ids, sizeof r.w_dropped_ids, &r.w_dropped, w->ids[i]);
  }
  if (r.kept == 0) {
    spill__fail(ctx, SPILL_EDATA, "no unit of W is left after the cut");
    goto done;
  }
  for (int64_t i = 0; i < w->n; i++) {
    int64_t before = 0, after = 0;
    if (!keep[i]) continue;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++)
      if (w->j[q] != i && w->x[q] != 0.0) {
        before++;
        after += keep[w->j[q]];
      }
    if (before && !after) spill__id_list_add(r.new_island_ids, sizeof r.new_island_ids, &r.new_islands, w->ids[i]);
  }
  out = spill_weights_subset(ctx, w, keep, style);
done:
  if (rep) *rep = r;
  free(wk);
  free(canon);
  free(listed);
  free(keep);
  return out;
}

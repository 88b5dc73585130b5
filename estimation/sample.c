/* The sample decides, W follows: cut a panel to units, match a panel to W
 * (cutting W and re-applying its style), drop incomplete units, and check
 * that the outcome and the treatment move. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

/* Append id to a short comma-separated list (at most 6 ids, then "..."). */
void spill__id_list_add(char *buf, size_t size, int64_t *count, const char *id)
{
  size_t used = strlen(buf);
  if (*count < 6 && used + strlen(id) + 8 < size)
    snprintf(buf + used, size - used, "%s%s", *count ? ", " : "", id);
  else if (!strstr(buf, "...") && used + 6 < size)
    snprintf(buf + used, size - used, ", ...");
  (*count)++;
}

spill_panel *spill_panel_subset_units(spill_ctx *ctx, const spill_panel *p,
                                      const unsigned char *keep)
{
  int64_t m = 0, n = p->n, t = p->t;
  int64_t *newidx;
  const char **ids;
  spill_panel *q = NULL;
  for (int64_t i = 0; i < n; i++) m += keep[i] != 0;
  if (m == 0) {
    spill__fail(ctx, SPILL_EDATA, "no unit of the panel is left in the sample");
    return NULL;
  }
  newidx = spill__malloc(ctx, (size_t)n * sizeof *newidx);
  ids = spill__malloc(ctx, (size_t)m * sizeof *ids);
  if (!newidx || !ids) goto done;
  m = 0;
  for (int64_t i = 0; i < n; i++) {
    newidx[i] = keep[i] ? m : -1;
    if (keep[i]) ids[m++] = p->ids[i];
  }
  if (!(q = spill_panel_new(ctx, m, t, ids, p->times, p->nx, p->d != NULL))) goto done;
  free(q->y_name);
  q->y_name = NULL;
  if (!(q->y_name = spill__strdup(ctx, p->y_name ? p->y_name : "y"))) goto fail;
  if (p->d) {
    free(q->d_name);
    q->d_name = NULL;
    if (p->d_name && !(q->d_name = spill__strdup(ctx, p->d_name))) goto fail;
  }
  for (size_t k = 0; k < p->nx; k++) {
    free(q->x_names[k]);
    if (!(q->x_names[k] = spill__strdup(ctx, p->x_names[k]))) goto fail;
  }
  if (p->obs && !(q->obs = spill__malloc(ctx, (size_t)(m * t)))) goto fail;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      int64_t a = newidx[i];
      if (a < 0) continue;
      q->y[s * m + a] = p->y[s * n + i];
      if (p->d) q->d[s * m + a] = p->d[s * n + i];
      for (size_t k = 0; k < p->nx; k++)
        q->x[k * (size_t)(m * t) + (size_t)(s * m + a)] = p->x[k * (size_t)(n * t) + (size_t)(s * n + i)];
      if (p->obs) q->obs[s * m + a] = p->obs[s * n + i];
    }
  goto done;
fail:
  spill_panel_free(q);
  q = NULL;
done:
  free(newidx);
  free(ids);
  return q;
}

/* Replace *p's contents by q's (q freed). */
static void panel_swap_in(spill_panel *p, spill_panel *q)
{
  spill_panel old = *p;
  *p = *q;
  *q = old;
  spill_panel_free(q);
}

int spill_panel_drop_incomplete(spill_ctx *ctx, spill_panel *p)
{
  unsigned char *keep;
  int64_t dropped = 0, cells = 0;
  char list[200] = "";
  spill_panel *q;
  if (!p->obs) return SPILL_OK;
  if (!(keep = spill__malloc(ctx, (size_t)p->n))) return ctx->status;
  for (int64_t i = 0; i < p->n; i++) {
    int64_t miss = 0;
    for (int64_t s = 0; s < p->t; s++) miss += !p->obs[s * p->n + i];
    keep[i] = miss == 0;
    cells += miss;
    if (miss) spill__id_list_add(list, sizeof list, &dropped, p->ids[i]);
  }
  if (dropped == p->n) {
    free(keep);
    return spill__fail(ctx, SPILL_EDATA, "no unit is observed in all %lld periods", (long long)p->t);
  }
  q = spill_panel_subset_units(ctx, p, keep);
  free(keep);
  if (!q) return ctx->status;
  free(q->obs);
  q->obs = NULL;
  panel_swap_in(p, q);
  spill__notice(ctx, "dropped %lld incomplete unit%s (%lld unit-periods missing): %s", (long long)dropped,
                dropped == 1 ? "" : "s", (long long)cells, list);
  return SPILL_OK;
}

/* ---- matching a panel to W ---- */

typedef struct id_key {
  const char *id;
  int64_t index;
} id_key;

static int cmp_id_key(const void *a, const void *b)
{
  return strcmp(((const id_key *)a)->id, ((const id_key *)b)->id);
}

static int64_t degree_off_diag(const spill_weights *w, int64_t i, const unsigned char *keep)
{
  int64_t d = 0;
  for (int64_t q = w->p[i]; q < w->p[i + 1]; q++)
    if (w->j[q] != i && w->x[q] != 0.0 && (!keep || keep[w->j[q]])) d++;
  return d;
}

int spill_panel_match_weights(spill_ctx *ctx, spill_panel *panel, const spill_weights *w,
                              const spill_wmatch_opts *opts, spill_weights **w_out,
                              spill_wmatch_report *rep)
{
  spill_wmatch_opts o = {0, 0, 'W'};
  spill_wmatch_report r;
  id_key *wk = NULL;
  char (*canon)[32] = NULL;
  int64_t *pos = NULL;
  unsigned char *inw = NULL, *hit = NULL;
  spill_weights *cut = NULL;
  int rc = SPILL_ENOMEM;
  if (opts) o = *opts;
  if (w_out) *w_out = NULL;
  if (!panel || !w || !w_out) return spill__fail(ctx, SPILL_EINVAL, "match weights: no panel, W or output");
  memset(&r, 0, sizeof r);
  r.w_units = w->n;
  r.panel_units = panel->n;
  r.style = o.style && o.style != 'G' ? o.style : (char)w->style;

  wk = spill__malloc(ctx, (size_t)(w->n ? w->n : 1) * sizeof *wk);
  canon = spill__malloc(ctx, (size_t)(w->n ? w->n : 1) * sizeof *canon);
  pos = spill__malloc(ctx, (size_t)panel->n * sizeof *pos);
  inw = spill__calloc(ctx, (size_t)panel->n, 1);
  hit = spill__calloc(ctx, (size_t)(w->n ? w->n : 1), 1);
  if (!wk || !canon || !pos || !inw || !hit) goto done;
  for (int64_t i = 0; i < w->n; i++) {
    wk[i].id = spill__canonical_id(w->ids[i], canon[i]) ? canon[i] : w->ids[i];
    wk[i].index = i;
  }
  qsort(wk, (size_t)w->n, sizeof *wk, cmp_id_key);
  for (int64_t i = 0; i < panel->n; i++) {
    char c[32];
    id_key probe = {spill__canonical_id(panel->ids[i], c) ? c : panel->ids[i], 0};
    id_key *h = bsearch(&probe, wk, (size_t)w->n, sizeof *wk, cmp_id_key);
    pos[i] = h ? h->index : -1;
    if (!h) {
      spill__id_list_add(r.panel_dropped_ids, sizeof r.panel_dropped_ids, &r.panel_dropped, panel->ids[i]);
      continue;
    }
    if (hit[h->index]) {
      rc = spill__fail(ctx, SPILL_EDATA, "panel unit '%s' matches W id '%s' twice", panel->ids[i],
                       w->ids[h->index]);
      goto done;
    }
    hit[h->index] = 1;
    inw[i] = 1;
  }
  if (r.panel_dropped && !o.drop_unmatched) {
    rc = spill__fail(ctx, SPILL_EDATA,
                     "%lld panel unit%s not in W (%s): W has no row for %s; give a W that covers "
                     "the panel, or drop %s from the sample (--drop-unmatched)",
                     (long long)r.panel_dropped, r.panel_dropped == 1 ? " is" : "s are",
                     r.panel_dropped_ids, r.panel_dropped == 1 ? "it" : "them",
                     r.panel_dropped == 1 ? "it" : "them");
    goto done;
  }
  if (r.panel_dropped == panel->n) {
    rc = spill__fail(ctx, SPILL_EDATA, "no panel unit is in W (panel ids such as '%s', W ids such as '%s'): "
                     "were the panel ids and W built from the same id field?",
                     panel->ids[0], w->n ? w->ids[0] : "");
    goto done;
  }
  for (int64_t i = 0; i < w->n; i++)
    if (!hit[i]) spill__id_list_add(r.w_dropped_ids, sizeof r.w_dropped_ids, &r.w_dropped, w->ids[i]);
  if (r.w_dropped && o.strict) {
    rc = spill__fail(ctx, SPILL_EDATA,
                     "%lld W unit%s not in the panel (%s) and --w-strict asks W to have exactly "
                     "the panel's units; without it W is cut to the panel's units",
                     (long long)r.w_dropped, r.w_dropped == 1 ? " is" : "s are", r.w_dropped_ids);
    goto done;
  }
  /* units that had neighbours and lost all of them in the cut */
  for (int64_t i = 0; i < w->n && r.w_dropped; i++)
    if (hit[i] && degree_off_diag(w, i, NULL) > 0 && degree_off_diag(w, i, hit) == 0)
      spill__id_list_add(r.new_island_ids, sizeof r.new_island_ids, &r.new_islands, w->ids[i]);
  if (r.panel_dropped) {
    spill_panel *q = spill_panel_subset_units(ctx, panel, inw);
    if (!q) {
      rc = ctx->status;
      goto done;
    }
    panel_swap_in(panel, q);
  }
  if (r.w_dropped) {
    cut = spill_weights_subset(ctx, w, hit, o.style);
  } else if ((cut = spill_weights_copy(ctx, w)) && o.style && o.style != 'G' &&
             spill_weights_transform(ctx, cut, o.style)) {
    spill_weights_free(cut);
    cut = NULL;
  }
  if (!cut) {
    rc = ctx->status ? ctx->status : SPILL_ENOMEM;
    goto done;
  }
  if ((rc = spill_panel_align(ctx, panel, cut))) goto done;
  r.kept = panel->n;
  if (r.panel_dropped)
    spill__notice(ctx, "%lld panel unit%s not in W dropped from the sample (--drop-unmatched): %s",
                  (long long)r.panel_dropped, r.panel_dropped == 1 ? "" : "s", r.panel_dropped_ids);
  if (r.w_dropped) {
    char isl[300] = "";
    if (r.new_islands)
      snprintf(isl, sizeof isl, "; %lld kept unit%s lost all %s neighbours and %s (%s)",
               (long long)r.new_islands, r.new_islands == 1 ? "" : "s", r.new_islands == 1 ? "its" : "their",
               r.new_islands == 1 ? "is now an island" : "are now islands", r.new_island_ids);
    else
      snprintf(isl, sizeof isl, "; no kept unit lost all its neighbours");
    spill__notice(ctx,
                  "W follows the sample: %lld of %lld W units are not in the panel and were cut "
                  "from W (%s); %s on the %lld units kept%s (--w-strict refuses the cut)",
                  (long long)r.w_dropped, (long long)r.w_units, r.w_dropped_ids,
                  o.style == 'W' ? "W row-standardised again"
                  : o.style && o.style != 'G' ? "style re-applied" : "weights kept as read",
                  (long long)r.kept, isl);
  }
  *w_out = cut;
  cut = NULL;
  rc = SPILL_OK;
done:
  if (rep) *rep = r;
  spill_weights_free(cut);
  free(wk);
  free(canon);
  free(pos);
  free(inw);
  free(hit);
  return rc;
}

/* ---- the outcome and the treatment must move ---- */

int spill_panel_check_variation(spill_ctx *ctx, const spill_panel *p)
{
  int64_t nt = p->n * p->t, seen = 0, ones = 0;
  double y0 = NAN;
  int yvar = 0;
  const char *dn = p->d_name ? p->d_name : "the treatment";
  for (int64_t q = 0; q < nt; q++) {
    if (p->obs && !p->obs[q]) continue;
    if (seen++ == 0) y0 = p->y[q];
    else if (p->y[q] != y0) yvar = 1;
  }
  if (seen == 0) return spill__fail(ctx, SPILL_EDATA, "the panel has no observed unit-period");
  if (!yvar)
    return spill__fail(ctx, SPILL_EDATA,
                       "the outcome '%s' has no variation: it is %.17g in every observed unit-period",
                       p->y_name ? p->y_name : "y", y0);
  if (!p->d) return SPILL_OK;
  for (int64_t q = 0; q < nt; q++) {
    double v = p->d[q];
    if (p->obs && !p->obs[q]) continue;
    if (v != 0.0 && v != 1.0)
      return spill__fail(ctx, SPILL_EDATA,
                         "the treatment '%s' must be 0 or 1, but unit '%s' has %.17g in period %lld; "
                         "give a 0/1 indicator (or the adoption year with --adopt) and put a "
                         "continuous variable among the controls",
                         dn, p->ids[q % p->n], v, (long long)p->times[q / p->n]);
    ones += v == 1.0;
  }
  if (ones == 0 || ones == seen)
    return spill__fail(ctx, SPILL_EDATA,
                       "the treatment '%s' does not move: it is %d for every unit and period, so "
                       "its effect cannot be estimated",
                       dn, ones ? 1 : 0);
  return SPILL_OK;
}

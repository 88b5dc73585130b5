/* What the data look like: observations and units, treatment cohorts,
 * never- and always-treated units, W's islands and components. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"

int spill_sample_describe(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                          spill_sample_desc *desc)
{
  int64_t n = p->n, t = p->t;
  memset(desc, 0, sizeof *desc);
  desc->units = n;
  desc->periods = t;
  desc->first_period = p->times[0];
  desc->last_period = p->times[t - 1];
  for (int64_t q = 0; q < n * t; q++) desc->observations += !p->obs || p->obs[q];
  desc->missing_cells = n * t - desc->observations;
  desc->has_treat = p->d != NULL;
  for (int64_t i = 0; i < n && p->d; i++) {
    int64_t first = -1, on = -1, count = 0;
    int back = 0;
    for (int64_t s = 0; s < t; s++) {
      if (p->obs && !p->obs[s * n + i]) continue;
      if (first < 0) first = s;
      if (p->d[s * n + i] != 0.0) {
        if (on < 0) on = s;
      } else if (on >= 0) {
        back = 1;
      }
    }
    desc->switchers_off += back;
    if (on < 0) {
      desc->never_treated++;
    } else if (on == first && first == 0) {
      spill__id_list_add(desc->always_ids, sizeof desc->always_ids, &count, p->ids[i]);
      desc->always_treated++;
    } else {
      size_t c = 0;
      while (c < desc->n_cohorts && desc->cohort_period[c] < p->times[on]) c++;
      if (c < desc->n_cohorts && desc->cohort_period[c] == p->times[on]) {
        desc->cohort_units[c]++;
      } else if (desc->n_cohorts < SPILL_DESC_MAX_COHORTS) {
        memmove(desc->cohort_period + c + 1, desc->cohort_period + c,
                (desc->n_cohorts - c) * sizeof *desc->cohort_period);
        memmove(desc->cohort_units + c + 1, desc->cohort_units + c,
                (desc->n_cohorts - c) * sizeof *desc->cohort_units);
        desc->cohort_period[c] = p->times[on];
        desc->cohort_units[c] = 1;
        desc->n_cohorts++;
      }
    }
    (void)count;
  }
  if (w) {
    spill_weights_summary s;
    int64_t count = 0;
    if (spill_weights_summarize(ctx, w, &s)) return ctx->status;
    desc->has_w = 1;
    desc->islands = s.n_islands;
    desc->components = s.n_components;
    for (int64_t k = 0; k < s.n_islands; k++)
      spill__id_list_add(desc->island_ids, sizeof desc->island_ids, &count, w->ids[s.islands[k]]);
    spill_weights_summary_clear(&s);
  }
  return SPILL_OK;
}

int spill_sample_desc_print(spill_ctx *ctx, const spill_sample_desc *d, FILE *out)
{
  if (d->missing_cells)
    fprintf(out, "Sample: %lld observations of %lld units over %lld periods (%lld-%lld), unbalanced: "
            "%lld unit-periods missing\n",
            (long long)d->observations, (long long)d->units, (long long)d->periods,
            (long long)d->first_period, (long long)d->last_period, (long long)d->missing_cells);
  else
    fprintf(out, "Sample: %lld observations = %lld units x %lld periods (%lld-%lld), balanced\n",
            (long long)d->observations, (long long)d->units, (long long)d->periods,
            (long long)d->first_period, (long long)d->last_period);
  if (d->has_treat) {
    int64_t treated = d->units - d->never_treated - d->always_treated;
    fprintf(out, "Treatment: %lld units adopt during the panel", (long long)treated);
    if (d->n_cohorts) {
      fputs(", cohorts by first treated period:", out);
      for (size_t c = 0; c < d->n_cohorts; c++)
        fprintf(out, "%s %lld (%lld)", c ? "," : "", (long long)d->cohort_period[c],
                (long long)d->cohort_units[c]);
    }
    fprintf(out, "; %lld never treated; %lld always treated (treated in %lld, the first period)%s%s%s\n",
            (long long)d->never_treated, (long long)d->always_treated, (long long)d->first_period,
            d->always_treated ? ": " : "", d->always_ids, "");
    if (d->switchers_off)
      fprintf(out, "note: %lld units switch the treatment off again (not a staggered adoption)\n",
              (long long)d->switchers_off);
  }
  if (d->has_w)
    fprintf(out, "W: %lld connected component%s; %lld island%s (units without neighbours)%s%s\n",
            (long long)d->components, d->components == 1 ? "" : "s", (long long)d->islands,
            d->islands == 1 ? "" : "s", d->islands ? ": " : "", d->island_ids);
  if (ferror(out)) return spill__fail(ctx, SPILL_EIO, "writing the sample description failed");
  return SPILL_OK;
}

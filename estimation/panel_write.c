/* Panels out: the long-format CSV that spill_panel_read_csv reads back. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

/* A text cell, quoted by libcsv when it needs to be. */
static void put_text(FILE *f, const char *s) { csv_fwrite(f, s, strlen(s)); }

int spill_panel_write_csv(spill_ctx *ctx, const spill_panel *p, const char *id_name,
                          const char *time_name, const char *path)
{
  char *tmp = NULL;
  FILE *f = spill__atomic_open(ctx, path, &tmp);
  int64_t n = p->n, t = p->t;
  if (!f) return spill_ctx_status(ctx);
  put_text(f, id_name ? id_name : "id");
  fputc(',', f);
  put_text(f, time_name ? time_name : "time");
  fputc(',', f);
  put_text(f, p->y_name);
  if (p->d) fputc(',', f), put_text(f, p->d_name ? p->d_name : "did");
  for (size_t k = 0; k < p->nx; k++) fputc(',', f), put_text(f, p->x_names[k]);
  fputc('\n', f);
  /* unit by unit, period by period: the layout users expect */
  for (int64_t i = 0; i < n; i++)
    for (int64_t s = 0; s < t; s++) {
      if (p->obs && !p->obs[s * n + i]) continue; /* unobserved: no row */
      put_text(f, p->ids[i]);
      fprintf(f, ",%lld,%.17g", (long long)p->times[s], p->y[s * n + i]);
      if (p->d) fprintf(f, ",%.17g", p->d[s * n + i]);
      for (size_t k = 0; k < p->nx; k++) fprintf(f, ",%.17g", p->x[k * (size_t)(n * t) + s * n + i]);
      fputc('\n', f);
    }
  return spill__atomic_commit(ctx, f, tmp, path);
}

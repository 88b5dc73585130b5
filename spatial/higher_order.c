/* Higher-order contiguity: units exactly K steps apart on the neighbour
 * graph (shortest path length K), or 1..K steps (cumulative); as spdep's
 * nblag / nblag_cumul. Breadth-first search from every unit, depth <= K. */
#include <stdlib.h>
#include "core/internal.h"

spill_weights *spill_weights_higher_order(spill_ctx *ctx, const spill_weights *w, int order, int cumulative)
{
  int64_t n, *dist = NULL, *queue = NULL, *ti = NULL, *tj = NULL, nt = 0, cap = 0;
  spill_weights *out = NULL;
  if (!w) {
    spill__fail(ctx, SPILL_EINVAL, "higher-order contiguity: no weights");
    return NULL;
  }
  if (order < 1) {
    spill__fail(ctx, SPILL_EINVAL, "higher-order contiguity: order %d must be 1 or more", order);
    return NULL;
  }
  n = w->n;
  dist = spill__malloc(ctx, ((size_t)n + 1) * sizeof *dist);
  queue = spill__malloc(ctx, ((size_t)n + 1) * sizeof *queue);
  if (!dist || !queue) goto done;
  for (int64_t i = 0; i < n; i++) dist[i] = -1;
  for (int64_t s = 0; s < n; s++) {
    int64_t head = 0, tail = 0;
    dist[s] = 0;
    queue[tail++] = s;
    while (head < tail) {
      int64_t u = queue[head++];
      if (dist[u] == order) continue;
      for (int64_t q = w->p[u]; q < w->p[u + 1]; q++) {
        int64_t v = w->j[q];
        if (dist[v] >= 0) continue;
        dist[v] = dist[u] + 1;
        queue[tail++] = v;
      }
    }
    for (int64_t k = 1; k < tail; k++) { /* queue[0] is s itself */
      int64_t v = queue[k];
      if (dist[v] == order || (cumulative && dist[v] >= 1)) {
        if (nt == cap) {
          int64_t c = cap ? 2 * cap : 1024, *a = realloc(ti, (size_t)c * sizeof *a), *b;
          if (!a) goto oom;
          ti = a;
          b = realloc(tj, (size_t)c * sizeof *b);
          if (!b) goto oom;
          tj = b;
          cap = c;
        }
        ti[nt] = s;
        tj[nt++] = v;
      }
    }
    for (int64_t k = 0; k < tail; k++) dist[queue[k]] = -1;
  }
  out = spill_weights_from_triplets(ctx, n, (const char *const *)w->ids, nt, ti, tj, NULL);
  if (out) out->style = SPILL_STYLE_B;
  goto done;
oom:
  spill__fail(ctx, SPILL_ENOMEM, "higher-order contiguity: out of memory");
done:
  free(dist);
  free(queue);
  free(ti);
  free(tj);
  return out;
}

/* Private to spatial/: a hash index of unit ids (string -> 0-based index).
 * Keys are not copied: the caller keeps them alive while the map is used. */
#ifndef SPILL_IDMAP_H
#define SPILL_IDMAP_H

#include "core/internal.h"

typedef struct spill__idmap {
  size_t cap;         /* slots, a power of two */
  size_t count;       /* keys stored */
  const char **keys;  /* cap slots, NULL when empty */
  int64_t *vals;
} spill__idmap;

/* An empty map sized for about `expected` keys; NULL with an error set. */
spill__idmap *spill__idmap_new(spill_ctx *ctx, size_t expected);
void spill__idmap_free(spill__idmap *m);
/* Value of key, or -1. */
int64_t spill__idmap_find(const spill__idmap *m, const char *key);
/* Insert key -> v when absent and return v; when present return the value
 * already stored (so `put(...) != v` means a duplicate). -2 when out of
 * memory (error set in ctx). */
int64_t spill__idmap_put(spill_ctx *ctx, spill__idmap *m, const char *key, int64_t v);
/* A map of ids[0..n-1]; NULL with an error naming the first duplicate id
 * (what: "the map", a file name, ...). */
spill__idmap *spill__idmap_of(spill_ctx *ctx, const char *const *ids, int64_t n, const char *what);

#endif

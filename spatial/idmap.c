/* Hash index of unit ids: open addressing, linear probing, FNV-1a hash. */
#include <stdlib.h>
#include <string.h>
#include "spatial/idmap.h"

static uint64_t hash(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a 64-bit offset basis */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

spill__idmap *spill__idmap_new(spill_ctx *ctx, size_t expected)
{
  spill__idmap *m = spill__calloc(ctx, 1, sizeof *m);
  size_t cap = 16;
  if (!m) return NULL;
  while (cap < 2 * expected + 2) cap *= 2;
  m->cap = cap;
  m->keys = spill__calloc(ctx, cap, sizeof *m->keys);
  m->vals = spill__malloc(ctx, cap * sizeof *m->vals);
  if (!m->keys || !m->vals) {
    spill__idmap_free(m);
    return NULL;
  }
  return m;
}

void spill__idmap_free(spill__idmap *m)
{
  if (!m) return;
  free(m->keys);
  free(m->vals);
  free(m);
}

int64_t spill__idmap_find(const spill__idmap *m, const char *key)
{
  size_t mask = m->cap - 1, s = (size_t)hash(key) & mask;
  while (m->keys[s]) {
    if (!strcmp(m->keys[s], key)) return m->vals[s];
    s = (s + 1) & mask;
  }
  return -1;
}

static int grow(spill_ctx *ctx, spill__idmap *m)
{
  size_t cap = m->cap * 2, mask = cap - 1;
  const char **keys = spill__calloc(ctx, cap, sizeof *keys);
  int64_t *vals = spill__malloc(ctx, cap * sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return SPILL_ENOMEM;
  }
  for (size_t k = 0; k < m->cap; k++) {
    size_t s;
    if (!m->keys[k]) continue;
    s = (size_t)hash(m->keys[k]) & mask;
    while (keys[s]) s = (s + 1) & mask;
    keys[s] = m->keys[k];
    vals[s] = m->vals[k];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return SPILL_OK;
}

int64_t spill__idmap_put(spill_ctx *ctx, spill__idmap *m, const char *key, int64_t v)
{
  size_t mask, s;
  if (2 * (m->count + 1) > m->cap && grow(ctx, m)) return -2;
  mask = m->cap - 1;
  s = (size_t)hash(key) & mask;
  while (m->keys[s]) {
    if (!strcmp(m->keys[s], key)) return m->vals[s];
    s = (s + 1) & mask;
  }
  m->keys[s] = key;
  m->vals[s] = v;
  m->count++;
  return v;
}

spill__idmap *spill__idmap_of(spill_ctx *ctx, const char *const *ids, int64_t n, const char *what)
{
  spill__idmap *m = spill__idmap_new(ctx, (size_t)n);
  if (!m) return NULL;
  for (int64_t i = 0; i < n; i++) {
    int64_t got = spill__idmap_put(ctx, m, ids[i], i);
    if (got == -2) goto fail;
    if (got != i) {
      spill__fail(ctx, SPILL_EDATA, "%s: unit id '%s' appears twice (units %lld and %lld); ids must be unique",
                  what, ids[i], (long long)got + 1, (long long)i + 1);
      goto fail;
    }
  }
  return m;
fail:
  spill__idmap_free(m);
  return NULL;
}

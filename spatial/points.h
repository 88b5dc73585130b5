/* Private to spatial/: unit locations made searchable. Geographic points go
 * into a 3-D k-d tree as unit vectors (chord length is monotone in the
 * central angle) and every answer is decided on the exact WGS84 geodesic;
 * planar points go into a 2-D tree and distances are Euclidean times
 * the km per unit. */
#ifndef SPILL_POINTS_H
#define SPILL_POINTS_H

#include <geodesic.h>
#include "spatial/kdtree.h"

typedef struct spill__geo {
  const spill_points *pts;
  spill__kdtree *tree;
  int dim;                  /* 3 geographic, 2 planar */
  double *xyz;              /* n*dim tree coordinates (owned) */
  double scale;             /* planar: km per unit (1 when unit_km is 0) */
  struct geod_geodesic g;   /* WGS84 */
} spill__geo;

/* Validate pts (finite, |lat| <= 90, no two distinct units at one location:
 * the error lists them) and build the tree. Clear with spill__geo_clear. */
int spill__geo_init(spill_ctx *ctx, spill__geo *s, const spill_points *pts);
void spill__geo_clear(spill__geo *s);

/* Distance between units i and j in km (raw units for planar without scale). */
double spill__geo_dist(const spill__geo *s, int64_t i, int64_t j);

/* The k nearest units to i (i excluded), ordered by (distance, index);
 * out[].d2 holds the distance in km - or, when need_dist is 0, possibly -1
 * with the set decided by bounds alone and its order by chord (geographic).
 * buf/cap: scratch grown as needed.
 * Returns k, or -1 out of memory. A zero distance is reported as a duplicate
 * location (error set, returns -2). */
int64_t spill__geo_knn(spill_ctx *ctx, const spill__geo *s, int64_t i, int64_t k, int need_dist, spill__nb *out,
                       spill__nb **buf, int64_t *cap);

/* Every unit j != i with distance <= km, appended to *buf (d2 holds the
 * distance in km when need_dist, else -1 for units known to be inside).
 * Returns the count, -1 out of memory, -2 for a zero distance (error set). */
int64_t spill__geo_within(spill_ctx *ctx, const spill__geo *s, int64_t i, double km, int need_dist,
                          spill__nb **buf, int64_t *cap);

/* Bytes a dense n x n weights matrix without its diagonal takes. */
double spill__dense_bytes(int64_t n);
/* Fail with SPILL_ENOMEM (and a message naming what) when bytes would
 * exceed the memory available now. */
int spill__check_memory(spill_ctx *ctx, double bytes, const char *what);

#endif

/* Private to spatial/: a static k-d tree over 2-D or 3-D points for nearest
 * neighbour and fixed-radius queries (Friedman, Bentley and Finkel 1977).
 * Implicit and balanced: each node is a range of the permuted points split
 * at its median along the axis of largest spread. */
#ifndef SPILL_KDTREE_H
#define SPILL_KDTREE_H

#include "core/internal.h"

typedef struct spill__kdtree {
  int dim;          /* 2 or 3 */
  int64_t n;
  double *pt;       /* n*dim coordinates in tree order */
  int64_t *idx;     /* tree position -> original index */
  unsigned char *axis; /* split axis of the node whose median is at a position */
} spill__kdtree;

/* Build over n points; coords holds n*dim values (point i at coords[i*dim]).
 * Returns NULL with an error set. Free with spill__kdtree_free. */
spill__kdtree *spill__kdtree_new(spill_ctx *ctx, int dim, int64_t n, const double *coords);
void spill__kdtree_free(spill__kdtree *t);

/* A neighbour found by a query: squared distance and original index. */
typedef struct spill__nb {
  double d2;
  int64_t i;
} spill__nb;

/* The k points nearest to q, skipping original index `skip` (-1: none),
 * ordered by (d2, index) - ties go to the smaller index. out has room for k;
 * returns how many were found (min(k, n - skipped)). */
int64_t spill__kdtree_knn(const spill__kdtree *t, const double *q, int64_t k, int64_t skip,
                          spill__nb *out);

/* Every point with squared distance <= r2 from q, except `skip`, appended to
 * *buf (a malloc'ed array of capacity *cap, grown as needed) in no particular
 * order. Returns the count, or -1 when out of memory. */
int64_t spill__kdtree_radius(const spill__kdtree *t, const double *q, double r2, int64_t skip,
                             spill__nb **buf, int64_t *cap);

/* Sort neighbours by (d2, index). */
void spill__nb_sort(spill__nb *a, int64_t n);

#endif

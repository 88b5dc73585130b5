/* Static k-d tree (Friedman, Bentley and Finkel 1977, ACM TOMS 3(3)):
 * median splits along the widest axis, buckets of LEAF points. */
#include <stdlib.h>
#include <string.h>
#include "spatial/kdtree.h"

#define LEAF 8

static void swap_pt(spill__kdtree *t, int64_t a, int64_t b)
{
  int dim = t->dim;
  int64_t ti = t->idx[a];
  t->idx[a] = t->idx[b];
  t->idx[b] = ti;
  for (int d = 0; d < dim; d++) {
    double v = t->pt[a * dim + d];
    t->pt[a * dim + d] = t->pt[b * dim + d];
    t->pt[b * dim + d] = v;
  }
}

/* Quickselect (Hoare, 1961): put the k-th smallest along axis ax at k. */
static void select_kth(spill__kdtree *t, int64_t lo, int64_t hi, int64_t k, int ax)
{
  int dim = t->dim;
  hi--; /* inclusive */
  while (hi > lo) {
    int64_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
    double a = t->pt[lo * dim + ax], b = t->pt[mid * dim + ax], c = t->pt[hi * dim + ax];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    while (i <= j) {
      while (t->pt[i * dim + ax] < pivot) i++;
      while (t->pt[j * dim + ax] > pivot) j--;
      if (i <= j) {
        swap_pt(t, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

static void build(spill__kdtree *t, int64_t lo, int64_t hi)
{
  /* an explicit stack keeps deep trees off the call stack */
  int64_t stack[2 * 128], top = 0;
  stack[top++] = lo;
  stack[top++] = hi;
  while (top) {
    int64_t h = stack[--top], l = stack[--top], mid;
    double mn[3], mx[3], best = -1.0;
    int ax = 0, dim = t->dim;
    if (h - l <= LEAF) continue;
    for (int d = 0; d < dim; d++) mn[d] = mx[d] = t->pt[l * dim + d];
    for (int64_t i = l + 1; i < h; i++)
      for (int d = 0; d < dim; d++) {
        double v = t->pt[i * dim + d];
        if (v < mn[d]) mn[d] = v;
        if (v > mx[d]) mx[d] = v;
      }
    for (int d = 0; d < dim; d++)
      if (mx[d] - mn[d] > best) {
        best = mx[d] - mn[d];
        ax = d;
      }
    mid = l + (h - l) / 2;
    select_kth(t, l, h, mid, ax);
    t->axis[mid] = (unsigned char)ax;
    stack[top++] = l;
    stack[top++] = mid;
    stack[top++] = mid + 1;
    stack[top++] = h;
  }
}

spill__kdtree *spill__kdtree_new(spill_ctx *ctx, int dim, int64_t n, const double *coords)
{
  spill__kdtree *t = spill__calloc(ctx, 1, sizeof *t);
  if (!t) return NULL;
  t->dim = dim;
  t->n = n;
  t->pt = spill__malloc(ctx, (size_t)n * (size_t)dim * sizeof *t->pt);
  t->idx = spill__malloc(ctx, (size_t)n * sizeof *t->idx);
  t->axis = spill__calloc(ctx, (size_t)n, 1);
  if (!t->pt || !t->idx || !t->axis) {
    spill__kdtree_free(t);
    return NULL;
  }
  memcpy(t->pt, coords, (size_t)n * (size_t)dim * sizeof *t->pt);
  for (int64_t i = 0; i < n; i++) t->idx[i] = i;
  build(t, 0, n);
  return t;
}

void spill__kdtree_free(spill__kdtree *t)
{
  if (!t) return;
  free(t->pt);
  free(t->idx);
  free(t->axis);
  free(t);
}

static int worse(const spill__nb *a, const spill__nb *b)
{
  return a->d2 > b->d2 || (a->d2 == b->d2 && a->i > b->i);
}

/* Max-heap on (d2, index) of the best k so far. */
typedef struct heap {
  spill__nb *a;
  int64_t n, k;
} heap;

static void heap_push(heap *h, spill__nb v)
{
  int64_t c;
  if (h->n == h->k) {
    if (!worse(&h->a[0], &v)) return;
    /* replace the root and sift down */
    c = 0;
    for (;;) {
      int64_t l = 2 * c + 1, r = l + 1, m = c;
      const spill__nb *big = &v;
      if (l < h->n && worse(&h->a[l], big)) { m = l; big = &h->a[l]; }
      if (r < h->n && worse(&h->a[r], big)) m = r;
      if (m == c) break;
      h->a[c] = h->a[m];
      c = m;
    }
    h->a[c] = v;
    return;
  }
  c = h->n++;
  while (c > 0) {
    int64_t p = (c - 1) / 2;
    if (!worse(&v, &h->a[p])) break;
    h->a[c] = h->a[p];
    c = p;
  }
  h->a[c] = v;
}

static double dist2(const double *a, const double *b, int dim)
{
  double s = 0.0;
  for (int d = 0; d < dim; d++) {
    double e = a[d] - b[d];
    s += e * e;
  }
  return s;
}

static void knn_rec(const spill__kdtree *t, int64_t lo, int64_t hi, const double *q, int64_t skip, heap *h)
{
  int dim = t->dim;
  while (hi - lo > LEAF) {
    int64_t mid = lo + (hi - lo) / 2;
    int ax = t->axis[mid];
    double diff = q[ax] - t->pt[mid * dim + ax];
    int64_t nlo, nhi, flo, fhi; /* near and far halves */
    if (diff < 0) { nlo = lo; nhi = mid; flo = mid + 1; fhi = hi; }
    else { nlo = mid + 1; nhi = hi; flo = lo; fhi = mid; }
    knn_rec(t, nlo, nhi, q, skip, h);
    if (t->idx[mid] != skip) {
      spill__nb v = {dist2(q, t->pt + mid * dim, dim), t->idx[mid]};
      heap_push(h, v);
    }
    if (h->n == h->k && diff * diff > h->a[0].d2) return;
    lo = flo;
    hi = fhi;
  }
  for (int64_t p = lo; p < hi; p++) {
    if (t->idx[p] == skip) continue;
    spill__nb v = {dist2(q, t->pt + p * dim, dim), t->idx[p]};
    heap_push(h, v);
  }
}

static int cmp_nb(const void *pa, const void *pb)
{
  const spill__nb *a = pa, *b = pb;
  if (a->d2 != b->d2) return a->d2 < b->d2 ? -1 : 1;
  return (a->i > b->i) - (a->i < b->i);
}

void spill__nb_sort(spill__nb *a, int64_t n)
{
  /* insertion sort for the short lists queries give, qsort otherwise */
  if (n > 32) {
    qsort(a, (size_t)n, sizeof *a, cmp_nb);
    return;
  }
  for (int64_t q = 1; q < n; q++) {
    spill__nb v = a[q];
    int64_t r = q - 1;
    while (r >= 0 && worse(&a[r], &v)) {
      a[r + 1] = a[r];
      r--;
    }
    a[r + 1] = v;
  }
}

int64_t spill__kdtree_knn(const spill__kdtree *t, const double *q, int64_t k, int64_t skip,
                          spill__nb *out)
{
  heap h = {out, 0, k};
  if (k <= 0 || t->n == 0) return 0;
  knn_rec(t, 0, t->n, q, skip, &h);
  spill__nb_sort(out, h.n);
  return h.n;
}

typedef struct rq {
  spill__nb **buf;
  int64_t *cap, n;
  int failed;
} rq;

static void rq_add(rq *r, double d2, int64_t i)
{
  if (r->n == *r->cap) {
    int64_t cap = *r->cap ? 2 * *r->cap : 64;
    spill__nb *b = realloc(*r->buf, (size_t)cap * sizeof *b);
    if (!b) {
      r->failed = 1;
      return;
    }
    *r->buf = b;
    *r->cap = cap;
  }
  (*r->buf)[r->n].d2 = d2;
  (*r->buf)[r->n++].i = i;
}

static void radius_rec(const spill__kdtree *t, int64_t lo, int64_t hi, const double *q, double r2,
                       int64_t skip, rq *r)
{
  int dim = t->dim;
  while (hi - lo > LEAF && !r->failed) {
    int64_t mid = lo + (hi - lo) / 2;
    int ax = t->axis[mid];
    double diff = q[ax] - t->pt[mid * dim + ax];
    double d2 = dist2(q, t->pt + mid * dim, dim);
    if (d2 <= r2 && t->idx[mid] != skip) rq_add(r, d2, t->idx[mid]);
    if (diff * diff <= r2) {
      /* the ball crosses the plane: both halves */
      radius_rec(t, lo, mid, q, r2, skip, r);
      lo = mid + 1;
    } else if (diff < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  for (int64_t p = lo; p < hi && !r->failed; p++) {
    double d2;
    if (t->idx[p] == skip) continue;
    d2 = dist2(q, t->pt + p * dim, dim);
    if (d2 <= r2) rq_add(r, d2, t->idx[p]);
  }
}

int64_t spill__kdtree_radius(const spill__kdtree *t, const double *q, double r2, int64_t skip,
                             spill__nb **buf, int64_t *cap)
{
  rq r = {buf, cap, 0, 0};
  if (t->n) radius_rec(t, 0, t->n, q, r2, skip, &r);
  return r.failed ? -1 : r.n;
}

/* The sandwich product A V A' with BLAS (row-major A q x k, V k x k), used
 * by the cluster-robust variance and the Wald tests. */
#include "estimation/estimation.h"

extern void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
                   const double *alpha, const double *a, const int *lda, const double *b,
                   const int *ldb, const double *beta, double *c, const int *ldc);

void spill__sandwich(const double *a, size_t q, size_t k, const double *v, double *work,
                     double *out)
{
  /* Row-major M is column-major M'. work = V' A' (k x q, column-major), then
   * out' = A work = A V' A' (q x q): out = A V A' row-major for symmetric or
   * general V alike, since (A V' A')' = A V A'. */
  const int iq = (int)q, ik = (int)k;
  const double one = 1.0, zero = 0.0;
  dgemm_("N", "N", &ik, &iq, &ik, &one, v, &ik, a, &ik, &zero, work, &ik);
  dgemm_("T", "N", &iq, &iq, &ik, &one, a, &ik, work, &ik, &zero, out, &iq);
}

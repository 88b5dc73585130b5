/* Private to estimation/: weight sums shared by the Moran, LISA and LM
 * tests. */
#ifndef SPILL_MORAN_H
#define SPILL_MORAN_H

#include "core/internal.h"

/* Entry (i, j) of w into *v (0 when absent); returns 1 if stored. */
int spill__w_find(const spill_weights *w, int64_t i, int64_t j, double *v);
/* Cliff-Ord S0, S1, S2 of w. */
int spill__w_sums(spill_ctx *ctx, const spill_weights *w, double *s0, double *s1, double *s2);
/* tr(W'W + WW) = sum_ij w_ij^2 + sum_ij w_ij w_ji. */
double spill__w_trace_tw(const spill_weights *w);

#endif

/* The within (fixed-effects) transformation and the panel spatial lag. */
#include <stdlib.h>
#include "estimation/estimation.h"

/* Balanced panel, time-major: v[s*n + i]. Baltagi (2021, sec. 3.2; two-way:
 * eq. 3.6): v_it - vbar_i. - vbar_.t + vbar.. */
void spill__within(const double *v, int64_t n, int64_t t, spill_fe fe, double *work, double *out)
{
  double *ubar = work, *tbar = work + n, all = 0.0;
  int unit = fe == SPILL_FE_UNIT || fe == SPILL_FE_TWOWAYS;
  int time = fe == SPILL_FE_TIME || fe == SPILL_FE_TWOWAYS;
  if (fe == SPILL_FE_NONE) {
    if (out != v)
      for (int64_t q = 0; q < n * t; q++) out[q] = v[q];
    return;
  }
  for (int64_t q = 0; q < n + t; q++) work[q] = 0.0;
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      double x = v[s * n + i];
      ubar[i] += x;
      tbar[s] += x;
      all += x;
    }
  for (int64_t i = 0; i < n; i++) ubar[i] /= (double)t;
  for (int64_t s = 0; s < t; s++) tbar[s] /= (double)n;
  all /= (double)(n * t);
  for (int64_t s = 0; s < t; s++)
    for (int64_t i = 0; i < n; i++) {
      double x = v[s * n + i];
      if (unit) x -= ubar[i];
      if (time) x -= tbar[s];
      if (unit && time) x += all;
      out[s * n + i] = x;
    }
}

void spill__wlag(const spill_weights *w, const double *v, int64_t t, double *out)
{
  int64_t n = w->n;
  for (int64_t s = 0; s < t; s++) {
    const double *vs = v + s * n;
    double *os = out + s * n;
    for (int64_t i = 0; i < n; i++) {
      double acc = 0.0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) acc += w->x[q] * vs[w->j[q]];
      os[i] = acc;
    }
  }
}

const char *spill__fe_name(spill_fe fe)
{
  switch (fe) {
  case SPILL_FE_TWOWAYS: return "twoways";
  case SPILL_FE_UNIT: return "unit";
  case SPILL_FE_TIME: return "time";
  case SPILL_FE_RANDOM: return "random";
  default: return "none";
  }
}

const char *spill__model_name(spill_model m)
{
  switch (m) {
  case SPILL_MODEL_SDM: return "sdm";
  case SPILL_MODEL_SAR: return "sar";
  case SPILL_MODEL_SLX: return "slx";
  case SPILL_MODEL_OLS: return "ols";
  case SPILL_MODEL_SAC: return "sac";
  case SPILL_MODEL_SDEM: return "sdem";
  case SPILL_MODEL_GNS: return "gns";
  default: return "sem";
  }
}

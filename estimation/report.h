/* Private: pieces of the regression-table writers shared with the effects
 * output (a JSON fit object with extra members appended). */
#ifndef SPILL_REPORT_H
#define SPILL_REPORT_H

#include <stdio.h>
#include "spill.h"

/* Write the members of the fit's JSON object, without the enclosing braces
 * and without a trailing comma: "model":...,"coefficients":[...],... A caller
 * adds ",\n  \"effects\": [...]" and the closing brace. */
void spill__json_fit_members(FILE *out, const spill_fit *f);
/* A JSON number (%.17g) or null when not finite. */
void spill__json_number(FILE *out, double v);
/* A JSON string with escapes. */
void spill__json_string(FILE *out, const char *s);
/* Significance stars: *** p<0.01, ** p<0.05, * p<0.1. */
const char *spill__stars(double p);

#endif

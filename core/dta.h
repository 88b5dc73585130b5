/* Private: Stata .dta output through ReadStat (core/dta.c); reading is
 * spill__dta_read_table in core/table.h. */
#ifndef SPILL_DTA_H
#define SPILL_DTA_H

#include <stddef.h>
#include "spill.h"

/* A table to write: ncols variables of nrows observations, values pulled
 * through callbacks so large matrices need no column copies. */
typedef struct spill__dta_spec {
  size_t ncols, nrows;
  const char *const *names;     /* ncols Stata variable names */
  const char *const *labels;    /* ncols variable labels (cut to 80 bytes), or NULL */
  const unsigned char *is_text; /* ncols: 1 for a string variable; NULL: all numeric */
  double (*num)(void *user, size_t row, size_t col);        /* non-finite: missing */
  const char *(*text)(void *user, size_t row, size_t col);  /* UTF-8 */
  void *user;
  const char *file_label;       /* or NULL */
} spill__dta_spec;

/* Write a Stata 14+ (format 118, UTF-8) .dta atomically; numeric variables
 * are doubles. Errors name the path. */
int spill__dta_write(spill_ctx *ctx, const char *path, const spill__dta_spec *spec);
/* 1 when name is a valid Stata variable name (letters, digits, '_', not
 * starting with a digit, at most 32 bytes). */
int spill__dta_name_ok(const char *name);

#endif

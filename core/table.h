/* Private: CSV tables (libcsv). Used for panels, value files, CSV weights. */
#ifndef SPILL_TABLE_H
#define SPILL_TABLE_H

#include <stddef.h>
#include "spill.h"

typedef struct spill__table {
  char *path;     /* as given, for messages */
  size_t ncols;   /* columns in the header */
  char **names;   /* ncols header names (BOM stripped) */
  size_t nrows;   /* data records (header excluded, blank lines skipped) */
  char **cells;   /* nrows * ncols, row-major, each a NUL-terminated string */
} spill__table;

/* Read a CSV file with a header row. Every record must have as many fields
 * as the header (error names the line). Free with spill__table_free. */
spill__table *spill__table_read(spill_ctx *ctx, const char *path);
void spill__table_free(spill__table *t);

static inline const char *spill__table_cell(const spill__table *t, size_t row, size_t col)
{
  return t->cells[row * t->ncols + col];
}

/* Column index by name (exact, then case-insensitive), or -1. */
long spill__table_col(const spill__table *t, const char *name);
/* As spill__table_col, but records an error listing the columns when absent. */
long spill__table_require_col(spill_ctx *ctx, const spill__table *t, const char *name);
/* Parse a numeric cell; missing (empty, NA, ., NaN) or non-numeric cells are
 * errors naming the file, line (1-based, header is line 1) and column. */
int spill__table_number(spill_ctx *ctx, const spill__table *t, size_t row, size_t col, double *out);
/* 1 when the cell is empty, NA, "." or NaN. */
int spill__table_is_missing(const spill__table *t, size_t row, size_t col);

#endif

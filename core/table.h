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
  double *num;    /* NULL, or nrows * ncols numbers behind cells that show a value
                     label (.dta); NaN elsewhere. spill__table_number prefers it. */
  size_t *lines;  /* NULL, or the line of each row once rows were left out */
  char sep;       /* the separator used (0 for .dta) */
  char decimal;   /* the decimal mark used ('.' or ',') */
} spill__table;

/* Read a CSV file with a header row. Every record must have as many fields
 * as the header (error names the line). Text options from ctx->text (NULL:
 * detect). Free with spill__table_free. */
spill__table *spill__table_read(spill_ctx *ctx, const char *path);
/* As spill__table_read with text options (NULL: detect separator, decimal
 * mark and encoding; see spill_text_opts). A .dta path is read with
 * ReadStat (core/dta.c). Text is decoded to UTF-8 first (spill__to_utf8). */
spill__table *spill__table_read_text(spill_ctx *ctx, const char *path, const spill_text_opts *opts);
/* The .dta reader behind spill__table_read_text: encoding NULL: as the file
 * says (UTF-8 from Stata 14 on; older files: UTF-8 if valid, else GB18030). */
spill__table *spill__dta_read_table(spill_ctx *ctx, const char *path, const char *encoding);
void spill__table_free(spill__table *t);

static inline const char *spill__table_cell(const spill__table *t, size_t row, size_t col)
{
  return t->cells[row * t->ncols + col];
}

/* The file line of a row for messages (header = line 1). */
static inline size_t spill__table_line(const spill__table *t, size_t row)
{
  return t->lines ? t->lines[row] : row + 2;
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

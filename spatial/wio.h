/* Private to spatial/: helpers shared by the weight-file readers and writers
 * (weights_io.c dispatches to gal.c, mtx.c, wcsv.c). */
#ifndef SPILL_WIO_H
#define SPILL_WIO_H

#include <stdio.h>
#include "core/internal.h"

/* A whole text file in memory, cut into NUL-terminated lines in place. */
typedef struct spill__text {
  char *buf;
  size_t nlines;
  char **lines;   /* nlines pointers into buf; CR before LF removed */
} spill__text;

int spill__text_read(spill_ctx *ctx, const char *path, spill__text *t);
void spill__text_free(spill__text *t);
/* 1 when a line holds only blanks. */
int spill__blank(const char *line);

/* Split line into whitespace-separated tokens, in place. A token opening
 * with '"' runs to the closing '"' ('""' stands for one '"'), so ids with
 * blanks survive. Returns the number of tokens (at most max stored; more are
 * counted), or -1 for an unterminated quote. */
long spill__tokens(char *line, char **tok, long max);

/* Write an id as a whitespace-format token, quoted when it is empty or holds
 * blanks or quotes. Ids holding a line break cannot be written: returns -1. */
int spill__put_token(FILE *f, const char *id);
/* Write an id as a CSV field, quoted when needed (RFC 4180). */
void spill__put_csv(FILE *f, const char *s);
/* 1 when some id holds a CR or LF (not representable in line formats); sets
 * an error naming the id and the format. */
int spill__ids_have_newline(spill_ctx *ctx, const spill_weights *w, const char *path, const char *fmt);

/* Strict number parsing: whole token, finite. 0 ok, -1 otherwise. */
int spill__parse_double(const char *s, double *out);
int spill__parse_int64(const char *s, int64_t *out);

/* Build weights from triplets, failing when a pair (i, j) occurs twice; the
 * message names path and line[k] of the repeated triplet. */
spill_weights *spill__weights_from_unique(spill_ctx *ctx, const char *path, int64_t n,
                                          const char *const *ids, int64_t nt, const int64_t *ti,
                                          const int64_t *tj, const double *tx, const size_t *line);

/* Per-format entry points (path for messages). */
spill_weights *spill__gal_read(spill_ctx *ctx, const char *path);
int spill__gal_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
spill_weights *spill__gwt_read(spill_ctx *ctx, const char *path);
int spill__gwt_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
spill_weights *spill__mtx_read(spill_ctx *ctx, const char *path);
int spill__mtx_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
/* fmt: SPILL_WFMT_CSV (triplets), SPILL_WFMT_DENSE, or SPILL_WFMT_AUTO (by header). */
spill_weights *spill__csv_read(spill_ctx *ctx, const char *path, spill_wformat fmt);
int spill__csv_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
int spill__dense_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
/* Stata spmatrix export text (stata.c) and the dense .dta (wmatrix.c; the
 * writer opens path itself, atomically). */
spill_weights *spill__stata_read(spill_ctx *ctx, const char *path);
int spill__stata_write(spill_ctx *ctx, const spill_weights *w, FILE *f, const char *path);
spill_weights *spill__dta_wread(spill_ctx *ctx, const char *path);
int spill__dta_wwrite(spill_ctx *ctx, const spill_weights *w, const char *path);

#endif

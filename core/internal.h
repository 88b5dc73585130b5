/* Private to libspill: shared by core/, shapes/, spatial/, estimation/.
 * Never installed; dependency types may appear here. */
#ifndef SPILL_INTERNAL_H
#define SPILL_INTERNAL_H

#include <signal.h>
#include <stdio.h>
#include <geos_c.h>
#include <proj.h>
#include "spill.h"

struct cholmod_common_struct;

enum { SPILL__TMP_SLOTS = 32, SPILL__TMP_LEN = 1024 };

struct spill_ctx {
  GEOSContextHandle_t geos;
  PJ_CONTEXT *proj;
  struct cholmod_common_struct *cholmod; /* created on first use: spill__cholmod() */
  int status;
  char err[1024];
  spill_progress_fn progress;
  void *progress_user;
  spill_notice_fn notice;
  void *notice_user;
  int threads;
  /* Temporary output names, newest last in a ring, so that an interrupted
   * run can remove them from a signal handler (spill_ctx_remove_temporaries):
   * a slot is readable only while its flag is 1. */
  char tmp_names[SPILL__TMP_SLOTS][SPILL__TMP_LEN];
  volatile sig_atomic_t tmp_live[SPILL__TMP_SLOTS];
  unsigned tmp_next;
  /* Text options for the table being read by the current call (set and reset
   * by spill_panel_read, spill_panel_means_text; NULL: detect). */
  const struct spill_text_opts *text;
  /* Interaction terms (a*b, a:b) in a panel spec's x_cols are expanded when
   * the option name to quote is set (spill_ctx_set_x_terms); NULL: refused. */
  const char *x_terms;
};

/* Record a failure: formats the message into ctx->err, returns status so a
 * caller can `return spill__fail(ctx, SPILL_EIO, "...")`. */
int spill__fail(spill_ctx *ctx, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the current message with context ("reading X: " + old message). */
void spill__fail_prefix(spill_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report progress / a notice through the callbacks, if set. */
void spill__progress(spill_ctx *ctx, const char *what, double fraction);
void spill__notice(spill_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The context's CHOLMOD common (cholmod_l_start'ed on first call), or NULL
 * with an error set. */
struct cholmod_common_struct *spill__cholmod(spill_ctx *ctx);
/* Finish and free the context's CHOLMOD common (a worker's own, see
 * spatial/parallel.c); the next spill__cholmod starts a new one. */
void spill__cholmod_release(spill_ctx *ctx);

/* Memory for requests sized by the user (core/memlimit.c): the physical
 * memory, or the environment's SPILL_MEM_LIMIT when lower (bytes, K/M/G).
 * spill__mem_request fails with SPILL_ENOMEM, naming what needs how much and
 * the option to change (fix), when bytes exceed 80% of it. */
double spill__mem_limit(void);
int spill__mem_request(spill_ctx *ctx, double bytes, const char *what, const char *fix);

/* Allocation that records SPILL_ENOMEM in ctx on failure. */
void *spill__malloc(spill_ctx *ctx, size_t size);
void *spill__calloc(spill_ctx *ctx, size_t n, size_t size);
char *spill__strdup(spill_ctx *ctx, const char *s);
/* An array of n elements of size bytes (malloc'ed, free with free(),
 * uninitialised) hinted to transparent huge pages when large (core/bigmem.c):
 * first touches of big arrays cost far less. ctx may be NULL (no message). */
void *spill__malloc_big(spill_ctx *ctx, size_t n, size_t size);
/* The same hint for memory already allocated and not yet touched. */
void spill__hugepage_hint(void *p, size_t bytes);

/* Atomic output: open a temporary file beside `path` for writing. On success
 * *tmp_path receives a malloc'ed name; finish with spill__atomic_commit (fclose
 * + rename, error-checked) or spill__atomic_abort (fclose + unlink). */
FILE *spill__atomic_open(spill_ctx *ctx, const char *path, char **tmp_path);
int spill__atomic_commit(spill_ctx *ctx, FILE *f, char *tmp_path, const char *path);
void spill__atomic_abort(FILE *f, char *tmp_path);
/* Write an object with a table writer to path atomically: write(ctx, obj,
 * FILE*, fmt) prints it (returning a status); a newline is added after JSON
 * when json_newline. Used by every *_save / *_write_file. */
typedef int (*spill__table_writer)(spill_ctx *ctx, const void *obj, FILE *out, int fmt);
int spill__save_table(spill_ctx *ctx, const char *path, spill__table_writer write, const void *obj,
                      int fmt, int json_newline);
/* A temporary name beside path (malloc'ed), for outputs written by a library
 * (shapelib, cairo) that opens files itself; rename with spill__rename. */
char *spill__temp_name(spill_ctx *ctx, const char *path);
int spill__rename(spill_ctx *ctx, const char *from, const char *to);

/* Canonical text of a numeric id: integers without decimals ("110000"),
 * others with %.17g. buf must hold 32 bytes. */
void spill__format_id(double v, char buf[32]);
/* If s is a number, write its canonical form into buf and return 1; else 0. */
int spill__canonical_id(const char *s, char buf[32]);

/* Case-insensitive ASCII compare. */
int spill__strcasecmp(const char *a, const char *b);
/* The extension of path after the last '.', lower-cased into buf (16 bytes). */
void spill__extension(const char *path, char buf[16]);

/* ---- text encodings (core/encoding.c) ---- */
/* in (len bytes) as UTF-8 in *out (malloc'ed, NUL-terminated; *out_len, may
 * be NULL, its length). encoding NULL: valid UTF-8 is copied, text with a
 * UTF-16 byte-order mark is decoded, other text is decoded as GB18030 when
 * that succeeds (a notice names `what`); encoding "UTF-8": must be valid;
 * any other name: decoded with iconv. Failures name `what` (NULL: "text"),
 * the line and column of the first bad byte, and suggest --encoding. */
int spill__to_utf8(spill_ctx *ctx, const char *in, size_t len, const char *encoding, char **out,
                   size_t *out_len, const char *what);
/* 1 when s[0..len) is valid UTF-8; else 0 and *bad (may be NULL) receives
 * the offset of the first bad byte. */
int spill__utf8_valid(const char *s, size_t len, size_t *bad);
/* 1-based line and column (characters, counting UTF-8 sequences as one) of
 * byte offset `at` in s. */
void spill__text_position(const char *s, size_t at, size_t *line, size_t *col);

#endif

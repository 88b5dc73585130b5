/* Atomic output: write beside the target, then rename, so a failure never
 * leaves a half-written file over a good one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"

/* Remember a temporary name in the context's ring (a name too long for a
 * slot is not remembered: it is then only removed by the normal paths). */
static void track_temporary(spill_ctx *ctx, const char *tmp)
{
  size_t len = strlen(tmp);
  if (len >= SPILL__TMP_LEN) return;
  unsigned k = ctx->tmp_next++ % SPILL__TMP_SLOTS;
  ctx->tmp_live[k] = 0;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  memcpy(ctx->tmp_names[k], tmp, len + 1);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ctx->tmp_live[k] = 1;
}

char *spill__temp_name(spill_ctx *ctx, const char *path)
{
  size_t len = strlen(path) + 32;
  char *tmp = spill__malloc(ctx, len);
  if (tmp) {
    snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
    track_temporary(ctx, tmp);
  }
  return tmp;
}

/* Async-signal-safe: only unlink(2) on names fully written. A name already
 * renamed or removed is gone, so unlinking it again does nothing; the names
 * end in ".tmp<pid>", so no other file can carry one. */
void spill_ctx_remove_temporaries(spill_ctx *ctx)
{
  if (!ctx) return;
  for (unsigned k = 0; k < SPILL__TMP_SLOTS; k++)
    if (ctx->tmp_live[k]) unlink(ctx->tmp_names[k]);
}

FILE *spill__atomic_open(spill_ctx *ctx, const char *path, char **tmp_path)
{
  char *tmp = spill__temp_name(ctx, path);
  FILE *f;
  *tmp_path = NULL;
  if (!tmp) return NULL;
  f = fopen(tmp, "wb");
  if (!f) {
    spill__fail(ctx, SPILL_EIO, "cannot write %s: %s (is the folder there and writable?)", path,
                strerror(errno));
    free(tmp);
    return NULL;
  }
  *tmp_path = tmp;
  return f;
}

int spill__rename(spill_ctx *ctx, const char *from, const char *to)
{
  if (rename(from, to) != 0) {
    int e = errno;
    unlink(from);
    return spill__fail(ctx, SPILL_EIO, "cannot write %s: %s", to, strerror(e));
  }
  return SPILL_OK;
}

int spill__atomic_commit(spill_ctx *ctx, FILE *f, char *tmp_path, const char *path)
{
  int bad = ferror(f);
  int rc;
  if (fclose(f) != 0) bad = 1;
  if (bad) {
    unlink(tmp_path);
    free(tmp_path);
    return spill__fail(ctx, SPILL_EIO, "cannot write %s: write failed (disk full?)", path);
  }
  rc = spill__rename(ctx, tmp_path, path);
  free(tmp_path);
  return rc;
}

void spill__atomic_abort(FILE *f, char *tmp_path)
{
  if (f) fclose(f);
  if (tmp_path) {
    unlink(tmp_path);
    free(tmp_path);
  }
}

int spill__save_table(spill_ctx *ctx, const char *path, spill__table_writer write, const void *obj,
                      int fmt, int json_newline)
{
  char *tmp = NULL;
  FILE *f = spill__atomic_open(ctx, path, &tmp);
  int rc;
  if (!f) return spill_ctx_status(ctx);
  rc = write(ctx, obj, f, fmt);
  if (rc) {
    spill__atomic_abort(f, tmp);
    return rc;
  }
  if (json_newline && fmt == SPILL_TABLE_JSON) fputc('\n', f);
  return spill__atomic_commit(ctx, f, tmp, path);
}

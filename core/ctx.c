/* The context: dependency state and the error buffer, passed first everywhere. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cholmod.h>
#include "core/internal.h"

/* GEOS reports through handlers; keep its last message in our buffer so a
 * failing call can quote it. */
static void geos_message(const char *msg, void *user)
{
  spill_ctx *ctx = user;
  snprintf(ctx->err, sizeof ctx->err, "GEOS: %s", msg);
}

spill_ctx *spill_ctx_new(void)
{
  spill_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->geos = GEOS_init_r();
  ctx->proj = proj_context_create();
  if (!ctx->geos || !ctx->proj) {
    spill_ctx_free(ctx);
    return NULL;
  }
  GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
  GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
  proj_log_level(ctx->proj, PJ_LOG_NONE);
  return ctx;
}

void spill_ctx_free(spill_ctx *ctx)
{
  if (!ctx) return;
  if (ctx->cholmod) {
    cholmod_l_finish(ctx->cholmod);
    free(ctx->cholmod);
  }
  if (ctx->proj) proj_context_destroy(ctx->proj);
  if (ctx->geos) GEOS_finish_r(ctx->geos);
  free(ctx);
}

const char *spill_ctx_error(const spill_ctx *ctx) { return ctx ? ctx->err : "no context"; }
int spill_ctx_status(const spill_ctx *ctx) { return ctx ? ctx->status : SPILL_EINVAL; }

void spill_ctx_set_text_opts(spill_ctx *ctx, const spill_text_opts *text)
{
  if (ctx) ctx->text = text;
}

void spill_ctx_clear_error(spill_ctx *ctx)
{
  ctx->status = SPILL_OK;
  ctx->err[0] = '\0';
}

void spill_ctx_set_progress(spill_ctx *ctx, spill_progress_fn fn, void *user)
{
  ctx->progress = fn;
  ctx->progress_user = user;
}

void spill_ctx_set_notice(spill_ctx *ctx, spill_notice_fn fn, void *user)
{
  ctx->notice = fn;
  ctx->notice_user = user;
}

void spill_ctx_set_threads(spill_ctx *ctx, int threads) { ctx->threads = threads > 0 ? threads : 0; }

int spill__fail(spill_ctx *ctx, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
  va_end(ap);
  ctx->status = status;
  return status;
}

void spill__fail_prefix(spill_ctx *ctx, const char *fmt, ...)
{
  char prefix[512], old[sizeof ctx->err];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t plen = strlen(prefix);
  memcpy(old, ctx->err, sizeof old);
  if (plen >= sizeof ctx->err) plen = sizeof ctx->err - 1;
  memcpy(ctx->err, prefix, plen);
  /* the old message follows the prefix, cut to fit */
  strncpy(ctx->err + plen, old, sizeof ctx->err - plen - 1);
  ctx->err[sizeof ctx->err - 1] = '\0';
}

void spill__progress(spill_ctx *ctx, const char *what, double fraction)
{
  if (ctx->progress) ctx->progress(ctx->progress_user, what, fraction);
}

void spill__notice(spill_ctx *ctx, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  if (!ctx->notice) return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->notice(ctx->notice_user, msg);
}

struct cholmod_common_struct *spill__cholmod(spill_ctx *ctx)
{
  if (ctx->cholmod) return ctx->cholmod;
  ctx->cholmod = calloc(1, sizeof(cholmod_common));
  if (!ctx->cholmod) {
    spill__fail(ctx, SPILL_ENOMEM, "out of memory starting CHOLMOD");
    return NULL;
  }
  if (!cholmod_l_start(ctx->cholmod)) {
    free(ctx->cholmod);
    ctx->cholmod = NULL;
    spill__fail(ctx, SPILL_EDEP, "CHOLMOD failed to start");
    return NULL;
  }
  ctx->cholmod->print = 0;
  return ctx->cholmod;
}

void spill__cholmod_release(spill_ctx *ctx)
{
  if (!ctx->cholmod) return;
  cholmod_l_finish(ctx->cholmod);
  free(ctx->cholmod);
  ctx->cholmod = NULL;
}

void *spill__malloc(spill_ctx *ctx, size_t size)
{
  void *p = malloc(size ? size : 1);
  if (!p) spill__fail(ctx, SPILL_ENOMEM, "out of memory (%zu bytes)", size);
  return p;
}

void *spill__calloc(spill_ctx *ctx, size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) spill__fail(ctx, SPILL_ENOMEM, "out of memory (%zu x %zu bytes)", n, size);
  return p;
}

char *spill__strdup(spill_ctx *ctx, const char *s)
{
  size_t len = strlen(s) + 1;
  char *d = spill__malloc(ctx, len);
  if (d) memcpy(d, s, len);
  return d;
}

#include "estimation/did.h"
int spill__did_impute(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *o, spill_did_result *r)
{
  (void)p; (void)o; (void)r;
  return spill__fail(ctx, SPILL_EINVAL, "not yet");
}

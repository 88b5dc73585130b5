/* Requests sized by the user (draws x units, n x n dense paths, bootstrap
 * draws x columns) checked against the machine's memory before allocating,
 * so they are refused with an estimate instead of ending in an OOM kill. */
#include <stdlib.h>
#include <unistd.h>
#include "core/internal.h"

double spill__mem_limit(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  double phys = pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
  const char *env = getenv("SPILL_MEM_LIMIT"); /* a lower cap: bytes, or with a K, M or G suffix */
  if (env && *env) {
    char *end;
    double v = strtod(env, &end);
    if (*end == 'K' || *end == 'k') v *= 1e3;
    else if (*end == 'M' || *end == 'm') v *= 1e6;
    else if (*end == 'G' || *end == 'g') v *= 1e9;
    if (v > 0 && (phys <= 0 || v < phys)) phys = v;
  }
  return phys;
}

int spill__mem_request(spill_ctx *ctx, double bytes, const char *what, const char *fix)
{
  double lim = spill__mem_limit();
  if (lim > 0 && bytes > 0.8 * lim) {
    double u = lim >= 1e9 ? 1e9 : 1e6;
    const char *un = lim >= 1e9 ? "GB" : "MB";
    return spill__fail(ctx, SPILL_ENOMEM, "%s would need about %.3g %s, more than this machine can give (%.3g %s of "
                       "memory%s): %s", what, bytes / u, un, lim / u, un,
                       getenv("SPILL_MEM_LIMIT") ? ", SPILL_MEM_LIMIT" : "", fix);
  }
  return SPILL_OK;
}

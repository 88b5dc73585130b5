/* Small text helpers: canonical ids, case-insensitive compare, extensions. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

void spill__format_id(double v, char buf[32])
{
  if (isfinite(v) && v == floor(v) && fabs(v) < 9.0e15)
    snprintf(buf, 32, "%lld", (long long)v);
  else
    snprintf(buf, 32, "%.17g", v);
}

int spill__canonical_id(const char *s, char buf[32])
{
  char *end;
  double v;
  while (isspace((unsigned char)*s)) s++;
  if (!*s) return 0;
  v = strtod(s, &end);
  while (isspace((unsigned char)*end)) end++;
  if (*end || !isfinite(v)) return 0;
  spill__format_id(v, buf);
  return 1;
}

int spill__strcasecmp(const char *a, const char *b)
{
  for (;; a++, b++) {
    int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
    if (ca != cb) return ca - cb;
    if (!ca) return 0;
  }
}

void spill__extension(const char *path, char buf[16])
{
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  size_t i = 0;
  buf[0] = '\0';
  if (!dot || (slash && dot < slash)) return;
  for (dot++; *dot && i < 15; dot++) buf[i++] = (char)tolower((unsigned char)*dot);
  buf[i] = '\0';
}

/* Text encodings: whatever a file holds, UTF-8 inside. Valid UTF-8 is kept;
 * a UTF-16 byte-order mark (Excel's "Unicode text") is decoded; other text is
 * tried as GB18030 (a superset of GBK and GB2312, what Chinese Windows and
 * yearbook CSVs use), with a notice; an explicit encoding goes through
 * iconv(3) from glibc. Used by the CSV table reader and the .dta reader. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

/* Length of the UTF-8 sequence at s (at most len bytes), 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
  unsigned c = s[0];
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) n = 2;
  else if (c < 0xF0) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c < 0xF5) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (len < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < n; k++)
    if (s[k] < 0x80 || s[k] > 0xBF) return 0;
  return n;
}

int spill__utf8_valid(const char *s, size_t len, size_t *bad)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    size_t n;
    if (u[i] < 0x80) {
      i++;
      continue;
    }
    n = utf8_seq(u + i, len - i);
    if (!n) {
      if (bad) *bad = i;
      return 0;
    }
    i += n;
  }
  return 1;
}

void spill__text_position(const char *s, size_t at, size_t *line, size_t *col)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t l = 1, c = 1, i = 0;
  while (i < at) {
    size_t n;
    if (u[i] == '\n') {
      l++;
      c = 1;
      i++;
      continue;
    }
    n = u[i] < 0x80 ? 1 : utf8_seq(u + i, at - i);
    i += n ? n : 1;
    c++;
  }
  *line = l;
  *col = c;
}

/* Convert with iconv; on an invalid or incomplete sequence *bad receives its
 * offset in `in` and 1 is returned; -1 when the encoding is unknown; -2 on
 * memory failure; 0 on success (*out malloc'ed, NUL-terminated). */
static int convert(const char *from, const char *in, size_t len, char **out, size_t *out_len, size_t *bad)
{
  iconv_t cd = iconv_open("UTF-8", from);
  size_t cap = len * 2 + 16, used = 0;
  char *buf, *ip = (char *)in;
  size_t left = len;
  if (cd == (iconv_t)-1) return -1;
  buf = malloc(cap + 1);
  if (!buf) {
    iconv_close(cd);
    return -2;
  }
  while (left > 0) {
    char *op = buf + used;
    size_t room = cap - used;
    size_t r = iconv(cd, &ip, &left, &op, &room);
    used = (size_t)(op - buf);
    if (r != (size_t)-1) break;
    if (errno == E2BIG) {
      char *b = realloc(buf, 2 * cap + 1);
      if (!b) {
        free(buf);
        iconv_close(cd);
        return -2;
      }
      buf = b;
      cap *= 2;
      continue;
    }
    /* EILSEQ or EINVAL (a truncated sequence at the end) */
    *bad = (size_t)(ip - in);
    free(buf);
    iconv_close(cd);
    return 1;
  }
  iconv_close(cd);
  buf[used] = '\0';
  *out = buf;
  if (out_len) *out_len = used;
  return 0;
}

static char *copy_text(spill_ctx *ctx, const char *in, size_t len)
{
  char *s = spill__malloc(ctx, len + 1);
  if (!s) return NULL;
  if (len) memcpy(s, in, len);
  s[len] = '\0';
  return s;
}

int spill__to_utf8(spill_ctx *ctx, const char *in, size_t len, const char *encoding, char **out,
                   size_t *out_len, const char *what)
{
  const unsigned char *u = (const unsigned char *)in;
  size_t bad = 0, bad2 = 0, line, col;
  int r;
  const char *src = what ? what : "text";
  *out = NULL;
  if (encoding && *encoding && spill__strcasecmp(encoding, "UTF-8") && spill__strcasecmp(encoding, "UTF8")) {
    r = convert(encoding, in, len, out, out_len, &bad);
    if (r == -1)
      return spill__fail(ctx, SPILL_EINVAL,
                         "unknown encoding '%s' (iconv does not know it; e.g. GB18030, GBK, BIG5, "
                         "UTF-16, LATIN1, CP1252; `iconv -l` lists them all)",
                         encoding);
    if (r == -2) return spill__fail(ctx, SPILL_ENOMEM, "out of memory decoding %s", src);
    if (r == 1) {
      /* the position in the undecoded bytes: count lines by '\n' bytes */
      spill__text_position(in, bad, &line, &col);
      return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column %zu: byte 0x%02X is not valid %s text", src,
                         line, col, u[bad], encoding);
    }
    return SPILL_OK;
  }
  if (spill__utf8_valid(in, len, &bad)) {
    if (!(*out = copy_text(ctx, in, len))) return SPILL_ENOMEM;
    if (out_len) *out_len = len;
    return SPILL_OK;
  }
  if (encoding) {
    spill__text_position(in, bad, &line, &col);
    return spill__fail(ctx, SPILL_EDATA, "%s, line %zu, column %zu: byte 0x%02X is not valid UTF-8", src, line,
                       col, u[bad]);
  }
  /* a UTF-16 byte-order mark: Excel's "Unicode text" */
  if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
    r = convert("UTF-16", in, len, out, out_len, &bad2);
    if (r == -2) return spill__fail(ctx, SPILL_ENOMEM, "out of memory decoding %s", src);
    if (r == 0) {
      if (what) spill__notice(ctx, "%s: read as UTF-16 (it starts with a UTF-16 byte-order mark)", what);
      return SPILL_OK;
    }
  }
  r = convert("GB18030", in, len, out, out_len, &bad2);
  if (r == -2) return spill__fail(ctx, SPILL_ENOMEM, "out of memory decoding %s", src);
  if (r == 0) {
    if (what)
      spill__notice(ctx, "%s is not UTF-8: read as GB18030 (GBK); give --encoding NAME if that is wrong", what);
    return SPILL_OK;
  }
  spill__text_position(in, bad, &line, &col);
  {
    size_t l2, c2;
    spill__text_position(in, bad2, &l2, &c2);
    return spill__fail(ctx, SPILL_EDATA,
                       "%s, line %zu, column %zu: byte 0x%02X is not valid UTF-8, and the text is not GB18030 "
                       "either (line %zu, column %zu); give its encoding with --encoding NAME (e.g. BIG5, "
                       "LATIN1, CP1252)",
                       src, line, col, u[bad], l2, c2);
  }
}

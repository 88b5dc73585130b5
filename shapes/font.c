/* The font of every figure: found with fontconfig among the installed fonts
 * as one face that covers Chinese and Latin text, since cairo's text API
 * draws each string in a single face with no per-character fallback. */
#include <stdio.h>
#include <fontconfig/fontconfig.h>
#include "shapes/font.h"

/* 1 if the font has glyphs for Chinese characters and Latin letters. */
static int covers(FcPattern *p)
{
  FcCharSet *cs = NULL;
  static const FcChar32 probe[] = {0x4E2D, 0x56FD, 0x5E02, 0x7701, 'A', 'g', '0'}; /* 中 国 市 省 */
  if (FcPatternGetCharSet(p, FC_CHARSET, 0, &cs) != FcResultMatch || !cs) return 0;
  for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++)
    if (!FcCharSetHasChar(cs, probe[k])) return 0;
  return 1;
}

void spill__font_family(char family[128])
{
  FcPattern *pat = FcNameParse((const FcChar8 *)"sans-serif:lang=zh-cn");
  FcFontSet *set = NULL;
  FcResult res;
  snprintf(family, 128, "sans-serif");
  if (!pat) return;
  FcConfigSubstitute(NULL, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  set = FcFontSort(NULL, pat, FcFalse, NULL, &res);
  for (int k = 0; set && k < set->nfont; k++) {
    FcChar8 *name = NULL;
    if (!covers(set->fonts[k])) continue;
    if (FcPatternGetString(set->fonts[k], FC_FAMILY, 0, &name) == FcResultMatch && name) {
      snprintf(family, 128, "%s", (const char *)name);
      break;
    }
  }
  if (set) FcFontSetDestroy(set);
  FcPatternDestroy(pat);
}

void spill__font_select(cairo_t *cr, const char *family, double size, int bold)
{
  cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

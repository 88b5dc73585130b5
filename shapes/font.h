/* Private to shapes/ (and the charts that share its drawing): the one place
 * where the font text is drawn in is chosen. */
#ifndef SPILL_FONT_H
#define SPILL_FONT_H

#include <cairo.h>

/* The family spill draws text in, into family (128 bytes): the best match
 * fontconfig gives for sans-serif text in simplified Chinese that has
 * glyphs for Chinese characters and Latin letters alike (Noto Sans CJK SC
 * with Debian's fonts-noto-cjk), so titles, legends and names in Chinese
 * show their characters rather than empty boxes; "sans-serif" when no
 * installed font covers Chinese. Call once per figure (fontconfig sorts
 * the installed fonts). */
void spill__font_family(char family[128]);

/* Select family at size (user units), bold or regular, on cr. */
void spill__font_select(cairo_t *cr, const char *family, double size, int bold);

#endif

#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H

/* Debian builds libxml2 with ICU, so encoding.h pulls in the system's <unicode/*.h>. Foundation
 * carries its own, newer ICU headers (_FoundationICU); a clean build of a module that sees both
 * fails with "'UErrorCode' has different definitions in different modules". Only the trailing
 * uconv fields of xmlCharEncodingHandler depend on ICU, and Swift never reads that struct (it is
 * only passed around by pointer), so the ICU part of the headers is left out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>
#include <libxml/HTMLparser.h>

/* Swift 6 rejects libxml2's global function pointer xmlFree: call it through a function. */
static inline void clibxml2_free(void *pointer) {
    xmlFree(pointer);
}

#endif

#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H

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

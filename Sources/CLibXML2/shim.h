#ifndef INSERTION_GATEWAY_CLIBXML2_SHIM_H
#define INSERTION_GATEWAY_CLIBXML2_SHIM_H
// libxml2 pulls in the system ICU headers, which clash with the ICU inside Foundation.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#include <libxml/encoding.h>
#include <libxml/xmlIO.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#endif

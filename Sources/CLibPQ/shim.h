#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>

/* PG_DIAG_* are char-literal macros, which Swift does not import. */
static const int CLIBPQ_DIAG_SEVERITY_NONLOCALIZED = 'V';
static const int CLIBPQ_DIAG_SQLSTATE = 'C';
static const int CLIBPQ_DIAG_MESSAGE_PRIMARY = 'M';
static const int CLIBPQ_DIAG_MESSAGE_DETAIL = 'D';
static const int CLIBPQ_DIAG_MESSAGE_HINT = 'H';
static const int CLIBPQ_DIAG_CONTEXT = 'W';
static const int CLIBPQ_DIAG_CONSTRAINT_NAME = 'n';
static const int CLIBPQ_DIAG_TABLE_NAME = 't';
static const int CLIBPQ_DIAG_COLUMN_NAME = 'c';

#endif

#ifndef CLIBARCHIVE_SHIM_H
#define CLIBARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>

/* The file-type macros carry a cast Swift cannot import. */
static inline int clibarchive_is_regular_file(struct archive_entry *entry) {
    return archive_entry_filetype(entry) == AE_IFREG;
}

/* A regular file with mode 0644, for the entries the project writes. */
static inline void clibarchive_set_regular_file(struct archive_entry *entry) {
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
}

#endif

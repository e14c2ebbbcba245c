/* Migration tests of the register: a store brought up to just before one migration, so that
 * rows written the old way can be checked after it. Needs src/register on the include path. */
#ifndef REG_MIGRATE_H
#define REG_MIGRATE_H

#include "reg_fixture.h"
#include "register_int.h"

/* A fresh store (tag's folder or database) with every migration before version applied;
 * *all and *n get the whole list for the caller's eyni_store_migrate(s, *all, *n, ...). */
static inline eyni_store *fixture_store_before(const char *tag, int version,
                                               const eyni_migration **all, int *n)
{
    char *uri = fixture_store_uri(tag);
    eyni_store_opts so = {2, 0};
    eyni_store *s = NULL;
    eyni_error err;
    if (eyni_store_open(uri, &so, &s, &err))
        fail_msg("%s", err.msg);
    free(uri);
    int before = 0;
    *all = reg_migrations(n);
    while (before < *n && (*all)[before].version < version)
        before++;
    if (eyni_store_migrate(s, *all, before, &err))
        fail_msg("%s", err.msg);
    return s;
}

#endif

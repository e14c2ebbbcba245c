/* Shared fixture of the register tests: a fresh register in a temporary folder, on SQLite
 * or on PostgreSQL (see store_fixture.h). */
#ifndef REG_FIXTURE_H
#define REG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/register.h"
#include "store_fixture.h"
#include "testutil.h"

static inline eyni_register *fixture_open(const char *tag)
{
    char *path = fixture_store_uri(tag);
    eyni_register_opts o = {path, 4, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *r = NULL;
    eyni_error err;
    if (eyni_register_open(&o, &r, &err))
        fail_msg("%s", err.msg);
    free(path);
    return r;
}

/* A fresh register in tag's temporary folder with a data key (keys/data-1.key), so the
 * identity service can store sealed samples. */
static inline eyni_register *fixture_open_keyed(const char *tag)
{
    char *dir = eyni_test_tmpdir(tag);
    char keys[4200], uri[4200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    char *store = fixture_store_uri(tag);
    snprintf(uri, sizeof uri, "%s", store);
    free(store);
    free(dir);
    fixture_data_key(keys);
    eyni_error err;
    eyni_register_opts o = {uri, 2, 0, NULL, NULL, keys, 1, NULL, NULL, NULL, NULL, NULL};
    eyni_register *r = NULL;
    if (eyni_register_open(&o, &r, &err))
        fail_msg("%s", err.msg);
    return r;
}

static inline json_t *fixture_json(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        fail_msg("bad fixture JSON: %s", je.text);
    return v;
}

static inline eyni_actor fixture_actor(eyni_role role, const char *purpose)
{
    eyni_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "test-%s", eyni_role_name(role));
    snprintf(a.agency, sizeof a.agency, "TEST");
    snprintf(a.purpose, sizeof a.purpose, "%s", purpose);
    snprintf(a.origin, sizeof a.origin, "test");
    a.role = role;
    return a;
}

#endif

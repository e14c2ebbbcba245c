/* JSON glue over jansson: strict parsing of untrusted objects and the one --json writer. */
#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"

static int depth_ok(const json_t *v, int depth)
{
    if (depth > EYNI_JSON_MAX_DEPTH)
        return 0;
    if (json_is_object(v)) {
        const char *k;
        const json_t *m;
        json_object_foreach((json_t *)v, k, m) if (!depth_ok(m, depth + 1)) return 0;
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *m;
        json_array_foreach(v, i, m) if (!depth_ok(m, depth + 1)) return 0;
    }
    return 1;
}

int eyni_json_parse_object(const char *buf, size_t len, json_t **out, eyni_error *err)
{
    json_error_t je;
    /* Rejecting duplicate keys stops a body from saying two things at once. */
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return eyni_error_set(err, EYNI_EFORMAT, "malformed JSON at line %d column %d: %s",
                              je.line, je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return eyni_error_set(err, EYNI_EFORMAT, "JSON body must be an object");
    }
    if (!depth_ok(v, 0)) {
        json_decref(v);
        return eyni_error_set(err, EYNI_ELIMIT, "JSON nested deeper than %d levels",
                              EYNI_JSON_MAX_DEPTH);
    }
    *out = v;
    return 0;
}

int eyni_json_check_keys(const json_t *obj, const char *const *allowed, eyni_error *err)
{
    const char *k;
    const json_t *m;
    json_object_foreach((json_t *)obj, k, m)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                ok = 1;
        if (!ok)
            return eyni_error_set(err, EYNI_EFORMAT, "unknown field '%.64s'", k);
    }
    return 0;
}

int eyni_json_get_string(const json_t *obj, const char *key, size_t maxlen, const char **out,
                         eyni_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > maxlen)
        return eyni_error_set(err, EYNI_ELIMIT, "field '%s' is longer than %zu bytes", key, maxlen);
    if (!eyni_utf8_valid(s, n))
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' holds control characters or bad UTF-8",
                              key);
    *out = s;
    return 0;
}

int eyni_json_get_bool(const json_t *obj, const char *key, int *out, eyni_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = json_is_true(v);
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' must be true or false", key);
    return 0;
}

int eyni_json_print(const json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    if (!s)
        return EYNI_ENOMEM;
    int ok = fputs(s, stdout) >= 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0;
    free(s);
    return ok ? 0 : EYNI_EIO;
}

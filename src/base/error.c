/* One error type for the whole library: a negative code and a one-line message. */
#include <stdarg.h>
#include <string.h>

#include "eyni/base.h"

int eyni_error_set(eyni_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int eyni_error_prefix(eyni_error *err, const char *fmt, ...)
{
    if (!err)
        return EYNI_EINTERNAL;
    char prefix[sizeof err->msg];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    return err->code;
}

void eyni_error_clear(eyni_error *err)
{
    if (!err)
        return;
    err->code = EYNI_OK;
    err->msg[0] = '\0';
}

const char *eyni_error_name(int code)
{
    static const char *const names[] = {
        "OK",      "EINVAL",    "EFORMAT", "ENOMEM",  "EIO",    "ENOTFOUND",
        "EEXIST",  "EPERM",     "EAUTH",   "ELIMIT",  "ECONFLICT", "ESTORE",
        "ECRYPTO", "EMODEL",    "EQUALITY", "EINTERNAL",
    };
    int i = -code;
    if (i < 0 || i >= (int)(sizeof names / sizeof names[0]))
        return "EUNKNOWN";
    return names[i];
}

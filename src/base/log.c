/* Levelled logging to a stream, as human text or one JSON object per line. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"

struct eyni_log {
    eyni_log_level level;
    int json;
    FILE *out;
    pthread_mutex_t lock; /* one line at a time from any thread */
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

eyni_log *eyni_log_new(eyni_log_level level, int json, FILE *out)
{
    eyni_log *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->level = level;
    log->json = json;
    log->out = out ? out : stderr;
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

void eyni_log_free(eyni_log *log)
{
    if (!log)
        return;
    pthread_mutex_destroy(&log->lock);
    free(log);
}

int eyni_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void eyni_log_write(eyni_log *log, eyni_log_level level, const char *event, const char *fmt, ...)
{
    if (!log || level < log->level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char ts[32];
    eyni_time_now_iso(ts);

    pthread_mutex_lock(&log->lock);
    if (log->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level_names[level],
                              "event", event ? event : "", "msg", msg);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (line)
            fprintf(log->out, "%s\n", line);
        free(line);
        json_decref(o);
    } else {
        fprintf(log->out, "%s %-5s %s: %s\n", ts, level_names[level], event ? event : "-", msg);
    }
    fflush(log->out);
    pthread_mutex_unlock(&log->lock);
}

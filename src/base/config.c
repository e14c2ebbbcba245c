/* Configuration: dotted keys with string values from a file, the environment and flags. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"

typedef struct entry {
    char *key;
    char *value;
} entry;

struct eyni_config {
    entry items[EYNI_CONFIG_MAX_ENTRIES];
    size_t n;
};

eyni_config *eyni_config_new(void)
{
    return calloc(1, sizeof(eyni_config));
}

void eyni_config_free(eyni_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->items[i].key);
        free(cfg->items[i].value);
    }
    free(cfg);
}

static int key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)key[i]) || isdigit((unsigned char)key[i]) || key[i] == '.' ||
              key[i] == '_'))
            return 0;
    return 1;
}

int eyni_config_set(eyni_config *cfg, const char *key, const char *value, eyni_error *err)
{
    if (!key_valid(key))
        return eyni_error_set(err, EYNI_EINVAL, "config key '%.64s' is not a dotted lower-case name",
                              key);
    if (strlen(value) > EYNI_CONFIG_MAX_VALUE)
        return eyni_error_set(err, EYNI_ELIMIT, "config %s: value longer than %d bytes", key,
                              EYNI_CONFIG_MAX_VALUE);
    char *v = strdup(value);
    if (!v)
        return eyni_error_set(err, EYNI_ENOMEM, "config %s: out of memory", key);
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->items[i].key, key) == 0) {
            free(cfg->items[i].value);
            cfg->items[i].value = v;
            return 0;
        }
    }
    if (cfg->n == EYNI_CONFIG_MAX_ENTRIES) {
        free(v);
        return eyni_error_set(err, EYNI_ELIMIT, "config: more than %d keys",
                              EYNI_CONFIG_MAX_ENTRIES);
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return eyni_error_set(err, EYNI_ENOMEM, "config %s: out of memory", key);
    }
    cfg->items[cfg->n].key = k;
    cfg->items[cfg->n].value = v;
    cfg->n++;
    return 0;
}

const char *eyni_config_get(const eyni_config *cfg, const char *key, const char *def)
{
    for (size_t i = 0; cfg && i < cfg->n; i++)
        if (strcmp(cfg->items[i].key, key) == 0)
            return cfg->items[i].value;
    return def;
}

int eyni_config_get_int(const eyni_config *cfg, const char *key, long long def, long long min,
                        long long max, long long *out, eyni_error *err)
{
    const char *s = eyni_config_get(cfg, key, NULL);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return eyni_error_set(err, EYNI_EINVAL, "config %s = '%.64s': need an integer in %lld..%lld",
                              key, s, min, max);
    *out = v;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int parse_line(eyni_config *cfg, const char *path, int lineno, char *line, eyni_error *err)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *s = trim(line);
    if (*s == '\0')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq)
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%d: expected 'key = value'", path, lineno);
    *eq = '\0';
    int rc = eyni_config_set(cfg, trim(s), trim(eq + 1), err);
    if (rc)
        eyni_error_prefix(err, "%s:%d: ", path, lineno);
    return rc;
}

int eyni_config_load_file(eyni_config *cfg, const char *path, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_CONFIG_MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return eyni_error_set(err, EYNI_EFORMAT, "%s: configuration file contains a NUL byte",
                              path);
    }
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        rc = parse_line(cfg, path, lineno, line, err);
        if (rc)
            break;
    }
    free(buf);
    return rc;
}

int eyni_config_load_env(eyni_config *cfg, char *const *envp, eyni_error *err)
{
    static const char prefix[] = "EYNI_";
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *e = envp[i];
        const char *eq = strchr(e, '=');
        if (strncmp(e, prefix, sizeof prefix - 1) != 0 || !eq)
            continue;
        const char *name = e + sizeof prefix - 1;
        size_t n = (size_t)(eq - name);
        char key[65];
        if (n == 0 || n >= sizeof key)
            continue;
        for (size_t j = 0; j < n; j++)
            key[j] = name[j] == '_' ? '.' : (char)tolower((unsigned char)name[j]);
        key[n] = '\0';
        if (!key_valid(key))
            continue;
        int rc = eyni_config_set(cfg, key, eq + 1, err);
        if (rc)
            return rc;
    }
    return 0;
}

int eyni_config_write_file(const eyni_config *cfg, const char *path, eyni_error *err)
{
    size_t cap = 64;
    for (size_t i = 0; i < cfg->n; i++)
        cap += strlen(cfg->items[i].key) + strlen(cfg->items[i].value) + 4;
    char *buf = malloc(cap);
    if (!buf)
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    size_t off = (size_t)snprintf(buf, cap, "# eyni configuration\n");
    for (size_t i = 0; i < cfg->n; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s = %s\n", cfg->items[i].key,
                                cfg->items[i].value);
    int rc = eyni_file_write_atomic(path, buf, off, 0600, err);
    free(buf);
    return rc;
}

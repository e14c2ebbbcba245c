/* Shared set-up of the command-line programs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CMD_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CMD_LEAK_CHECK 1
#endif
#endif
#ifdef CMD_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

#include "common.h"

extern char **environ;

void cmd_env_path(const cmd_env *e, const char *name, char *out, size_t cap)
{
    if (name[0] == '/')
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s/%s", e->data, name);
}

const char *cmd_env_voice_model(const cmd_env *e, char *out, size_t cap)
{
    cmd_env_path(e, eyni_config_get(e->cfg, "voice.model", "voice/model.bin"), out, cap);
    return out;
}

int cmd_env_identity(const cmd_env *e, int voice, eyni_identity **id, eyni_error *err)
{
    eyni_identity_opts o;
    memset(&o, 0, sizeof o);
    o.log = e->log;
    char model[4200];
    int rc = eyni_identity_opts_from_config(e->cfg, &o, err);
    o.node_key = e->node_key;
    if (voice)
        o.voice_model = cmd_env_voice_model(e, model, sizeof model);
    return rc ? rc : eyni_identity_open(e->reg, &o, id, err);
}

static int apply_overrides(eyni_config *cfg, const char *const *ov, eyni_error *err)
{
    for (size_t i = 0; ov && ov[i]; i++) {
        const char *eq = strchr(ov[i], '=');
        char key[65];
        if (!eq || (size_t)(eq - ov[i]) >= sizeof key)
            return eyni_error_set(err, EYNI_EINVAL, "bad override '%.64s'", ov[i]);
        memcpy(key, ov[i], (size_t)(eq - ov[i]));
        key[eq - ov[i]] = '\0';
        int rc = eyni_config_set(cfg, key, eq + 1, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int open_log(cmd_env *e, eyni_error *err)
{
    int level = eyni_log_level_parse(eyni_config_get(e->cfg, "log.level", "info"));
    if (level < 0)
        return eyni_error_set(err, EYNI_EINVAL, "log.level must be debug, info, warn or error");
    const char *fmt = eyni_config_get(e->cfg, "log.format", "text");
    e->log = eyni_log_new((eyni_log_level)level, strcmp(fmt, "json") == 0, stderr);
    return e->log ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
}

/* The API key of role node a sharded node calls its peers with: one line in the file
 * gallery.node_key (relative to the data directory, mode 0600 like operator.key). */
static int read_node_key(cmd_env *e, eyni_error *err)
{
    const char *name = eyni_config_get(e->cfg, "gallery.node_key", NULL);
    if (!name)
        return 0;
    char path[4200];
    cmd_env_path(e, name, path, sizeof path);
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, sizeof e->node_key - 1, &buf, &len, err);
    if (rc)
        return eyni_error_prefix(err, "config gallery.node_key: ");
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        len--;
    memcpy(e->node_key, buf, len);
    e->node_key[len] = '\0';
    free(buf);
    return 0;
}

int cmd_env_open(cmd_env *e, const char *data_dir, const char *const *overrides, int open_register,
                 eyni_error *err)
{
    memset(e, 0, sizeof *e);
    snprintf(e->data, sizeof e->data, "%s", data_dir);
    e->cfg = eyni_config_new();
    if (!e->cfg)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    char path[4200];
    cmd_env_path(e, "eyni.conf", path, sizeof path);
    int rc = eyni_config_load_file(e->cfg, path, err);
    if (rc == EYNI_ENOTFOUND)
        eyni_error_set(err, EYNI_ENOTFOUND,
                       "%s is not an eyni data directory (run `eyni init --data %s`)", data_dir,
                       data_dir);
    if (rc == 0)
        rc = eyni_config_load_env(e->cfg, environ, err);
    if (rc == 0)
        rc = apply_overrides(e->cfg, overrides, err);
    if (rc == 0)
        rc = open_log(e, err);
    if (rc == 0 && open_register) {
        char uri[4300];
        const char *set = eyni_config_get(e->cfg, "store.uri", NULL);
        if (!set) {
            cmd_env_path(e, "eyni.db", path, sizeof path);
            snprintf(uri, sizeof uri, "sqlite:%s", path);
            rc = eyni_config_set(e->cfg, "store.uri", uri, err);
        }
        /* Files named in the configuration are relative to the data directory. */
        static const char *const paths[] = {
            "crypto.keydir",       "pki.csca_cert", "pki.ds_cert", "pki.ds_key",
            "pki.passphrase_file", "documents.dir", "dna.freq",    NULL};
        for (int i = 0; rc == 0 && paths[i]; i++) {
            const char *v = eyni_config_get(e->cfg, paths[i], NULL);
            if (v && v[0] != '/') {
                cmd_env_path(e, v, path, sizeof path);
                rc = eyni_config_set(e->cfg, paths[i], path, err);
            }
        }
        if (rc == 0)
            rc = read_node_key(e, err);
        if (rc == 0)
            rc = eyni_register_open_config(e->cfg, e->log, &e->reg, err);
    }
    if (rc)
        cmd_env_close(e);
    return rc;
}

void cmd_env_close(cmd_env *e)
{
    eyni_register_close(e->reg);
    eyni_log_free(e->log);
    eyni_config_free(e->cfg);
    e->reg = NULL;
    e->log = NULL;
    e->cfg = NULL;
}

int cmd_bench_register(const char *tag, int pool, char *dir, size_t cap, eyni_register **reg,
                       eyni_error *err)
{
    snprintf(dir, cap, "/tmp/eyni-bench-%s-XXXXXX", tag);
    if (!mkdtemp(dir))
        return eyni_error_set(err, EYNI_EIO, "cannot make a temporary folder");
    char keys[4200], key[4300], uri[4200];
    unsigned char k[32];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(key, sizeof key, "%s/data-1.key", keys);
    snprintf(uri, sizeof uri, "sqlite:%s/eyni.db", dir);
    int rc = eyni_dir_make(keys, err);
    if (rc == 0)
        rc = eyni_random_bytes(k, sizeof k, err);
    if (rc == 0)
        rc = eyni_file_write_atomic(key, k, sizeof k, 0600, err);
    eyni_register_opts o = {uri, pool, 0, NULL, NULL, keys, 1, NULL, NULL, NULL, NULL, NULL};
    return rc ? rc : eyni_register_open(&o, reg, err);
}

_Noreturn void cmd_exit(int code)
{
    fflush(NULL);
#ifdef CMD_LEAK_CHECK
    __lsan_do_leak_check(); /* what exit() would have run; reports and fails on a leak */
#endif
    _exit(code);
}

/*
 * eyni/base.h - errors, logging, configuration, JSON glue, text, time and files.
 *
 * Everything here is reentrant: no function keeps state between calls except in the
 * objects it hands out (eyni_log, eyni_config), which the caller owns.
 */
#ifndef EYNI_BASE_H
#define EYNI_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EYNI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EYNI_PRINTF(a, b)
#endif

/* ---- errors ------------------------------------------------------------------------ */

enum {
    EYNI_OK = 0,
    EYNI_EINVAL = -1,    /* caller passed something invalid */
    EYNI_EFORMAT = -2,   /* outside data is malformed */
    EYNI_ENOMEM = -3,    /* allocation failed */
    EYNI_EIO = -4,       /* file or socket failure */
    EYNI_ENOTFOUND = -5, /* no such record or file */
    EYNI_EEXIST = -6,    /* record already exists */
    EYNI_EPERM = -7,     /* authenticated but not allowed */
    EYNI_EAUTH = -8,     /* not authenticated */
    EYNI_ELIMIT = -9,    /* input exceeds a named limit */
    EYNI_ECONFLICT = -10, /* state does not allow the operation */
    EYNI_ESTORE = -11,   /* database failure */
    EYNI_ECRYPTO = -12,  /* cryptographic failure */
    EYNI_EMODEL = -13,   /* model file or inference failure */
    EYNI_EQUALITY = -14, /* sample rejected by a quality gate */
    EYNI_EINTERNAL = -15 /* broken invariant: a bug */
};

typedef struct eyni_error {
    int code;      /* EYNI_OK or a negative EYNI_E* code */
    char msg[256]; /* one line a person can act on: what, where, why */
} eyni_error;

/* Sets *err (which may be NULL) and returns code, so callers can `return eyni_error_set(...)`. */
int eyni_error_set(eyni_error *err, int code, const char *fmt, ...) EYNI_PRINTF(3, 4);
/* Prepends context to an existing message ("fvc/101_1.tif: " + msg); returns err->code. */
int eyni_error_prefix(eyni_error *err, const char *fmt, ...) EYNI_PRINTF(2, 3);
void eyni_error_clear(eyni_error *err);
/* Stable short name of a code: "EINVAL", "EFORMAT", ... */
const char *eyni_error_name(int code);

/* ---- logging ----------------------------------------------------------------------- */

typedef enum eyni_log_level {
    EYNI_LOG_DEBUG = 0,
    EYNI_LOG_INFO = 1,
    EYNI_LOG_WARN = 2,
    EYNI_LOG_ERROR = 3
} eyni_log_level;

typedef struct eyni_log eyni_log;

/* A logger writing to out (stderr when NULL); json != 0 writes one JSON object per line.
 * Returns NULL when out of memory. Thread-safe. */
eyni_log *eyni_log_new(eyni_log_level level, int json, FILE *out);
void eyni_log_free(eyni_log *log);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int eyni_log_level_parse(const char *s);
/* log may be NULL (then nothing is written). event is a short machine-readable tag. */
void eyni_log_write(eyni_log *log, eyni_log_level level, const char *event, const char *fmt, ...)
    EYNI_PRINTF(4, 5);

/* ---- configuration ----------------------------------------------------------------- */

#define EYNI_CONFIG_MAX_ENTRIES 256
#define EYNI_CONFIG_MAX_VALUE 1024
#define EYNI_CONFIG_MAX_FILE (64 * 1024)

typedef struct eyni_config eyni_config;

/*
 * Keys are dotted lower-case names ("server.listen"). Sources are applied in increasing
 * precedence: the file, then the environment, then command-line flags; a later set wins.
 */
eyni_config *eyni_config_new(void);
void eyni_config_free(eyni_config *cfg);
/* "key = value" lines; '#' starts a comment. A missing file is ENOTFOUND. */
int eyni_config_load_file(eyni_config *cfg, const char *path, eyni_error *err);
/* EYNI_SERVER_LISTEN=... becomes server.listen; only names under the EYNI_ prefix. */
int eyni_config_load_env(eyni_config *cfg, char *const *envp, eyni_error *err);
int eyni_config_set(eyni_config *cfg, const char *key, const char *value, eyni_error *err);
/* Returns the value or def; the pointer lives as long as cfg and the key is not set again. */
const char *eyni_config_get(const eyni_config *cfg, const char *key, const char *def);
/* Integer in [min, max], or def when unset; EINVAL when set but not such an integer. */
int eyni_config_get_int(const eyni_config *cfg, const char *key, long long def, long long min,
                        long long max, long long *out, eyni_error *err);
/* Writes every entry as "key = value" lines (for `eyni init`). */
int eyni_config_write_file(const eyni_config *cfg, const char *path, eyni_error *err);

/* ---- JSON glue --------------------------------------------------------------------- */

#define EYNI_JSON_MAX_DEPTH 16

/* Parses one JSON object from untrusted bytes: duplicate keys, depth beyond
 * EYNI_JSON_MAX_DEPTH and non-objects are EFORMAT with the position named. */
int eyni_json_parse_object(const char *buf, size_t len, json_t **out, eyni_error *err);
/* EFORMAT naming the first key of obj that is not in allowed (NULL-terminated). */
int eyni_json_check_keys(const json_t *obj, const char *const *allowed, eyni_error *err);
/* Optional string member: *out = NULL when absent or null; EFORMAT when not a string, not
 * valid UTF-8, or longer than maxlen bytes. The pointer is owned by obj. */
int eyni_json_get_string(const json_t *obj, const char *key, size_t maxlen, const char **out,
                         eyni_error *err);
/* Optional true/false member: *out = 0 when absent or null; EFORMAT when not a boolean. */
int eyni_json_get_bool(const json_t *obj, const char *key, int *out, eyni_error *err);
/* Prints obj as one line on stdout (the shared `--json` writer); returns 0 or EIO. */
int eyni_json_print(const json_t *obj);

/* ---- text -------------------------------------------------------------------------- */

/* 1 when s[0..len) is well-formed UTF-8 without NUL or C0 controls other than tab/newline. */
int eyni_utf8_valid(const char *s, size_t len);
/*
 * Search key of a name: letters folded to lower-case ASCII without diacritics (ə->e, ı/İ->i,
 * ş->s, ç->c, ğ->g, ö->o, ü->u and the other Latin-1/Latin Extended-A letters), runs of
 * spaces, hyphens and apostrophes folded to one space, other characters dropped.
 * Writes at most cap-1 bytes plus NUL; returns EINVAL for invalid UTF-8, ELIMIT if cut.
 */
int eyni_text_fold(const char *in, char *out, size_t cap, eyni_error *err);

/* ---- time -------------------------------------------------------------------------- */

/* Current UTC time as "YYYY-MM-DDThh:mm:ss.uuuuuuZ" into buf[32]. */
void eyni_time_now_iso(char buf[32]);
/* Strict "YYYY-MM-DD" of a real calendar day between 1850-01-01 and 2200-12-31. */
int eyni_date_parse(const char *s, int *year, int *month, int *day, eyni_error *err);
/* Monotonic milliseconds, for measuring durations. */
double eyni_time_ms(void);

/* ---- bytes, files, randomness ------------------------------------------------------- */

/* Reads a whole file of at most max bytes; *buf is NUL-terminated, caller frees. */
int eyni_file_read(const char *path, size_t max, unsigned char **buf, size_t *len,
                   eyni_error *err);
/* Writes a file atomically (temp + fsync + rename) with the given mode. */
int eyni_file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
                           eyni_error *err);
/* Creates a directory and its parents (mode 0700 for new ones). */
int eyni_dir_make(const char *path, eyni_error *err);
/* Cryptographically strong random bytes (OpenSSL). */
int eyni_random_bytes(void *buf, size_t len, eyni_error *err);
/* Lower-case hex of len bytes into out[2*len+1]. */
void eyni_hex_encode(const void *buf, size_t len, char *out);
/* Standard base64 (RFC 4648, with padding) through OpenSSL; *out is malloc'd and
 * NUL-terminated. Decoding refuses characters outside the alphabet and bad padding. */
int eyni_base64_encode(const void *buf, size_t len, char **out, eyni_error *err);
int eyni_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len,
                       eyni_error *err);
/* SHA-256 of buf into out[32]. */
void eyni_sha256(const void *buf, size_t len, unsigned char out[32]);
/* SHA-256 of a file compared with a hex digest; ECRYPTO naming both on mismatch. */
int eyni_sha256_file_check(const char *path, const char *hex, eyni_error *err);

/* ---- encryption at rest ----------------------------------------------------------- */

/*
 * A keyring of 256-bit data keys, one file per key ("data-<id>.key", 32 raw bytes) in one
 * folder. Blobs are sealed with AES-256-GCM under the active key and carry that key's id,
 * so keys can rotate: old blobs still open with their own key. Associated data (e.g. the
 * FIN and the kind of record) is authenticated but not stored, so a blob moved to another
 * record no longer opens.
 * Blob layout: "EYK1" | key id (4 bytes, big-endian) | nonce (12) | ciphertext | tag (16).
 */
#define EYNI_SEAL_OVERHEAD 36
#define EYNI_KEYRING_MAX 64

typedef struct eyni_keyring eyni_keyring;

/* Loads every data-<id>.key in dir; active_id must be among them. */
int eyni_keyring_load(const char *dir, unsigned active_id, eyni_keyring **out, eyni_error *err);
void eyni_keyring_free(eyni_keyring *kr);
unsigned eyni_keyring_active(const eyni_keyring *kr);
/* *out is malloc'd (n + EYNI_SEAL_OVERHEAD bytes). */
int eyni_keyring_seal(const eyni_keyring *kr, const void *aad, size_t aad_len, const void *in,
                      size_t n, unsigned char **out, size_t *out_len, eyni_error *err);
/* ECRYPTO when the blob was altered, sealed for other associated data, or its key is
 * unknown; *out is malloc'd. */
int eyni_keyring_open(const eyni_keyring *kr, const void *aad, size_t aad_len,
                      const unsigned char *blob, size_t n, unsigned char **out, size_t *out_len,
                      eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

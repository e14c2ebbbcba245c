/* The video desk's cameras beyond adding: the list and one camera with their live statistics
 * (written by the video service every poll), and removal (the worker stops at the
 * service's next look; the camera's alerts, the archive, stay). */
#include <stdlib.h>
#include <string.h>

#include "eyni/video_desk.h"
#include "register_int.h"

#define SEAL_BATCH 16 /* cameras sealed per transaction */

#define CAMERA_SQL                                                                                 \
    "SELECT c.id, c.name, c.url, c.sample_fps, c.created_at, s.updated_at, s.running,"             \
    " s.connected, s.decoded, s.analysed, s.dropped, s.connects, s.outages,"                       \
    " s.outage_seconds, s.tracks, s.alerts, s.last_error"                                          \
    " FROM video_cameras c LEFT JOIN video_camera_stats s ON s.camera_id = c.id"

static json_t *stats_json(eyni_stmt *st)
{
    if (eyni_stmt_is_null(st, 5))
        return json_null(); /* the service has not reported on it yet */
    json_t *o = json_pack(
        "{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I}", "updated_at", eyni_stmt_text(st, 5),
        "running", (int)eyni_stmt_int64(st, 6), "connected", (int)eyni_stmt_int64(st, 7),
        "frames_decoded", (json_int_t)eyni_stmt_int64(st, 8), "frames_analysed",
        (json_int_t)eyni_stmt_int64(st, 9), "frames_dropped", (json_int_t)eyni_stmt_int64(st, 10),
        "connects", (json_int_t)eyni_stmt_int64(st, 11), "outages",
        (json_int_t)eyni_stmt_int64(st, 12), "outage_seconds", eyni_stmt_double(st, 13), "tracks",
        (json_int_t)eyni_stmt_int64(st, 14), "alerts", (json_int_t)eyni_stmt_int64(st, 15));
    long long connects = eyni_stmt_int64(st, 11);
    json_object_set_new(o, "reconnects", json_integer(connects > 0 ? connects - 1 : 0));
    if (!eyni_stmt_is_null(st, 16))
        json_object_set_new(o, "last_error", json_string(eyni_stmt_text(st, 16)));
    return o;
}

static json_t *camera_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I,s:s,s:s,s:f,s:s,s:o}", "id", (json_int_t)eyni_stmt_int64(st, 0), "name",
                     eyni_stmt_text(st, 1), "url", eyni_stmt_text(st, 2), "sample_fps",
                     eyni_stmt_double(st, 3), "created_at", eyni_stmt_text(st, 4), "stats",
                     stats_json(st));
}

/* Every camera with its statistics: the desk's overview in one read. */
int eyni_desk_camera_list(eyni_register *reg, const eyni_actor *a, json_t **out, eyni_error *err)
{
    json_t *rows = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    if (rc == 0)
        rc = reg_read_rows(reg, CAMERA_SQL " ORDER BY c.id", NULL, 0, camera_row, NULL, &rows, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "cameras", rows);
    return rc;
}

int eyni_desk_camera_get(eyni_register *reg, const eyni_actor *a, long long id, json_t **out,
                         eyni_error *err)
{
    *out = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db, CAMERA_SQL " WHERE c.id = ?", &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no camera %lld", id);
    if (rc == 1) {
        rc = 0;
        *out = camera_row(st, NULL);
        if (!*out)
            rc = eyni_error_set(err, EYNI_ENOMEM, "camera: out of memory");
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

typedef struct remove_arg {
    const eyni_actor *a;
    long long id;
    char name[80];
} remove_arg;

static int remove_tx(eyni_db *db, void *p, eyni_error *err)
{
    remove_arg *x = p;
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db, "DELETE FROM video_cameras WHERE id = ? RETURNING name", &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no camera %lld", x->id);
    if (rc == 1) {
        snprintf(x->name, sizeof x->name, "%s", eyni_stmt_text(st, 0));
        rc = 0;
    }
    eyni_stmt_free(st);
    char obj[96];
    snprintf(obj, sizeof obj, "camera/%s", x->name);
    return rc ? rc
              : reg_audit_append(db, x->a, "video.camera.remove", obj, "ok",
                                 "worker stopped; alerts kept", err);
}

int eyni_desk_camera_remove(eyni_register *reg, const eyni_actor *a, long long id, char *name,
                            size_t cap, eyni_error *err)
{
    remove_arg x = {.a = a, .id = id};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    if (rc == 0)
        rc = reg_write_tx(reg, remove_tx, &x, err);
    if (rc == 0 && name && cap)
        snprintf(name, cap, "%s", x.name);
    return rc;
}

typedef struct stats_arg {
    long long id;
    const eyni_desk_camera_stats *s;
} stats_arg;

static int stats_tx(eyni_db *db, void *p, eyni_error *err)
{
    stats_arg *x = p;
    const eyni_desk_camera_stats *s = x->s;
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(
        db,
        "INSERT INTO video_camera_stats (camera_id, updated_at, running, connected, decoded,"
        " analysed, dropped, connects, outages, outage_seconds, tracks, alerts, last_error)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (camera_id) DO UPDATE SET"
        " updated_at = excluded.updated_at, running = excluded.running,"
        " connected = excluded.connected, decoded = excluded.decoded,"
        " analysed = excluded.analysed, dropped = excluded.dropped,"
        " connects = excluded.connects, outages = excluded.outages,"
        " outage_seconds = excluded.outage_seconds, tracks = excluded.tracks,"
        " alerts = excluded.alerts, last_error = excluded.last_error",
        &st, err);
    const long long ints[] = {s->running != 0, s->connected != 0, s->decoded, s->analysed,
                              s->dropped,      s->connects,       s->outages};
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->id, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 2, now, err);
    for (int i = 0; rc == 0 && i < 7; i++)
        rc = eyni_stmt_bind_int64(st, 3 + i, ints[i], err);
    if (rc == 0)
        rc = eyni_stmt_bind_double(st, 10, s->outage_seconds, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 11, s->tracks, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 12, s->alerts, err);
    if (rc == 0)
        rc = s->last_error && s->last_error[0] ? eyni_stmt_bind_text(st, 13, s->last_error, err)
                                               : eyni_stmt_bind_null(st, 13, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

int eyni_desk_camera_stats_put(eyni_register *reg, const eyni_actor *a, long long id,
                               const eyni_desk_camera_stats *s, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    if (rc == 0 && (s->decoded < 0 || s->analysed < 0 || s->dropped < 0 || s->connects < 0 ||
                    s->outages < 0 || s->tracks < 0 || s->alerts < 0 || !(s->outage_seconds >= 0)))
        rc = eyni_error_set(err, EYNI_EINVAL, "camera statistics cannot be negative");
    stats_arg x = {.id = id, .s = s};
    if (rc == 0)
        rc = reg_write_tx(reg, stats_tx, &x, err);
    return rc;
}

/* ---- stream addresses with a password ----------------------------------------------------- */

int eyni_desk_url_masked(const char *url, char *out, size_t cap)
{
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : NULL;
    const char *end = auth ? auth + strcspn(auth, "/?#") : NULL;
    const char *at = auth ? memchr(auth, '@', (size_t)(end - auth)) : NULL;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        snprintf(out, cap, "%s", url);
        return 0;
    }
    snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
    return 1;
}

static void url_aad(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "video:camera-url:%s", name);
}

int reg_desk_seal_url(eyni_register *reg, const char *name, const char *url, unsigned char **blob,
                      size_t *len, eyni_error *err)
{
    char aad[128];
    url_aad(aad, sizeof aad, name);
    int rc = reg_desk_need_keys(reg, err);
    return rc ? rc
              : eyni_keyring_seal(reg->keys, aad, strlen(aad), (const unsigned char *)url,
                                  strlen(url), blob, len, err);
}

/* The row's address: opened from its seal when it has one. */
static int url_of(eyni_register *reg, eyni_stmt *st, char *out, size_t cap, eyni_error *err)
{
    if (eyni_stmt_is_null(st, 2)) {
        snprintf(out, cap, "%s", eyni_stmt_text(st, 1));
        return 0;
    }
    char aad[128];
    size_t n = 0, len = 0;
    const unsigned char *blob = eyni_stmt_blob(st, 2, &n);
    unsigned char *url = NULL;
    url_aad(aad, sizeof aad, eyni_stmt_text(st, 0));
    int rc = reg_desk_need_keys(reg, err);
    if (rc == 0)
        rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, &url, &len, err);
    if (rc == 0 && len >= cap)
        rc = eyni_error_set(err, EYNI_ELIMIT, "camera address longer than %zu bytes", cap - 1);
    if (rc == 0)
        snprintf(out, cap, "%.*s", (int)len, (const char *)url);
    free(url);
    return rc;
}

int eyni_desk_camera_url(eyni_register *reg, const eyni_actor *a, long long id, char *out,
                         size_t cap, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db, "SELECT name, url, url_sealed FROM video_cameras WHERE id = ?", &st,
                         err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no camera %lld", id);
    if (rc == 1)
        rc = url_of(reg, st, out, cap, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

typedef struct seal_arg {
    eyni_register *reg;
    const eyni_actor *a;
    long long n;
    int batch; /* cameras found by the last transaction */
} seal_arg;

/* One camera whose address holds a clear password: sealed, masked, audited. */
static int seal_one(eyni_db *db, seal_arg *x, const char *name, const char *url, eyni_error *err)
{
    char shown[EYNI_DESK_MAX_URL], obj[96];
    unsigned char *blob = NULL;
    size_t len = 0;
    eyni_desk_url_masked(url, shown, sizeof shown);
    int rc = reg_desk_seal_url(x->reg, name, url, &blob, &len, err);
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_db_prepare(db, "UPDATE video_cameras SET url = ?, url_sealed = ? WHERE name = ?",
                             &st, err);
    if (rc == 0 && (rc = eyni_stmt_bind_text(st, 1, shown, err)) == 0 &&
        (rc = eyni_stmt_bind_blob(st, 2, blob, len, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 3, name, err)) == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    free(blob);
    snprintf(obj, sizeof obj, "camera/%s", name);
    x->n += rc == 0;
    return rc ? rc
              : reg_audit_append(db, x->a, "video.camera.seal", obj, "ok", "stream password sealed",
                                 err);
}

static int seal_tx(eyni_db *db, void *p, eyni_error *err)
{
    seal_arg *x = p;
    char names[SEAL_BATCH][80], urls[SEAL_BATCH][EYNI_DESK_MAX_URL], shown[EYNI_DESK_MAX_URL];
    int k = 0;
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db, "SELECT name, url FROM video_cameras WHERE url_sealed IS NULL",
                             &st, err);
    while (rc == 0 && k < SEAL_BATCH && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        if (!eyni_desk_url_masked(eyni_stmt_text(st, 1), shown, sizeof shown))
            continue;
        snprintf(names[k], sizeof names[k], "%s", eyni_stmt_text(st, 0));
        snprintf(urls[k], sizeof urls[k], "%s", eyni_stmt_text(st, 1));
        k++;
    }
    eyni_stmt_free(st);
    x->batch = k;
    for (int i = 0; rc == 0 && i < k; i++)
        rc = seal_one(db, x, names[i], urls[i], err);
    return rc;
}

int eyni_desk_camera_seal_urls(eyni_register *reg, const eyni_actor *a, long long *n,
                               eyni_error *err)
{
    seal_arg x = {.reg = reg, .a = a};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    do /* a batch at a time; every camera sealed leaves the candidates */
        rc = rc ? rc : reg_write_tx(reg, seal_tx, &x, err);
    while (rc == 0 && x.batch == SEAL_BATCH);
    *n = x.n;
    return rc;
}

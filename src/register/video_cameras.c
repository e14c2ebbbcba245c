/* The video desk's cameras beyond adding: the list and one camera with their live statistics
 * (written by the video service every poll), and removal (the worker stops at the
 * service's next look; the camera's alerts, the archive, stay). */
#include <stdlib.h>
#include <string.h>

#include "eyni/video_desk.h"
#include "register_int.h"

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

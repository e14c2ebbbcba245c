/* The video desk's records: cameras, sealed wanted faces, alerts with sealed snapshots,
 * decisions once, retention, roles and the audit trail. */
#include <math.h>

#include "eyni/video_desk.h"
#include "reg_migrate.h"

static void unit(float *v, int seed)
{
    double n = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        v[i] = (float)sin(i * 0.37 + seed);
        n += v[i] * v[i];
    }
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        v[i] = (float)(v[i] / sqrt(n));
}

typedef struct seen {
    int n, copies;
    float first[EYNI_FACE_DIM], copy[EYNI_FACE_DIM];
} seen;

static int collect(long long id, const char *label, const float emb[EYNI_FACE_DIM],
                   const float *blurred, void *ctx)
{
    seen *s = ctx;
    if (s->n++ == 0)
        memcpy(s->first, emb, sizeof s->first);
    if (blurred && s->copies++ == 0)
        memcpy(s->copy, blurred, sizeof s->copy);
    return 0;
}

static void test_cameras_and_wanted(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-cam");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    eyni_error err;
    json_t *out = NULL, *in = fixture_json("{\"name\":\"gate-1\",\"url\":\"rtsp://10.0.0.5/s\"}");
    assert_int_equal(eyni_desk_camera_add(r, &border, in, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), 0);
    json_decref(out);
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), EYNI_EEXIST);
    assert_string_equal(err.msg, "a camera named gate-1 already exists");
    json_decref(in);
    static const char *bad[] = {"{\"name\":\"a b\",\"url\":\"x\"}", "{\"name\":\"a\"}",
                                "{\"name\":\"a\",\"url\":\"x\",\"sample_fps\":99}",
                                "{\"name\":\"a\",\"url\":\"x\",\"extra\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = fixture_json(bad[i]);
        assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), EYNI_EFORMAT);
        json_decref(in);
    }
    assert_int_equal(eyni_desk_camera_list(r, &police, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "cameras")), 1);
    /* not reported on yet: the statistics are null, not zeros */
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(out, "cameras"), 0), "stats")));
    json_decref(out);
    float e1[EYNI_FACE_DIM], e2[EYNI_FACE_DIM];
    unit(e1, 1);
    unit(e2, 2);
    long long id = 0;
    assert_int_equal(eyni_desk_wanted_add(r, &police, "A", NULL, NULL, e1, NULL, &id, &err),
                     EYNI_EFORMAT); /* no legal reason */
    assert_int_equal(eyni_desk_wanted_add(r, &police, "A", NULL, "warrant 1", e1, NULL, &id, &err),
                     0);
    assert_int_equal(eyni_desk_wanted_add(r, &police, "B", NULL, "warrant 2", e2, e1, &id, &err),
                     0);
    seen s = {0};
    assert_int_equal(eyni_desk_wanted_each(r, &police, 0, collect, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_true(eyni_face_compare(s.first, e1) > 0.99f); /* the sealed template comes back */
    assert_int_equal(s.copies, 1);                       /* and B's blurred copy with it */
    assert_true(eyni_face_compare(s.copy, e1) > 0.99f);
    s.n = 0;
    assert_int_equal(eyni_desk_wanted_each(r, &police, id, collect, &s, &err), 0);
    assert_int_equal(s.n, 0);
    eyni_register_close(r);
}

static void test_alerts(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-alert");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor registrar = fixture_actor(EYNI_ROLE_REGISTRAR, "watch");
    eyni_error err;
    unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9};
    eyni_desk_alert al = {.camera = "gate-1",
                          .track = 7,
                          .wanted_id = 2,
                          .label = "B",
                          .score = 0.61,
                          .fmr = 1e-6,
                          .normalised = 1,
                          .norm = 7.25,
                          .threshold = 6.125,
                          .stream_time = 3.2,
                          .seen_at = "2026-12-03T07:00:00.000000Z",
                          .jpeg = jpeg,
                          .jpeg_len = sizeof jpeg};
    long long id = 0;
    al.norm = NAN; /* a score that is not a number is refused, nothing stored */
    assert_int_equal(eyni_desk_alert_record(r, &police, &al, &id, &err), EYNI_EINVAL);
    al.norm = 7.25;
    assert_int_equal(eyni_desk_alert_record(r, &police, &al, &id, &err), 0);
    json_t *out = NULL;
    assert_int_equal(eyni_desk_alert_list(r, &registrar, 0, NULL, 10, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, "open", 10, &out, &err), 0);
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "label")), "B");
    assert_true(json_is_true(json_object_get(ev, "snapshot")));
    /* the archive keeps the score the alert was raised on and the operating point then */
    assert_true(json_real_value(json_object_get(ev, "norm")) == 7.25);
    assert_true(json_real_value(json_object_get(ev, "threshold")) == 6.125);
    assert_int_equal(json_array_size(json_object_get(out, "events")), 1);
    json_decref(out);
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, "bogus", 10, &out, &err), EYNI_EFORMAT);
    unsigned char *img = NULL;
    size_t len = 0;
    assert_int_equal(eyni_desk_alert_snapshot(r, &police, id, &img, &len, &err), 0);
    assert_int_equal(len, sizeof jpeg);
    assert_memory_equal(img, jpeg, len);
    free(img);
    assert_int_equal(eyni_desk_alert_decide(r, &police, id, "maybe", NULL, 0, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_desk_alert_decide(r, &police, id, "dismissed", "not him", 0, &err), 0);
    assert_int_equal(eyni_desk_alert_decide(r, &police, id, "acknowledged", NULL, 0, &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, "dismissed", 10, &out, &err), 0);
    ev = json_array_get(json_object_get(out, "events"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "note")), "not him");
    json_decref(out);
    /* the audit trail names each step */
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.object = NULL, .action = "video.alert.decide"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "entries")), 1);
    json_decref(out);
    /* retention: an alert seen long ago goes, a recent one stays */
    char now[32];
    eyni_time_now_iso(now);
    al.seen_at = "2020-01-01T00:00:00.000000Z";
    assert_int_equal(eyni_desk_alert_record(r, &police, &al, &id, &err), 0);
    al.seen_at = now;
    assert_int_equal(eyni_desk_alert_record(r, &police, &al, &id, &err), 0);
    long long n = -1;
    assert_int_equal(eyni_desk_purge(r, &police, 30, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, "open", 10, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "events")), 1);
    json_decref(out);
    assert_int_equal(eyni_desk_purge(r, &police, 0, &n, &err), EYNI_EINVAL);
    eyni_register_close(r);
}

/* A camera's statistics as the service reports them, its removal (audited) and its alerts
 * staying behind as the archive. */
static void test_camera_stats_and_removal(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-cam-stats");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    eyni_error err;
    json_t *out = NULL, *in = fixture_json("{\"name\":\"gate-2\",\"url\":\"udp://127.0.0.1:9\"}");
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), 0);
    json_decref(in);
    long long cam = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    assert_int_equal(eyni_desk_camera_get(r, &police, cam, &out, &err), 0);
    assert_true(json_is_null(json_object_get(out, "stats"))); /* nothing reported yet */
    json_decref(out);
    eyni_desk_camera_stats st = {.running = 1,
                                 .connected = 0,
                                 .decoded = 500,
                                 .analysed = 100,
                                 .dropped = 7,
                                 .connects = 3,
                                 .outages = 2,
                                 .tracks = 12,
                                 .alerts = 1,
                                 .outage_seconds = 4.5,
                                 .last_error = "gone"};
    assert_int_equal(eyni_desk_camera_stats_put(r, &border, cam, &st, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_camera_stats_put(r, &police, cam, &st, &err), 0);
    st.dropped = 9;
    assert_int_equal(eyni_desk_camera_stats_put(r, &police, cam, &st, &err), 0); /* replaces */
    st.tracks = -1;
    assert_int_equal(eyni_desk_camera_stats_put(r, &police, cam, &st, &err), EYNI_EINVAL);
    assert_int_equal(eyni_desk_camera_get(r, &border, cam, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_camera_get(r, &police, cam, &out, &err), 0);
    json_t *s = json_object_get(out, "stats");
    assert_int_equal(json_integer_value(json_object_get(s, "frames_dropped")), 9);
    assert_int_equal(json_integer_value(json_object_get(s, "frames_analysed")), 100);
    assert_int_equal(json_integer_value(json_object_get(s, "reconnects")), 2);
    assert_true(json_real_value(json_object_get(s, "outage_seconds")) == 4.5);
    assert_string_equal(json_string_value(json_object_get(s, "last_error")), "gone");
    json_decref(out);
    /* the list carries each camera's statistics too (the console's overview in one read) */
    assert_int_equal(eyni_desk_camera_list(r, &police, &out, &err), 0);
    json_t *listed = json_array_get(json_object_get(out, "cameras"), 0);
    assert_int_equal(json_integer_value(json_object_get(listed, "id")), cam);
    s = json_object_get(listed, "stats");
    assert_int_equal(json_integer_value(json_object_get(s, "frames_dropped")), 9);
    assert_string_equal(json_string_value(json_object_get(s, "last_error")), "gone");
    json_decref(out);
    /* an alert of the camera, then the camera goes: the alert stays */
    eyni_desk_alert al = {.camera = "gate-2",
                          .track = 1,
                          .wanted_id = 1,
                          .label = "A",
                          .score = 0.6,
                          .fmr = 1e-6,
                          .stream_time = 1,
                          .seen_at = "2026-12-03T07:00:00.000000Z"};
    long long aid = 0;
    char name[80];
    assert_int_equal(eyni_desk_alert_record(r, &police, &al, &aid, &err), 0);
    assert_int_equal(eyni_desk_camera_remove(r, &border, cam, name, sizeof name, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_camera_remove(r, &police, cam, name, sizeof name, &err), 0);
    assert_string_equal(name, "gate-2");
    assert_int_equal(eyni_desk_camera_remove(r, &police, cam, name, sizeof name, &err),
                     EYNI_ENOTFOUND);
    assert_int_equal(eyni_desk_camera_get(r, &police, cam, &out, &err), EYNI_ENOTFOUND);
    /* the statistics went with the camera: a report for it now fails */
    st.tracks = 1;
    assert_int_not_equal(eyni_desk_camera_stats_put(r, &police, cam, &st, &err), 0);
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, NULL, 10, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "events")), 1);
    /* raised on the raw score (no cohort, no threshold given): neither is claimed */
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    assert_null(json_object_get(ev, "norm"));
    assert_null(json_object_get(ev, "threshold"));
    json_decref(out);
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.object = NULL, .action = "video.camera.remove"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "entries")), 1);
    json_decref(out);
    eyni_register_close(r);
}

static int note_removed(long long id, void *ctx)
{
    long long *last = ctx;
    *last = id;
    return 0;
}

/* A wanted face removed when its warrant ends: audited with the reason, gone from the
 * service's gallery load, its templates emptied, its record kept; the service learns of the
 * removal once, from a time cursor. */
static void test_wanted_removal(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-wanted-rm");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    eyni_error err;
    float e1[EYNI_FACE_DIM], e2[EYNI_FACE_DIM];
    unit(e1, 1);
    unit(e2, 2);
    long long a = 0, b = 0, last = 0;
    assert_int_equal(eyni_desk_wanted_add(r, &police, "A", NULL, "warrant 1", e1, e2, &a, &err), 0);
    assert_int_equal(eyni_desk_wanted_add(r, &police, "B", NULL, "warrant 2", e2, NULL, &b, &err),
                     0);
    char since[64] = "";
    assert_int_equal(
        eyni_desk_wanted_removed(r, &police, since, sizeof since, note_removed, &last, &err), 0);
    assert_int_equal(last, 0); /* nothing removed yet */
    assert_int_equal(eyni_desk_wanted_remove(r, &border, a, "warrant withdrawn", &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_wanted_remove(r, &police, a, "", &err), EYNI_EFORMAT);
    assert_int_equal(eyni_desk_wanted_remove(r, &police, a, "warrant withdrawn", &err), 0);
    assert_int_equal(eyni_desk_wanted_remove(r, &police, a, "again", &err), EYNI_ENOTFOUND);
    assert_int_equal(eyni_desk_wanted_remove(r, &police, 999, "unknown", &err), EYNI_ENOTFOUND);
    seen s = {0};
    assert_int_equal(eyni_desk_wanted_each(r, &police, 0, collect, &s, &err), 0);
    assert_int_equal(s.n, 1); /* only B is loaded */
    assert_true(eyni_face_compare(s.first, e2) > 0.99f);
    /* the service hears of the removal, and then not again unless another comes */
    assert_int_equal(
        eyni_desk_wanted_removed(r, &police, since, sizeof since, note_removed, &last, &err), 0);
    assert_int_equal(last, a);
    assert_true(since[0] != 0);
    /* the list: B in force; with the removed, A with who removed it and why */
    json_t *out = NULL;
    assert_int_equal(eyni_desk_wanted_list(r, &border, 0, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_wanted_list(r, &police, 0, &out, &err), 0);
    json_t *list = json_object_get(out, "wanted");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "label")), "B");
    assert_null(json_object_get(json_array_get(list, 0), "removed_at"));
    json_decref(out);
    assert_int_equal(eyni_desk_wanted_list(r, &police, 1, &out, &err), 0);
    json_t *gone = json_array_get(json_object_get(out, "wanted"), 0);
    assert_string_equal(json_string_value(json_object_get(gone, "label")), "A");
    assert_string_equal(json_string_value(json_object_get(gone, "reason")), "warrant 1");
    assert_string_equal(json_string_value(json_object_get(gone, "removal_reason")),
                        "warrant withdrawn");
    assert_string_equal(json_string_value(json_object_get(gone, "removed_by")), police.id);
    assert_non_null(json_object_get(gone, "removed_at"));
    json_decref(out);
    /* nothing biometric is left of A */
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    assert_int_equal(eyni_store_acquire(eyni_register_store(r), &db, &err), 0);
    assert_int_equal(
        eyni_db_prepare(db, "SELECT template FROM video_wanted ORDER BY id", &st, &err), 0);
    size_t len = 99;
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    (void)eyni_stmt_blob(st, 0, &len);
    assert_int_equal(len, 0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    (void)eyni_stmt_blob(st, 0, &len);
    assert_true(len > 0);
    eyni_stmt_free(st);
    eyni_store_release(eyni_register_store(r), db);
    /* the removal is in the audit log with its reason */
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.action = "video.wanted.remove"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "entries")), 1);
    json_t *entry = json_array_get(json_object_get(out, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(entry, "detail")), "warrant withdrawn");
    json_decref(out);
    eyni_register_close(r);
}

/* Migration 15 adds the normalised score and the threshold to video_alerts: an alert stored
 * before it stays, with neither, and a new one keeps both. */
static void test_alerts_survive_migration_15(void **state)
{
    (void)state;
    const eyni_migration *all = NULL;
    int n = 0;
    eyni_store *s = fixture_store_before("migration15", 15, &all, &n);
    eyni_error err;
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    const char *old = "INSERT INTO video_alerts (id, camera, track, wanted_id, label, score, fmr,"
                      " stream_time, seen_at) VALUES (4, 'gate-1', 1, 2, 'B', 0.6, 1e-6, 2.5, 't')";
    assert_int_equal(eyni_db_exec(db, old, &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE video_alerts SET norm = 1", &err), 0);
    eyni_store_release(s, db);
    assert_int_equal(eyni_store_migrate(s, all, n, &err), 0);
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(eyni_db_exec(db,
                                  "INSERT INTO video_alerts (id, camera, track, wanted_id, label,"
                                  " score, fmr, stream_time, seen_at, norm, threshold) VALUES"
                                  " (5, 'gate-1', 2, 2, 'B', 0.6, 1e-6, 3.5, 't', 7.5, 6.25)",
                                  &err),
                     0);
    eyni_stmt *st = NULL;
    assert_int_equal(eyni_db_prepare(db,
                                     "SELECT id, label, norm, threshold FROM video_alerts"
                                     " ORDER BY id",
                                     &st, &err),
                     0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    assert_int_equal(eyni_stmt_int64(st, 0), 4);
    assert_string_equal(eyni_stmt_text(st, 1), "B");
    assert_true(eyni_stmt_is_null(st, 2) && eyni_stmt_is_null(st, 3));
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    assert_true(eyni_stmt_double(st, 2) == 7.5 && eyni_stmt_double(st, 3) == 6.25);
    assert_int_equal(eyni_stmt_step(st, &err), 0);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
    eyni_store_close(s);
}

/* Migration 16 adds the removal columns: a wanted face stored before it stays in force. */
static void test_wanted_survive_migration_16(void **state)
{
    (void)state;
    const eyni_migration *all = NULL;
    int n = 0;
    eyni_store *s = fixture_store_before("migration16", 16, &all, &n);
    eyni_error err;
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(eyni_db_exec(db,
                                  "INSERT INTO video_wanted (id, label, reason, template, added_at,"
                                  " added_by) VALUES (3, 'A', 'warrant 1', 'x', 't', 'k')",
                                  &err),
                     0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE video_wanted SET removed_at = 't'", &err), 0);
    eyni_store_release(s, db);
    assert_int_equal(eyni_store_migrate(s, all, n, &err), 0);
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    eyni_stmt *st = NULL;
    assert_int_equal(eyni_db_prepare(db,
                                     "SELECT id, removed_at, removed_by, removal_reason"
                                     " FROM video_wanted",
                                     &st, &err),
                     0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    assert_int_equal(eyni_stmt_int64(st, 0), 3);
    for (int c = 1; c <= 3; c++)
        assert_true(eyni_stmt_is_null(st, c));
    assert_int_equal(eyni_stmt_step(st, &err), 0);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
    eyni_store_close(s);
}

typedef struct taught {
    int n;
    long long alert, wanted;
    float emb[EYNI_FACE_DIM];
} taught;

static int learn(long long alert_id, long long wanted_id, const float emb[EYNI_FACE_DIM], void *ctx)
{
    taught *t = ctx;
    t->n++;
    t->alert = alert_id;
    t->wanted = wanted_id;
    memcpy(t->emb, emb, sizeof t->emb);
    return 0;
}

static long long record(eyni_register *r, const eyni_actor *a, long long wanted, long long track,
                        const float *probe)
{
    eyni_desk_alert al = {.camera = "gate-1",
                          .track = track,
                          .wanted_id = wanted,
                          .label = "A",
                          .score = 0.55,
                          .fmr = 1e-6,
                          .stream_time = 1,
                          .seen_at = "2026-12-04T07:00:00.000000Z",
                          .probe = probe};
    eyni_error err;
    long long id = 0;
    assert_int_equal(eyni_desk_alert_record(r, a, &al, &id, &err), 0);
    return id;
}

static void marked_ids(eyni_register *r, const eyni_actor *a, long long *ids, size_t *n)
{
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_desk_lookalike_marked(r, a, &out, &err), 0);
    *n = json_array_size(out);
    for (size_t i = 0; i < *n && i < 4; i++)
        ids[i] = json_integer_value(json_array_get(out, i));
    json_decref(out);
}

static json_t *listed_alert(eyni_register *r, const eyni_actor *a, long long id)
{
    json_t *out = NULL, *found = NULL;
    eyni_error err;
    assert_int_equal(eyni_desk_alert_list(r, a, id - 1, NULL, 1, &out, &err), 0);
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    if (json_integer_value(json_object_get(ev, "id")) == id)
        found = json_incref(ev);
    json_decref(out);
    assert_non_null(found);
    return found;
}

/* Matches a look-alike held back are kept against its alert: the listed alert says how many
 * and when the last was; bad records refused; audited; purged with the alerts. */
static void check_held(eyni_register *r, const eyni_actor *police, const eyni_actor *border,
                       long long look, long long wanted)
{
    eyni_error err;
    eyni_desk_held h = {.camera = "gate-1",
                        .track = 7,
                        .wanted_id = wanted,
                        .score = 0.52,
                        .lookalike = look,
                        .lookalike_score = 0.91,
                        .seen_at = "2000-01-01T00:00:00.000000Z"};
    assert_int_equal(eyni_desk_held_record(r, border, &h, &err), EYNI_EPERM);
    h.lookalike = 0;
    assert_int_equal(eyni_desk_held_record(r, police, &h, &err), EYNI_EINVAL);
    h.lookalike = look;
    h.score = NAN;
    assert_int_equal(eyni_desk_held_record(r, police, &h, &err), EYNI_EINVAL);
    h.score = 0.52;
    assert_int_equal(eyni_desk_held_record(r, police, &h, &err), 0);
    h.seen_at = "2026-12-04T08:00:00.000000Z";
    h.track = 8;
    assert_int_equal(eyni_desk_held_record(r, police, &h, &err), 0);
    json_t *ev = listed_alert(r, police, look);
    assert_int_equal(json_integer_value(json_object_get(ev, "held")), 2);
    assert_string_equal(json_string_value(json_object_get(ev, "held_last")),
                        "2026-12-04T08:00:00.000000Z");
    json_decref(ev);
    eyni_actor op;
    json_t *out = NULL;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.action = "video.held"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "entries")), 2);
    json_decref(out);
    /* the retention period ends for the first (the alerts, seen in 2026, stay) */
    long long n = 0;
    assert_int_equal(eyni_desk_purge(r, police, 3650, &n, &err), 0);
    ev = listed_alert(r, police, look);
    assert_int_equal(json_integer_value(json_object_get(ev, "held")), 1);
    json_decref(ev);
}

/* A second look-alike of the same face, dismissed wrongly, is revoked: a reason is required,
 * only a marked alert can be, once; its mark goes from the list and from the ids the service
 * keeps, the first stays; audited with the reason; the revoked face is not handed out again. */
static void check_revoke(eyni_register *r, const eyni_actor *police, const eyni_actor *border,
                         long long first, long long bare, long long wanted)
{
    eyni_error err;
    long long ids[4];
    size_t n = 0;
    float face[EYNI_FACE_DIM];
    unit(face, 6);
    long long id = record(r, police, wanted, 3, face);
    assert_int_equal(eyni_desk_alert_decide(r, police, id, "dismissed", "not him", 1, &err), 0);
    marked_ids(r, police, ids, &n);
    assert_true(n == 2 && ids[0] == first && ids[1] == id);
    assert_int_equal(eyni_desk_lookalike_revoke(r, police, id, "", &err), EYNI_EFORMAT);
    assert_int_equal(eyni_desk_lookalike_revoke(r, border, id, "him", &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_lookalike_marked(r, border, (json_t *[]){NULL}, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_lookalike_revoke(r, police, bare, "him", &err), EYNI_ECONFLICT);
    assert_int_equal(eyni_desk_lookalike_revoke(r, police, id + 99, "him", &err), EYNI_ECONFLICT);
    assert_int_equal(eyni_desk_lookalike_revoke(r, police, id, "it was him", &err), 0);
    assert_int_equal(eyni_desk_lookalike_revoke(r, police, id, "again", &err), EYNI_ECONFLICT);
    marked_ids(r, police, ids, &n);
    assert_true(n == 1 && ids[0] == first);
    json_t *out = NULL;
    assert_int_equal(eyni_desk_alert_list(r, police, bare, "dismissed", 10, &out, &err), 0);
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    assert_int_equal(json_integer_value(json_object_get(ev, "id")), id);
    assert_null(json_object_get(ev, "lookalike"));
    json_decref(out);
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.action = "video.lookalike.revoke"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    json_t *lines = json_object_get(out, "entries");
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "detail")),
                        "it was him");
    json_decref(out);
    char since[64] = "";
    taught t = {0};
    assert_int_equal(eyni_desk_lookalikes(r, police, since, sizeof since, learn, &t, &err), 0);
    assert_true(t.n == 1 && t.alert == first);
}

/* A face dismissed as a look-alike comes back sealed to the service, once per decision, while
 * its wanted face is in force; an alert kept without its face cannot be one. */
static void test_lookalikes(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-lookalike");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    eyni_error err;
    float photo[EYNI_FACE_DIM], face[EYNI_FACE_DIM];
    unit(photo, 1);
    unit(face, 5);
    long long wanted = 0;
    assert_int_equal(
        eyni_desk_wanted_add(r, &police, "A", NULL, "warrant 1", photo, NULL, &wanted, &err), 0);
    long long id = record(r, &police, wanted, 1, face), bare = record(r, &police, wanted, 2, NULL);
    char since[64] = "";
    taught t = {0};
    assert_int_equal(eyni_desk_lookalikes(r, &police, since, sizeof since, learn, &t, &err), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(eyni_desk_alert_decide(r, &police, id, "acknowledged", NULL, 1, &err),
                     EYNI_EINVAL);
    assert_int_equal(eyni_desk_alert_decide(r, &police, bare, "dismissed", "not him", 1, &err),
                     EYNI_EINVAL);
    assert_non_null(strstr(err.msg, "without its face"));
    assert_int_equal(eyni_desk_alert_decide(r, &border, id, "dismissed", "not him", 1, &err),
                     EYNI_EPERM);
    assert_int_equal(eyni_desk_alert_decide(r, &police, id, "dismissed", "not him", 1, &err), 0);
    assert_int_equal(eyni_desk_alert_decide(r, &police, bare, "dismissed", "not him", 0, &err), 0);
    assert_int_equal(eyni_desk_lookalikes(r, &border, since, sizeof since, learn, &t, &err),
                     EYNI_EPERM);
    assert_int_equal(eyni_desk_lookalikes(r, &police, since, sizeof since, learn, &t, &err), 0);
    assert_true(t.n == 1 && t.alert == id && t.wanted == wanted);
    assert_true(eyni_face_compare(t.emb, face) > 0.99f); /* the sealed template comes back */
    assert_true(since[0] != 0);
    json_t *out = NULL;
    assert_int_equal(eyni_desk_alert_list(r, &police, 0, "dismissed", 10, &out, &err), 0);
    json_t *ev = json_object_get(out, "events");
    assert_true(json_is_true(json_object_get(json_array_get(ev, 0), "lookalike")));
    assert_null(json_object_get(json_array_get(ev, 1), "lookalike"));
    json_decref(out);
    /* the audit trail says the decision was a look-alike, and that the faces were read */
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.action = "video.lookalike.load"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &out, &err), 0);
    assert_true(json_array_size(json_object_get(out, "entries")) >= 1);
    json_decref(out);
    check_held(r, &police, &border, id, wanted);
    check_revoke(r, &police, &border, id, bare, wanted);
    /* once the warrant ends the face is no longer handed out */
    assert_int_equal(eyni_desk_wanted_remove(r, &police, wanted, "warrant ended", &err), 0);
    t.n = 0;
    since[0] = 0;
    assert_int_equal(eyni_desk_lookalikes(r, &police, since, sizeof since, learn, &t, &err), 0);
    assert_int_equal(t.n, 0);
    eyni_register_close(r);
}

static int count_decision(long long alert_id, const char *decision, const char *decided_by,
                          int lookalike, void *ctx)
{
    long long *last = ctx;
    *last = alert_id;
    assert_string_equal(decision, "acknowledged");
    assert_int_equal(strncmp(decided_by, "local:", 6), 0);
    return 0;
}

/* Decisions taken with the command line (local actors) are handed to the service once each;
 * those taken with a key (over the API, announced by the server) are not. */
static void test_local_decisions(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-local-decisions");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch"), local;
    eyni_actor_local(&local, "LOCAL", "test");
    eyni_error err;
    float face[EYNI_FACE_DIM];
    unit(face, 3);
    long long a1 = record(r, &police, 1, 1, face), a2 = record(r, &police, 1, 2, face);
    char since[64];
    eyni_time_now_iso(since);
    assert_int_equal(eyni_desk_alert_decide(r, &police, a1, "dismissed", "not him", 0, &err), 0);
    assert_int_equal(eyni_desk_alert_decide(r, &local, a2, "acknowledged", NULL, 0, &err), 0);
    long long heard = 0;
    assert_int_equal(
        eyni_desk_local_decisions(r, &police, since, sizeof since, count_decision, &heard, &err),
        0);
    assert_int_equal(heard, a2);
    heard = 0;
    assert_int_equal(
        eyni_desk_local_decisions(r, &police, since, sizeof since, count_decision, &heard, &err),
        0);
    assert_int_equal(heard, 0); /* once */
    eyni_register_close(r);
}

/* The url column as stored, and whether a sealed copy is kept. */
static void stored_url(eyni_register *r, const char *name, char *out, size_t cap, int *sealed)
{
    eyni_error err;
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    eyni_store *s = eyni_register_store(r);
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(
        eyni_db_prepare(db, "SELECT url, url_sealed IS NOT NULL FROM video_cameras WHERE name = ?",
                        &st, &err),
        0);
    assert_int_equal(eyni_stmt_bind_text(st, 1, name, &err), 0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    snprintf(out, cap, "%s", eyni_stmt_text(st, 0));
    *sealed = (int)eyni_stmt_int64(st, 1);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
}

/* A camera's password is stored only sealed: every reader sees user:***, the service opens the
 * whole address; one stored in clear before schema version 18 is sealed by the service's pass;
 * without a data key such a camera is refused. */
/* A person watchlist owned by DIN, visible to the agencies given (a JSON list). */
static void watch_list(eyni_register *r, const char *code, const char *from, const char *visible)
{
    eyni_actor din = fixture_actor(EYNI_ROLE_POLICE, "wanted persons list");
    snprintf(din.agency, sizeof din.agency, "DIN");
    char body[512];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"name\":\"%s list\",\"kind\":\"person\",\"legal_basis\":"
             "\"court order\",\"valid_from\":\"%s\",\"visible_to\":[%s]}",
             code, code, from, visible);
    json_t *in = fixture_json(body), *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_watchlist_create(r, &din, in, &out, &err), 0);
    json_decref(in);
    json_decref(out);
}

/* An entry with n faces: the rows as the border enrolment leaves them (the listing reads no
 * template, so a stand-in blob does). */
static long long watch_person(eyni_register *r, const char *list, const char *surname, int n)
{
    eyni_actor din = fixture_actor(EYNI_ROLE_POLICE, "wanted persons list");
    snprintf(din.agency, sizeof din.agency, "DIN");
    char body[256];
    snprintf(body, sizeof body,
             "{\"surname\":\"%s\",\"given_name\":\"Ali\",\"reason\":\"warrant of %s\"}", surname,
             surname);
    json_t *in = fixture_json(body), *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_watch_add(r, &din, list, in, &out, &err), 0);
    long long entry = json_integer_value(json_object_get(out, "entry"));
    json_decref(in);
    json_decref(out);
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(eyni_register_store(r), &db, &err), 0);
    for (int i = 0; i < n; i++) {
        eyni_stmt *st = NULL;
        assert_int_equal(
            eyni_db_prepare(db,
                            "INSERT INTO watch_biometrics (entry_id, modality, position,"
                            " template, created_at, created_by)"
                            " VALUES (?, 'face', ?, ?, '2026-01-01', 'test')",
                            &st, &err),
            0);
        assert_int_equal(eyni_stmt_bind_int64(st, 1, entry, &err), 0);
        assert_int_equal(eyni_stmt_bind_int64(st, 2, i, &err), 0);
        assert_int_equal(eyni_stmt_bind_blob(st, 3, "sealed", 6, &err), 0);
        assert_int_equal(eyni_stmt_step(st, &err), 0);
        eyni_stmt_free(st);
    }
    eyni_store_release(eyni_register_store(r), db);
    return entry;
}

static const char *listed_label(json_t *rows, long long entry)
{
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (json_integer_value(json_object_get(row, "watch_entry")) == entry)
            return json_string_value(json_object_get(row, "label"));
    }
    return NULL;
}

/* What the desk lists of the configured watchlists: entries in force with a face, on the lists
 * named, that the caller's agency may see; audited. */
static void test_watchlist_listing(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-watchlist");
    watch_list(r, "SEEN", "2020-01-01", "\"*\"");
    watch_list(r, "OWN", "2020-01-01", "\"SGB\"");
    watch_list(r, "LATER", "2099-01-01", "\"*\"");
    watch_list(r, "ASIDE", "2020-01-01", "\"*\"");
    long long two = watch_person(r, "SEEN", "Two", 2), none = watch_person(r, "SEEN", "None", 0);
    long long gone = watch_person(r, "SEEN", "Gone", 1), own = watch_person(r, "OWN", "Own", 1);
    long long later = watch_person(r, "LATER", "Later", 1);
    long long aside = watch_person(r, "ASIDE", "Aside", 1);
    eyni_actor din = fixture_actor(EYNI_ROLE_POLICE, "wanted persons list");
    snprintf(din.agency, sizeof din.agency, "DIN");
    eyni_error err;
    assert_int_equal(eyni_register_watch_remove(r, &din, "SEEN", gone, "arrested", &err), 0);
    json_t *rows = NULL;
    const char *codes = "SEEN, OWN,LATER";
    assert_int_equal(eyni_desk_watch_listed(r, &din, codes, &rows, &err), 0);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(listed_label(rows, two), "Ali Two (SEEN)");
    assert_string_equal(listed_label(rows, own), "Ali Own (OWN)");
    json_t *first = json_array_get(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "id")),
                     EYNI_DESK_WATCH_ID_BASE + two);
    assert_int_equal(json_integer_value(json_object_get(first, "faces")), 2);
    assert_string_equal(json_string_value(json_object_get(first, "reason")), "warrant of Two");
    assert_null(listed_label(rows, none));
    assert_null(listed_label(rows, later));
    assert_null(listed_label(rows, aside));
    json_decref(rows);
    /* police of another agency: not the list only DIN and SGB may see */
    eyni_actor other = fixture_actor(EYNI_ROLE_POLICE, "watch");
    assert_int_equal(eyni_desk_watch_listed(r, &other, codes, &rows, &err), 0);
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(listed_label(rows, two), "Ali Two (SEEN)");
    json_decref(rows);
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    assert_int_equal(eyni_desk_watch_listed(r, &border, codes, &rows, &err), EYNI_EPERM);
    assert_null(rows);
    assert_int_equal(eyni_desk_watch_listed(r, &din, "SEEN;DROP", &rows, &err), EYNI_EFORMAT);
    /* the two reads that answered are audited, with the codes asked for */
    eyni_actor op;
    eyni_actor_local(&op, "LOCAL", "test");
    eyni_audit_query q = {.action = "video.watchlist.list"};
    assert_int_equal(eyni_register_audit_list(r, &op, &q, &rows, &err), 0);
    assert_int_equal(json_array_size(json_object_get(rows, "entries")), 2);
    json_t *line = json_array_get(json_object_get(rows, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(line, "detail")), codes);
    json_decref(rows);
    eyni_register_close(r);
}

static int lists_alert(eyni_register *r, const eyni_actor *a, long long id)
{
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_desk_alert_list(r, a, 0, NULL, 100, &out, &err), 0);
    json_t *events = json_object_get(out, "events");
    int found = 0;
    for (size_t i = 0; i < json_array_size(events); i++)
        found |= json_integer_value(json_object_get(json_array_get(events, i), "id")) == id;
    json_decref(out);
    return found;
}

/* An alert from a watchlist entry's face reaches only the agencies that may read the list
 * (its owner, those it is shown to) and operators: listed, its snapshot, a decision; its
 * audience says so for the pushed events. An alert of a wanted face reaches every desk. */
static void test_watchlist_alert_visibility(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-watch-alerts");
    watch_list(r, "OWN", "2020-01-01", "\"SGB\"");
    long long entry = watch_person(r, "OWN", "Own", 1);
    eyni_actor service = fixture_actor(EYNI_ROLE_POLICE, "video service");
    snprintf(service.agency, sizeof service.agency, "SITE");
    unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9};
    eyni_desk_alert al = {.camera = "gate-1",
                          .track = 3,
                          .wanted_id = EYNI_DESK_WATCH_ID_BASE + entry,
                          .label = "Ali Own (OWN)",
                          .score = 0.6,
                          .fmr = 1e-6,
                          .stream_time = 2,
                          .seen_at = "2026-12-04T07:00:00.000000Z",
                          .jpeg = jpeg,
                          .jpeg_len = sizeof jpeg};
    eyni_error err;
    long long listed = 0, plain = record(r, &service, 7, 4, NULL);
    assert_int_equal(eyni_desk_alert_record(r, &service, &al, &listed, &err), 0);
    eyni_actor din = fixture_actor(EYNI_ROLE_POLICE, "watch"),
               sgb = fixture_actor(EYNI_ROLE_POLICE, "watch"),
               other = fixture_actor(EYNI_ROLE_POLICE, "watch"), op;
    snprintf(din.agency, sizeof din.agency, "DIN");
    snprintf(sgb.agency, sizeof sgb.agency, "SGB");
    eyni_actor_local(&op, "LOCAL", "test");
    assert_true(lists_alert(r, &din, listed) && lists_alert(r, &sgb, listed));
    assert_true(lists_alert(r, &op, listed));
    assert_false(lists_alert(r, &other, listed));
    assert_false(lists_alert(r, &service, listed)); /* the site chose the list, cannot read it */
    assert_true(lists_alert(r, &other, plain) && lists_alert(r, &din, plain));
    unsigned char *img = NULL;
    size_t len = 0;
    assert_int_equal(eyni_desk_alert_snapshot(r, &other, listed, &img, &len, &err), EYNI_ENOTFOUND);
    assert_int_equal(eyni_desk_alert_snapshot(r, &sgb, listed, &img, &len, &err), 0);
    assert_int_equal(len, sizeof jpeg);
    free(img);
    assert_int_equal(eyni_desk_alert_decide(r, &other, listed, "dismissed", NULL, 0, &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_desk_alert_decide(r, &din, listed, "acknowledged", NULL, 0, &err), 0);
    eyni_desk_audience aud;
    assert_int_equal(eyni_desk_alert_audience(r, listed, &aud, &err), 0);
    assert_int_equal(aud.restricted, 1);
    assert_string_equal(aud.owner, "DIN");
    assert_string_equal(aud.visible, ",SGB,");
    assert_int_equal(eyni_desk_alert_audience(r, plain, &aud, &err), 0);
    assert_int_equal(aud.restricted, 0);
    assert_int_equal(eyni_desk_alert_audience(r, listed + 99, &aud, &err), 0);
    assert_true(aud.restricted && !aud.owner[0] && !aud.visible[0]); /* unknown: operators */
    eyni_register_close(r);
}

static void test_camera_password(void **state)
{
    eyni_register *r = fixture_open_keyed("desk-cam-pw");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "watch");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "watch");
    eyni_error err;
    json_t *out = NULL, *in = fixture_json("{\"name\":\"gate-pw\",\"url\":"
                                           "\"rtsp://cam:s3cret@10.0.0.5:554/live?x=1\"}");
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), 0);
    json_decref(in);
    assert_string_equal(json_string_value(json_object_get(out, "url")),
                        "rtsp://cam:***@10.0.0.5:554/live?x=1");
    long long id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    char url[EYNI_DESK_MAX_URL];
    int sealed = 0;
    stored_url(r, "gate-pw", url, sizeof url, &sealed);
    assert_string_equal(url, "rtsp://cam:***@10.0.0.5:554/live?x=1");
    assert_int_equal(sealed, 1);
    assert_int_equal(eyni_desk_camera_list(r, &police, &out, &err), 0);
    char *text = json_dumps(out, 0);
    assert_null(strstr(text, "s3cret"));
    free(text);
    json_decref(out);
    assert_int_equal(eyni_desk_camera_url(r, &border, id, url, sizeof url, &err), EYNI_EPERM);
    assert_int_equal(eyni_desk_camera_url(r, &police, id, url, sizeof url, &err), 0);
    assert_string_equal(url, "rtsp://cam:s3cret@10.0.0.5:554/live?x=1");
    assert_int_equal(eyni_desk_camera_url(r, &police, id + 99, url, sizeof url, &err),
                     EYNI_ENOTFOUND);
    /* no password: kept as it is, not sealed */
    in = fixture_json("{\"name\":\"gate-open\",\"url\":\"rtsp://10.0.0.6/live\"}");
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), 0);
    json_decref(in);
    json_decref(out);
    stored_url(r, "gate-open", url, sizeof url, &sealed);
    assert_true(!strcmp(url, "rtsp://10.0.0.6/live") && sealed == 0);
    /* stored in clear by an earlier version: the service's pass seals it, once */
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(eyni_register_store(r), &db, &err), 0);
    assert_int_equal(eyni_db_exec(db,
                                  "INSERT INTO video_cameras (name, url, sample_fps, created_at,"
                                  " created_by) VALUES ('old', 'http://u:pw@10.0.0.7/s', 5, 't',"
                                  " 'k')",
                                  &err),
                     0);
    eyni_store_release(eyni_register_store(r), db);
    long long n = 0;
    assert_int_equal(eyni_desk_camera_seal_urls(r, &police, &n, &err), 0);
    assert_int_equal(n, 1);
    stored_url(r, "old", url, sizeof url, &sealed);
    assert_true(!strcmp(url, "http://u:***@10.0.0.7/s") && sealed == 1);
    assert_int_equal(eyni_desk_camera_seal_urls(r, &police, &n, &err), 0);
    assert_int_equal(n, 0);
    eyni_register_close(r);
    /* without a data key a password cannot be kept */
    r = fixture_open("desk-cam-pw-nokey");
    in = fixture_json("{\"name\":\"gate-pw\",\"url\":\"rtsp://cam:s3cret@10.0.0.5/live\"}");
    assert_int_equal(eyni_desk_camera_add(r, &police, in, &out, &err), EYNI_ECRYPTO);
    json_decref(in);
    eyni_register_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cameras_and_wanted),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_camera_stats_and_removal),
        cmocka_unit_test(test_alerts_survive_migration_15),
        cmocka_unit_test(test_wanted_removal),
        cmocka_unit_test(test_wanted_survive_migration_16),
        cmocka_unit_test(test_lookalikes),
        cmocka_unit_test(test_camera_password),
        cmocka_unit_test(test_watchlist_listing),
        cmocka_unit_test(test_watchlist_alert_visibility),
        cmocka_unit_test(test_local_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

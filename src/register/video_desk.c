/* The video desk's records: cameras, wanted faces (sealed templates), alerts (sealed
 * snapshots) with decisions and a retention period. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/video_desk.h"
#include "register_int.h"

int reg_desk_need_keys(const eyni_register *reg, eyni_error *err)
{
    return reg->keys ? 0
                     : eyni_error_set(err, EYNI_ECRYPTO,
                                      "no data key configured (crypto.keydir): faces and "
                                      "snapshots are only stored encrypted");
}

/* ---- cameras -------------------------------------------------------------------------- */

typedef struct cam_arg {
    const eyni_actor *a;
    const char *name, *url;
    char shown[EYNI_DESK_MAX_URL]; /* url with its password masked */
    unsigned char *sealed;         /* the whole url sealed, when it has a password */
    size_t sealed_len;
    double fps;
    long long id;
} cam_arg;

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

static int cam_insert_tx(eyni_db *db, void *p, eyni_error *err)
{
    cam_arg *c = p;
    char now[32], obj[96];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO video_cameras (name, url, sample_fps, created_at,"
                             " created_by, url_sealed) VALUES (?,?,?,?,?,?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *v[] = {c->name, c->shown};
    const char *tail[] = {now, c->a->id};
    if ((rc = reg_bind_texts(st, 1, v, 2, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 3, c->fps, err)) == 0 &&
        (rc = reg_bind_texts(st, 4, tail, 2, err)) == 0 &&
        (rc = c->sealed ? eyni_stmt_bind_blob(st, 6, c->sealed, c->sealed_len, err)
                        : eyni_stmt_bind_null(st, 6, err)) == 0)
        rc = reg_step_id(st, &c->id, err);
    eyni_stmt_free(st);
    if (rc == EYNI_EEXIST) /* the operator's words, not the store's */
        return eyni_error_set(err, EYNI_EEXIST, "a camera named %s already exists", c->name);
    snprintf(obj, sizeof obj, "camera/%s", c->name);
    return rc ? rc : reg_audit_append(db, c->a, "video.camera.add", obj, "ok", NULL, err);
}

int eyni_desk_camera_add(eyni_register *reg, const eyni_actor *a, const json_t *in, json_t **out,
                         eyni_error *err)
{
    static const char *const keys[] = {"name", "url", "sample_fps", NULL};
    cam_arg c = {.a = a, .fps = 5};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "camera", err);
    if (rc == 0 && !json_is_object(in))
        rc = eyni_error_set(err, EYNI_EFORMAT, "camera must be an object");
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "name", 64, &c.name, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "url", 1023, &c.url, err);
    if (rc == 0 && (!c.name || !name_ok(c.name)))
        rc = eyni_error_set(err, EYNI_EFORMAT, "camera name: 1..64 of A-Z a-z 0-9 - _");
    if (rc == 0 && (!c.url || !c.url[0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "camera url is required");
    json_t *f = rc == 0 ? json_object_get(in, "sample_fps") : NULL;
    if (f && (!json_is_number(f) || json_number_value(f) < 0.2 || json_number_value(f) > 30))
        rc = eyni_error_set(err, EYNI_EFORMAT, "sample_fps must be a number in 0.2..30");
    if (f && rc == 0)
        c.fps = json_number_value(f);
    /* a password in the address is kept only sealed; every reader sees user:*** */
    if (rc == 0 && eyni_desk_url_masked(c.url, c.shown, sizeof c.shown))
        rc = reg_desk_seal_url(reg, c.name, c.url, &c.sealed, &c.sealed_len, err);
    if (rc == 0)
        rc = reg_write_tx(reg, cam_insert_tx, &c, err);
    free(c.sealed);
    if (rc == 0)
        *out = json_pack("{s:I,s:s,s:s,s:f}", "id", (json_int_t)c.id, "name", c.name, "url",
                         c.shown, "sample_fps", c.fps);
    return rc;
}

/* ---- wanted faces --------------------------------------------------------------------- */

typedef struct wanted_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const char *label, *fin, *reason;
    unsigned char *blob;
    size_t len;
    long long id;
} wanted_arg;

static int wanted_tx(eyni_db *db, void *p, eyni_error *err)
{
    wanted_arg *w = p;
    char now[32], obj[64];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO video_wanted (label, fin, reason, template, added_at,"
                             " added_by) VALUES (?,?,?,?,?,?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *v[] = {w->label, w->fin, w->reason};
    const char *tail[] = {now, w->a->id};
    if ((rc = reg_bind_texts(st, 1, v, 3, err)) == 0 &&
        (rc = eyni_stmt_bind_blob(st, 4, w->blob, w->len, err)) == 0 &&
        (rc = reg_bind_texts(st, 5, tail, 2, err)) == 0)
        rc = reg_step_id(st, &w->id, err);
    eyni_stmt_free(st);
    snprintf(obj, sizeof obj, "wanted/%lld", w->id);
    return rc ? rc : reg_audit_append(db, w->a, "video.wanted.add", obj, "ok", w->reason, err);
}

int eyni_desk_wanted_add(eyni_register *reg, const eyni_actor *a, const char *label,
                         const char *fin, const char *reason, const float emb[EYNI_FACE_DIM],
                         const float *blurred, long long *id, eyni_error *err)
{
    wanted_arg w = {.reg = reg, .a = a, .label = label, .fin = fin, .reason = reason};
    unsigned char tpl[2 * EYNI_FACE_TEMPLATE_BYTES];
    size_t tlen = 0, blen = 0;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
    if (rc == 0 &&
        (!label || !*label || strlen(label) > 127 || !eyni_utf8_valid(label, strlen(label))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "wanted label: 1..127 bytes of text");
    if (rc == 0 && (!reason || !*reason || strlen(reason) > EYNI_TEXT_MAX ||
                    !eyni_utf8_valid(reason, strlen(reason))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a wanted face needs its legal reason (text)");
    if (rc == 0 && fin && !reg_fin_wellformed(reg, fin))
        rc = eyni_error_set(err, EYNI_EFORMAT, "FIN '%.16s' is not well formed", fin);
    if (rc == 0)
        rc = reg_desk_need_keys(reg, err);
    if (rc == 0)
        rc = eyni_face_template_encode(emb, tpl, EYNI_FACE_TEMPLATE_BYTES, &tlen, err);
    /* the blurred copy's template follows the photo's in the same sealed blob */
    if (rc == 0 && blurred)
        rc = eyni_face_template_encode(blurred, tpl + tlen, sizeof tpl - tlen, &blen, err);
    if (rc == 0)
        rc = eyni_keyring_seal(reg->keys, "video:wanted", 12, tpl, tlen + blen, &w.blob, &w.len,
                               err);
    if (rc == 0)
        rc = reg_write_tx(reg, wanted_tx, &w, err);
    free(w.blob);
    if (rc == 0)
        *id = w.id;
    return rc;
}

int eyni_desk_wanted_each(eyni_register *reg, const eyni_actor *a, long long after,
                          eyni_desk_wanted_fn fn, void *ctx, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
    if (rc == 0)
        rc = reg_desk_need_keys(reg, err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    long long count = 0;
    rc = eyni_db_prepare(
        db,
        "SELECT id, label, template FROM video_wanted WHERE id > ? AND removed_at IS NULL"
        " ORDER BY id",
        &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, after, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        size_t n = 0, tlen = 0;
        const unsigned char *blob = eyni_stmt_blob(st, 2, &n);
        unsigned char *tpl = NULL;
        float emb[EYNI_FACE_DIM], blurred[EYNI_FACE_DIM];
        rc = eyni_keyring_open(reg->keys, "video:wanted", 12, blob, n, &tpl, &tlen, err);
        int copy = rc == 0 && tlen == 2 * EYNI_FACE_TEMPLATE_BYTES;
        if (rc == 0)
            rc = eyni_face_template_decode(tpl, copy ? EYNI_FACE_TEMPLATE_BYTES : tlen, emb, err);
        if (rc == 0 && copy)
            rc = eyni_face_template_decode(tpl + EYNI_FACE_TEMPLATE_BYTES, EYNI_FACE_TEMPLATE_BYTES,
                                           blurred, err);
        free(tpl);
        if (rc == 0 &&
            fn(eyni_stmt_int64(st, 0), eyni_stmt_text(st, 1), emb, copy ? blurred : NULL, ctx))
            rc = eyni_error_set(err, EYNI_EINTERNAL, "wanted gallery load stopped");
        count++;
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc < 0 || count == 0)
        return rc < 0 ? rc : 0;
    char detail[64];
    snprintf(detail, sizeof detail, "%lld faces", count);
    return eyni_register_audit_event(reg, a, "video.wanted.load", "wanted", "ok", detail, err);
}

/* ---- alerts --------------------------------------------------------------------------- */

typedef struct alert_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const eyni_desk_alert *al;
    unsigned char *blob, *probe; /* sealed snapshot and template of the shot */
    size_t len, probe_len;
    long long id;
    const char *decision, *note;
    int days, lookalike;
} alert_arg;

static int alert_tx(eyni_db *db, void *p, eyni_error *err)
{
    alert_arg *x = p;
    const eyni_desk_alert *al = x->al;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO video_alerts (camera, track, wanted_id, label, score,"
                             " fmr, stream_time, seen_at, snapshot, norm, threshold, probe)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    if ((rc = eyni_stmt_bind_text(st, 1, al->camera, err)) == 0 &&
        (rc = eyni_stmt_bind_int64(st, 2, al->track, err)) == 0 &&
        (rc = eyni_stmt_bind_int64(st, 3, al->wanted_id, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 4, al->label, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 5, al->score, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 6, al->fmr, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 7, al->stream_time, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 8, al->seen_at, err)) == 0 &&
        (rc = x->blob ? eyni_stmt_bind_blob(st, 9, x->blob, x->len, err)
                      : eyni_stmt_bind_null(st, 9, err)) == 0 &&
        (rc = al->normalised ? eyni_stmt_bind_double(st, 10, al->norm, err)
                             : eyni_stmt_bind_null(st, 10, err)) == 0 &&
        (rc = al->threshold > 0 ? eyni_stmt_bind_double(st, 11, al->threshold, err)
                                : eyni_stmt_bind_null(st, 11, err)) == 0)
        rc = x->probe ? eyni_stmt_bind_blob(st, 12, x->probe, x->probe_len, err)
                      : eyni_stmt_bind_null(st, 12, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->id, err);
    eyni_stmt_free(st);
    char obj[64], detail[160];
    snprintf(obj, sizeof obj, "video-alert/%lld", x->id);
    if (al->normalised)
        snprintf(detail, sizeof detail, "camera %s wanted %lld score %.3f norm %.2f", al->camera,
                 al->wanted_id, al->score, al->norm);
    else
        snprintf(detail, sizeof detail, "camera %s wanted %lld score %.3f", al->camera,
                 al->wanted_id, al->score);
    return rc ? rc : reg_audit_append(db, x->a, "video.alert", obj, "ok", detail, err);
}

static void snapshot_aad(char *out, size_t cap, const eyni_desk_alert *al)
{
    snprintf(out, cap, "video:snapshot:%s:%lld:%s", al->camera, al->track, al->seen_at);
}

static void probe_aad(char *out, size_t cap, const eyni_desk_alert *al)
{
    snprintf(out, cap, "video:probe:%s:%lld:%s", al->camera, al->track, al->seen_at);
}

/* The snapshot and the shot's template, each sealed under the alert's camera, track and time. */
static int seal_alert(eyni_register *reg, const eyni_desk_alert *al, alert_arg *x, eyni_error *err)
{
    char aad[256];
    unsigned char tpl[EYNI_FACE_TEMPLATE_BYTES];
    size_t tlen = 0;
    int rc = al->jpeg_len || al->probe ? reg_desk_need_keys(reg, err) : 0;
    if (rc == 0 && al->jpeg_len) {
        snapshot_aad(aad, sizeof aad, al);
        rc = eyni_keyring_seal(reg->keys, aad, strlen(aad), al->jpeg, al->jpeg_len, &x->blob,
                               &x->len, err);
    }
    if (rc == 0 && al->probe) {
        probe_aad(aad, sizeof aad, al);
        rc = eyni_face_template_encode(al->probe, tpl, sizeof tpl, &tlen, err);
        if (rc == 0)
            rc = eyni_keyring_seal(reg->keys, aad, strlen(aad), tpl, tlen, &x->probe, &x->probe_len,
                                   err);
    }
    return rc;
}

int eyni_desk_alert_record(eyni_register *reg, const eyni_actor *a, const eyni_desk_alert *al,
                           long long *id, eyni_error *err)
{
    alert_arg x = {.reg = reg, .a = a, .al = al};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0 && (!al->camera || !al->label || !al->seen_at))
        rc = eyni_error_set(err, EYNI_EINVAL, "alert: camera, label and time are required");
    if (rc == 0 && (!isfinite(al->score) || !isfinite(al->fmr) || !isfinite(al->threshold) ||
                    (al->normalised && !isfinite(al->norm))))
        rc = eyni_error_set(err, EYNI_EINVAL, "alert: scores must be finite numbers");
    if (rc == 0 && al->jpeg_len > EYNI_DESK_MAX_SNAPSHOT)
        rc = eyni_error_set(err, EYNI_ELIMIT, "alert snapshot above %d bytes",
                            EYNI_DESK_MAX_SNAPSHOT);
    if (rc == 0)
        rc = seal_alert(reg, al, &x, err);
    if (rc == 0)
        rc = reg_write_tx(reg, alert_tx, &x, err);
    free(x.blob);
    free(x.probe);
    if (rc == 0)
        *id = x.id;
    return rc;
}

/* Columns 11.. that are NULL until set: the decision's, then the scores of migration 15;
 * then the look-alike mark of migration 17. */
static void alert_optional(json_t *o, eyni_stmt *st)
{
    static const char *text[] = {"decided_by", "decided_at", "note"};
    static const char *real[] = {"norm", "threshold"};
    for (int c = 0; c < 3; c++)
        if (!eyni_stmt_is_null(st, 11 + c))
            json_object_set_new(o, text[c], json_string(eyni_stmt_text(st, 11 + c)));
    for (int c = 0; c < 2; c++)
        if (!eyni_stmt_is_null(st, 14 + c))
            json_object_set_new(o, real[c], json_real(eyni_stmt_double(st, 14 + c)));
    if (eyni_stmt_int64(st, 16) == 1)
        json_object_set_new(o, "lookalike", json_true());
    if (eyni_stmt_int64(st, 17) > 0) { /* passes this look-alike held back (video_held) */
        json_object_set_new(o, "held", json_integer((json_int_t)eyni_stmt_int64(st, 17)));
        json_object_set_new(o, "held_last", json_string(eyni_stmt_text(st, 18)));
    }
    if (eyni_stmt_int64(st, 3) >= EYNI_DESK_WATCH_ID_BASE) /* a watchlist entry's face */
        json_object_set_new(o, "watch_entry",
                            json_integer(eyni_stmt_int64(st, 3) - EYNI_DESK_WATCH_ID_BASE));
}

static json_t *alert_row(eyni_stmt *st, void *ctx)
{
    json_t *o = json_pack(
        "{s:I,s:s,s:I,s:I,s:s,s:f,s:f,s:f,s:s,s:b,s:s}", "id", (json_int_t)eyni_stmt_int64(st, 0),
        "camera", eyni_stmt_text(st, 1), "track", (json_int_t)eyni_stmt_int64(st, 2), "wanted_id",
        (json_int_t)eyni_stmt_int64(st, 3), "label", eyni_stmt_text(st, 4), "score",
        eyni_stmt_double(st, 5), "fmr_estimate", eyni_stmt_double(st, 6), "stream_time",
        eyni_stmt_double(st, 7), "seen_at", eyni_stmt_text(st, 8), "snapshot",
        (int)eyni_stmt_int64(st, 9), "decision", eyni_stmt_text(st, 10));
    if (o)
        alert_optional(o, st);
    return o;
}

int eyni_desk_alert_list(eyni_register *reg, const eyni_actor *a, long long after,
                         const char *decision, int limit, json_t **out, eyni_error *err)
{
    char after_s[32], limit_s[16];
    json_t *rows = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0 && decision && strcmp(decision, "open") && strcmp(decision, "acknowledged") &&
        strcmp(decision, "dismissed"))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "decision filter must be open, acknowledged or dismissed");
    if (rc == 0 && (limit < 1 || limit > 1000))
        rc = eyni_error_set(err, EYNI_EINVAL, "limit must be 1..1000");
    if (rc)
        return rc;
    snprintf(after_s, sizeof after_s, "%lld", after);
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    const char *vis[] = {a->agency, a->agency, eyni_role_name(a->role)};
    const char *v[] = {
        after_s, decision ? decision : "", decision ? "0" : "1", vis[0], vis[1], vis[2], limit_s};
    rc = reg_read_rows(
        reg,
        "SELECT id, camera, track, wanted_id, label, score, fmr, stream_time,"
        " seen_at, snapshot IS NOT NULL, decision, decided_by, decided_at, note,"
        " norm, threshold, lookalike,"
        " (SELECT count(*) FROM video_held h WHERE h.lookalike_alert = video_alerts.id),"
        " (SELECT max(h.seen_at) FROM video_held h"
        "  WHERE h.lookalike_alert = video_alerts.id) FROM video_alerts"
        " WHERE id > CAST(? AS INTEGER)"
        " AND (decision = ? OR CAST(? AS INTEGER) = 1) AND" REG_ALERT_VISIBLE_SQL
        " ORDER BY id LIMIT CAST(? AS INTEGER)",
        v, 7, alert_row, NULL, &rows, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "events", rows);
    return rc;
}

/* Why a decision changed no row: an alert kept without its face cannot be a look-alike. */
static int decide_refusal(eyni_db *db, const alert_arg *x, const char *id_s, eyni_error *err)
{
    const char *vis[] = {x->a->agency, x->a->agency, eyni_role_name(x->a->role)};
    const char *v[] = {id_s, vis[0], vis[1], vis[2]};
    int rc = x->lookalike ? reg_exec_row(db,
                                         "SELECT id FROM video_alerts WHERE id = CAST(? AS INTEGER)"
                                         " AND decision = 'open' AND probe IS NULL"
                                         " AND" REG_ALERT_VISIBLE_SQL,
                                         v, 4, err)
                          : 0;
    if (rc == 1)
        return eyni_error_set(err, EYNI_EINVAL,
                              "alert %lld was stored without its face (before schema version 17):"
                              " it can be dismissed, not remembered as a look-alike",
                              x->id);
    return rc < 0 ? rc
                  : eyni_error_set(err, EYNI_ECONFLICT, "alert %lld is unknown or already decided",
                                   x->id);
}

static int decide_tx(eyni_db *db, void *p, eyni_error *err)
{
    alert_arg *x = p;
    char now[32], obj[64], id_s[32], detail[EYNI_TEXT_MAX + 32];
    eyni_time_now_iso(now);
    snprintf(id_s, sizeof id_s, "%lld", x->id);
    const char *look = x->lookalike ? "1" : "0";
    const char *vis[] = {x->a->agency, x->a->agency, eyni_role_name(x->a->role)};
    const char *v[] = {x->decision, x->a->id, now,    x->note, look,
                       id_s,        look,     vis[0], vis[1],  vis[2]};
    int rc = reg_exec_row(db,
                          "UPDATE video_alerts SET decision = ?, decided_by = ?,"
                          " decided_at = ?, note = ?, lookalike = CAST(? AS INTEGER)"
                          " WHERE id = CAST(? AS INTEGER) AND decision = 'open'"
                          " AND (probe IS NOT NULL OR CAST(? AS INTEGER) = 0)"
                          " AND" REG_ALERT_VISIBLE_SQL " RETURNING id",
                          v, 10, err);
    if (rc == 0)
        return decide_refusal(db, x, id_s, err);
    snprintf(obj, sizeof obj, "video-alert/%lld", x->id);
    snprintf(detail, sizeof detail, "%s%s%s", x->lookalike ? "look-alike" : "",
             x->lookalike && x->note ? ": " : "", x->note ? x->note : "");
    return rc < 0 ? rc
                  : reg_audit_append(db, x->a, "video.alert.decide", obj, x->decision,
                                     detail[0] ? detail : NULL, err);
}

int eyni_desk_alert_decide(eyni_register *reg, const eyni_actor *a, long long id,
                           const char *decision, const char *note, int lookalike, eyni_error *err)
{
    alert_arg x = {
        .reg = reg, .a = a, .id = id, .decision = decision, .note = note, .lookalike = !!lookalike};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0 &&
        (!decision || (strcmp(decision, "acknowledged") && strcmp(decision, "dismissed"))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "decision must be acknowledged or dismissed");
    if (rc == 0 && lookalike && strcmp(decision, "dismissed"))
        rc = eyni_error_set(err, EYNI_EINVAL, "only a dismissed alert can be a look-alike");
    if (rc == 0 && note && (strlen(note) > EYNI_TEXT_MAX || !eyni_utf8_valid(note, strlen(note))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "note: at most %d bytes of text", EYNI_TEXT_MAX);
    return rc ? rc : reg_write_tx(reg, decide_tx, &x, err);
}

int eyni_desk_alert_snapshot(eyni_register *reg, const eyni_actor *a, long long id,
                             unsigned char **jpeg, size_t *len, eyni_error *err)
{
    *jpeg = NULL;
    *len = 0;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0)
        rc = reg_desk_need_keys(reg, err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    const char *vis[] = {a->agency, a->agency, eyni_role_name(a->role)};
    rc = eyni_db_prepare(db,
                         "SELECT camera, track, seen_at, snapshot FROM video_alerts"
                         " WHERE id = ? AND" REG_ALERT_VISIBLE_SQL,
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, id, err);
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = eyni_stmt_bind_text(st, 2 + i, vis[i], err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 0 || (rc == 1 && eyni_stmt_is_null(st, 3)))
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "alert %lld has no snapshot", id);
    if (rc == 1) {
        eyni_desk_alert al = {.camera = eyni_stmt_text(st, 0),
                              .track = eyni_stmt_int64(st, 1),
                              .seen_at = eyni_stmt_text(st, 2)};
        char aad[256];
        size_t n = 0;
        const unsigned char *blob = eyni_stmt_blob(st, 3, &n);
        snapshot_aad(aad, sizeof aad, &al);
        rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, jpeg, len, err);
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    char obj[64];
    snprintf(obj, sizeof obj, "video-alert/%lld", id);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "video.alert.snapshot", obj, "ok", NULL, err);
    if (rc) {
        free(*jpeg);
        *jpeg = NULL;
    }
    return rc;
}

static int purge_tx(eyni_db *db, void *p, eyni_error *err)
{
    alert_arg *x = p;
    time_t cut = time(NULL) - (time_t)x->days * 86400;
    struct tm tm;
    char before[32], detail[96];
    gmtime_r(&cut, &tm);
    strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%S", &tm);
    eyni_stmt *st;
    int rc =
        eyni_db_prepare(db, "DELETE FROM video_alerts WHERE seen_at < ? RETURNING id", &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, before, err);
    x->id = 0;
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        x->id++;
        rc = 0;
    }
    eyni_stmt_free(st);
    const char *v[] = {before};
    if (rc == 0) /* the held matches go with the alerts (they point at look-alike alerts) */
        rc = reg_exec1(db, "DELETE FROM video_held WHERE seen_at < ?", v, 1, err);
    snprintf(detail, sizeof detail, "%lld alerts seen before %s", x->id, before);
    return rc < 0
               ? rc
               : reg_audit_append(db, x->a, "video.alert.purge", "video-alert", "ok", detail, err);
}

int eyni_desk_purge(eyni_register *reg, const eyni_actor *a, int days, long long *n,
                    eyni_error *err)
{
    alert_arg x = {.reg = reg, .a = a, .days = days};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0 && (days < 1 || days > 3650))
        rc = eyni_error_set(err, EYNI_EINVAL, "retention must be 1..3650 days");
    if (rc == 0)
        rc = reg_write_tx(reg, purge_tx, &x, err);
    if (rc == 0)
        *n = x.id;
    return rc;
}

static json_t *audience_row(eyni_stmt *st, void *ctx)
{
    eyni_desk_audience *out = ctx;
    out->restricted = eyni_stmt_int64(st, 0) != 0;
    snprintf(out->owner, sizeof out->owner, "%s",
             eyni_stmt_is_null(st, 1) ? "" : eyni_stmt_text(st, 1));
    snprintf(out->visible, sizeof out->visible, "%s",
             eyni_stmt_is_null(st, 2) ? "" : eyni_stmt_text(st, 2));
    return json_true();
}

int eyni_desk_alert_audience(eyni_register *reg, long long id, eyni_desk_audience *out,
                             eyni_error *err)
{
    char id_s[24];
    json_t *rows = NULL;
    memset(out, 0, sizeof *out);
    out->restricted = 1; /* until the alert is read: operators only */
    snprintf(id_s, sizeof id_s, "%lld", id);
    const char *v[] = {id_s};
    int rc =
        reg_read_rows(reg,
                      "SELECT CASE WHEN a.wanted_id >= " REG_WATCH_ID_BASE_SQL " THEN 1 ELSE 0 END,"
                      " w.owner_agency, w.visible_to FROM video_alerts a LEFT JOIN watch_entries e"
                      " ON e.id = a.wanted_id - " REG_WATCH_ID_BASE_SQL
                      " LEFT JOIN watchlists w ON w.id = e.list_id WHERE a.id = CAST(? AS BIGINT)",
                      v, 1, audience_row, out, &rows, err);
    json_decref(rows);
    return rc;
}

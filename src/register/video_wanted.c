/* The wanted faces beyond adding them: the list an operator reviews, removal when the legal
 * reason ends (the record stays, the templates go), and the removals the video service
 * follows to drop faces from the gallery of the running cameras. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/video_desk.h"
#include "register_int.h"

/* REG_WATCH_ID_BASE_SQL is EYNI_DESK_WATCH_ID_BASE as SQL text: look-alikes of watchlist
 * entries (the service drops those of entries no longer in force with the entry itself). */
_Static_assert(EYNI_DESK_WATCH_ID_BASE == 281474976710656LL, "REG_WATCH_ID_BASE_SQL");

int eyni_desk_require(eyni_register *reg, const eyni_actor *a, eyni_error *err)
{
    return reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
}

static json_t *wanted_row(eyni_stmt *st, void *ctx)
{
    static const char *const opt[] = {"fin", "removed_at", "removed_by", "removal_reason"};
    static const int col[] = {2, 6, 7, 8};
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)eyni_stmt_int64(st, 0),
                          "label", eyni_stmt_text(st, 1), "reason", eyni_stmt_text(st, 3),
                          "added_at", eyni_stmt_text(st, 4), "added_by", eyni_stmt_text(st, 5));
    for (size_t i = 0; o && i < sizeof col / sizeof col[0]; i++)
        if (!eyni_stmt_is_null(st, col[i]))
            json_object_set_new(o, opt[i], json_string(eyni_stmt_text(st, col[i])));
    return o;
}

int eyni_desk_wanted_list(eyni_register *reg, const eyni_actor *a, int removed, json_t **out,
                          eyni_error *err)
{
    json_t *rows = NULL;
    const char *v[] = {removed ? "1" : "0"};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
    if (rc == 0)
        rc = reg_read_rows(reg,
                           "SELECT id, label, fin, reason, added_at, added_by, removed_at,"
                           " removed_by, removal_reason FROM video_wanted"
                           " WHERE removed_at IS NULL OR CAST(? AS INTEGER) = 1 ORDER BY id",
                           v, 1, wanted_row, NULL, &rows, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "video.wanted.list", "wanted", "ok",
                                       removed ? "with removed" : NULL, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "wanted", rows);
    else
        json_decref(rows);
    return rc;
}

typedef struct remove_arg {
    const eyni_actor *a;
    long long id;
    const char *reason;
} remove_arg;

static int remove_tx(eyni_db *db, void *p, eyni_error *err)
{
    remove_arg *x = p;
    char now[32], id_s[32], obj[64];
    eyni_time_now_iso(now);
    snprintf(id_s, sizeof id_s, "%lld", x->id);
    const char *v[] = {now, x->a->id, x->reason, id_s};
    /* substr(template, 1, 0): an empty blob in both SQLite and PostgreSQL (the column is NOT
     * NULL); the photo's and the blurred copy's templates are gone with it */
    int rc = reg_exec_row(db,
                          "UPDATE video_wanted SET removed_at = ?, removed_by = ?,"
                          " removal_reason = ?, template = substr(template, 1, 0)"
                          " WHERE id = CAST(? AS INTEGER) AND removed_at IS NULL RETURNING id",
                          v, 4, err);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "wanted face %lld is unknown or already removed",
                              x->id);
    snprintf(obj, sizeof obj, "wanted/%lld", x->id);
    return rc < 0 ? rc
                  : reg_audit_append(db, x->a, "video.wanted.remove", obj, "ok", x->reason, err);
}

/* An act that undoes something (a removal, a revocation) states why: 1..EYNI_TEXT_MAX bytes
 * of text, kept in the audit trail. */
static int need_reason(const char *reason, const char *act, eyni_error *err)
{
    if (reason && *reason && strlen(reason) <= EYNI_TEXT_MAX &&
        eyni_utf8_valid(reason, strlen(reason)))
        return 0;
    return eyni_error_set(err, EYNI_EFORMAT, "a %s needs its reason (text of at most %d bytes)",
                          act, EYNI_TEXT_MAX);
}

int eyni_desk_wanted_remove(eyni_register *reg, const eyni_actor *a, long long id,
                            const char *reason, eyni_error *err)
{
    remove_arg x = {.a = a, .id = id, .reason = reason};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
    if (rc == 0)
        rc = need_reason(reason, "removal", err);
    return rc ? rc : reg_write_tx(reg, remove_tx, &x, err);
}

/* The service follows the desk by time: reads the rows of sql (its one parameter the cursor),
 * oldest first, hands each to row, and moves *since to the cursor column of the last one. */
typedef int (*follow_row_fn)(eyni_stmt *st, void *ctx, eyni_error *err);

static int follow(eyni_register *reg, const char *sql, int cursor_col, char *since, size_t cap,
                  follow_row_fn row, void *ctx, eyni_error *err)
{
    eyni_db *db = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db, sql, &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, since, err);
    char last[64] = "";
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(last, sizeof last, "%s", eyni_stmt_text(st, cursor_col));
        rc = row(st, ctx, err);
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc == 0 && last[0])
        snprintf(since, cap, "%s", last);
    return rc;
}

typedef struct removed_ctx {
    int (*fn)(long long id, void *ctx);
    void *ctx;
} removed_ctx;

static int removed_row(eyni_stmt *st, void *ctx, eyni_error *err)
{
    removed_ctx *c = ctx;
    return c->fn(eyni_stmt_int64(st, 0), c->ctx)
               ? eyni_error_set(err, EYNI_EINTERNAL, "wanted removals: stopped")
               : 0;
}

int eyni_desk_wanted_removed(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                             int (*fn)(long long id, void *ctx), void *ctx, eyni_error *err)
{
    removed_ctx c = {fn, ctx};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "wanted", err);
    return rc ? rc
              : follow(reg,
                       "SELECT id, removed_at FROM video_wanted WHERE removed_at IS NOT NULL"
                       " AND removed_at >= ? ORDER BY removed_at, id",
                       1, since, cap, removed_row, &c, err);
}

/* ---- look-alikes ------------------------------------------------------------------------ */

typedef struct lookalike_ctx {
    eyni_register *reg;
    eyni_desk_lookalike_fn fn;
    void *ctx;
    long long count;
} lookalike_ctx;

/* One remembered alert: its sealed template opened under the alert's camera, track and time. */
static int lookalike_row(eyni_stmt *st, void *ctx, eyni_error *err)
{
    lookalike_ctx *c = ctx;
    char aad[256];
    size_t n = 0, tlen = 0;
    const unsigned char *blob = eyni_stmt_blob(st, 5, &n);
    unsigned char *tpl = NULL;
    float emb[EYNI_FACE_DIM];
    snprintf(aad, sizeof aad, "video:probe:%s:%lld:%s", eyni_stmt_text(st, 2),
             (long long)eyni_stmt_int64(st, 3), eyni_stmt_text(st, 4));
    int rc = eyni_keyring_open(c->reg->keys, aad, strlen(aad), blob, n, &tpl, &tlen, err);
    if (rc == 0)
        rc = eyni_face_template_decode(tpl, tlen, emb, err);
    free(tpl);
    if (rc == 0 && c->fn(eyni_stmt_int64(st, 0), eyni_stmt_int64(st, 1), emb, c->ctx))
        rc = eyni_error_set(err, EYNI_EINTERNAL, "look-alike load stopped");
    c->count += rc == 0;
    return rc;
}

int eyni_desk_lookalikes(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                         eyni_desk_lookalike_fn fn, void *ctx, eyni_error *err)
{
    lookalike_ctx c = {.reg = reg, .fn = fn, .ctx = ctx};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0)
        rc = reg_desk_need_keys(reg, err);
    if (rc == 0)
        rc = follow(reg,
                    "SELECT a.id, a.wanted_id, a.camera, a.track, a.seen_at, a.probe,"
                    " a.decided_at FROM video_alerts a LEFT JOIN video_wanted w"
                    " ON w.id = a.wanted_id WHERE a.lookalike = 1 AND a.probe IS NOT NULL"
                    " AND ((w.id IS NOT NULL AND w.removed_at IS NULL)"
                    "  OR a.wanted_id >= " REG_WATCH_ID_BASE_SQL ")"
                    " AND a.decided_at > ? ORDER BY a.decided_at, a.id",
                    6, since, cap, lookalike_row, &c, err);
    if (rc || c.count == 0)
        return rc;
    char detail[64];
    snprintf(detail, sizeof detail, "%lld look-alike faces", c.count);
    return eyni_register_audit_event(reg, a, "video.lookalike.load", "video-alert", "ok", detail,
                                     err);
}

typedef struct revoke_arg {
    const eyni_actor *a;
    long long id;
    const char *reason;
} revoke_arg;

static int revoke_tx(eyni_db *db, void *p, eyni_error *err)
{
    revoke_arg *x = p;
    char id_s[32], obj[64];
    snprintf(id_s, sizeof id_s, "%lld", x->id);
    const char *v[] = {id_s, x->a->agency, x->a->agency, eyni_role_name(x->a->role)};
    int rc = reg_exec_row(db,
                          "UPDATE video_alerts SET lookalike = 0 WHERE id = CAST(? AS INTEGER)"
                          " AND lookalike = 1 AND" REG_ALERT_VISIBLE_SQL " RETURNING id",
                          v, 4, err);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ECONFLICT, "alert %lld is not marked a look-alike", x->id);
    snprintf(obj, sizeof obj, "video-alert/%lld", x->id);
    return rc < 0 ? rc
                  : reg_audit_append(db, x->a, "video.lookalike.revoke", obj, "ok", x->reason, err);
}

int eyni_desk_lookalike_revoke(eyni_register *reg, const eyni_actor *a, long long id,
                               const char *reason, eyni_error *err)
{
    revoke_arg x = {.a = a, .id = id, .reason = reason};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0)
        rc = need_reason(reason, "revocation", err);
    return rc ? rc : reg_write_tx(reg, revoke_tx, &x, err);
}

typedef struct held_arg {
    const eyni_actor *a;
    const eyni_desk_held *h;
} held_arg;

static int held_tx(eyni_db *db, void *p, eyni_error *err)
{
    held_arg *x = p;
    const eyni_desk_held *h = x->h;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO video_held (lookalike_alert, camera, track, wanted_id,"
                             " score, lookalike_score, seen_at) VALUES (?,?,?,?,?,?,?)",
                             &st, err);
    if (rc)
        return rc;
    if ((rc = eyni_stmt_bind_int64(st, 1, h->lookalike, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 2, h->camera, err)) == 0 &&
        (rc = eyni_stmt_bind_int64(st, 3, h->track, err)) == 0 &&
        (rc = eyni_stmt_bind_int64(st, 4, h->wanted_id, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 5, h->score, err)) == 0 &&
        (rc = eyni_stmt_bind_double(st, 6, h->lookalike_score, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 7, h->seen_at, err)) == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    char obj[64], detail[160];
    snprintf(obj, sizeof obj, "video-alert/%lld", h->lookalike);
    snprintf(detail, sizeof detail, "camera %s wanted %lld score %.3f look-alike %.3f", h->camera,
             h->wanted_id, h->score, h->lookalike_score);
    return rc < 0 ? rc : reg_audit_append(db, x->a, "video.held", obj, "ok", detail, err);
}

int eyni_desk_held_record(eyni_register *reg, const eyni_actor *a, const eyni_desk_held *h,
                          eyni_error *err)
{
    held_arg x = {a, h};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    if (rc == 0 && (!h->camera || !h->seen_at || h->lookalike <= 0))
        rc = eyni_error_set(err, EYNI_EINVAL, "held match: camera, time and look-alike needed");
    if (rc == 0 && (!isfinite(h->score) || !isfinite(h->lookalike_score)))
        rc = eyni_error_set(err, EYNI_EINVAL, "held match: scores must be finite numbers");
    return rc ? rc : reg_write_tx(reg, held_tx, &x, err);
}

int eyni_desk_lookalike_marked(eyni_register *reg, const eyni_actor *a, json_t **ids,
                               eyni_error *err)
{
    *ids = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    return rc ? rc
              : reg_read_rows(reg, "SELECT id FROM video_alerts WHERE lookalike = 1 ORDER BY id",
                              NULL, 0, reg_row_int, NULL, ids, err);
}

/* ---- decisions taken outside the server -------------------------------------------------- */

typedef struct decision_ctx {
    eyni_desk_decision_fn fn;
    void *ctx;
} decision_ctx;

static int decision_row(eyni_stmt *st, void *ctx, eyni_error *err)
{
    decision_ctx *c = ctx;
    return c->fn(eyni_stmt_int64(st, 0), eyni_stmt_text(st, 1), eyni_stmt_text(st, 2),
                 eyni_stmt_int64(st, 3) == 1, c->ctx)
               ? eyni_error_set(err, EYNI_EINTERNAL, "decisions: stopped")
               : 0;
}

int eyni_desk_local_decisions(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                              eyni_desk_decision_fn fn, void *ctx, eyni_error *err)
{
    decision_ctx c = {fn, ctx};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "video-alert", err);
    return rc ? rc
              : follow(reg,
                       "SELECT id, decision, decided_by, lookalike, decided_at FROM video_alerts"
                       " WHERE decided_at > ? AND decided_by LIKE 'local:%'"
                       " ORDER BY decided_at, id",
                       4, since, cap, decision_row, &c, err);
}

/* Watchlists as a source of wanted faces: the person entries of the lists named in
 * video.watchlists that carry a face (enrolled for the border, `eyni border watch-biometrics`)
 * join the cameras' gallery while the entry and its list are in force, and leave it when the
 * entry is removed or the list expires. The service asks which entries are in force at every
 * look and reads the faces of those it does not hold yet. */
#include <stdlib.h>
#include <string.h>

#include "eyni/video.h"
#include "eyni/video_desk.h"
#include "register_int.h"

/* ",A,B," for instr(): the codes as the configuration lists them, spaces dropped. */
static int code_set(const char *codes, char *out, size_t cap, eyni_error *err)
{
    size_t k = 0;
    out[k++] = ',';
    for (const char *p = codes; *p; p++) {
        if (*p == ' ')
            continue;
        int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 *p == '-' || *p == '_' || *p == ',';
        if (!ok || k + 2 >= cap)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "watchlist codes: a comma-separated list of list codes");
        out[k++] = *p;
    }
    out[k++] = ',';
    out[k] = 0;
    return 0;
}

int eyni_desk_watch_codes_valid(const char *codes)
{
    char set[EYNI_DESK_MAX_WATCHLISTS + 3];
    return strlen(codes) < EYNI_DESK_MAX_WATCHLISTS && code_set(codes, set, sizeof set, NULL) == 0;
}

/* Person entries with a face on lists in force today (two ?: today) named in a code set (?). */
#define IN_FORCE_SQL                                                                               \
    " FROM watch_entries e JOIN watchlists w ON w.id = e.list_id"                                  \
    " JOIN watch_biometrics b ON b.entry_id = e.id AND b.modality = 'face'"                        \
    " WHERE e.kind = 'person' AND e.removed_at IS NULL"                                            \
    " AND w.valid_from <= ? AND (w.valid_to IS NULL OR w.valid_to >= ?)"                           \
    " AND instr(?, ',' || w.code || ',') > 0"

/* Rows of the entries in force on the lists named in codes: sql binds today twice and the code
 * set, and when visible_only also the actor's agency twice and role (the visibility rule of
 * every watchlist read). */
static int in_force_rows(eyni_register *reg, const eyni_actor *a, const char *codes,
                         const char *sql, int visible_only, reg_row_fn row, json_t **out,
                         eyni_error *err)
{
    char set[EYNI_DESK_MAX_WATCHLISTS + 3], today[32];
    eyni_time_now_iso(today);
    today[10] = 0;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "watchlist", err);
    if (rc == 0)
        rc = code_set(codes, set, sizeof set, err);
    const char *v[] = {today, today, set, a->agency, a->agency, eyni_role_name(a->role)};
    if (rc == 0)
        rc = reg_read_rows(reg, sql, v, visible_only ? 6 : 3, row, NULL, out, err);
    return rc;
}

int eyni_desk_watch_in_force(eyni_register *reg, const eyni_actor *a, const char *codes,
                             json_t **ids, eyni_error *err)
{
    return in_force_rows(reg, a, codes, "SELECT DISTINCT e.id" IN_FORCE_SQL " ORDER BY e.id", 0,
                         reg_row_int, ids, err);
}

static void entry_label(const char *record, const char *code, char *out, size_t cap);

static json_t *listed_row(eyni_stmt *st, void *ctx)
{
    char label[EYNI_VIDEO_MAX_LABEL];
    long long entry = (long long)eyni_stmt_int64(st, 0);
    entry_label(eyni_stmt_text(st, 2), eyni_stmt_text(st, 1), label, sizeof label);
    return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:I}", "id",
                     (json_int_t)(EYNI_DESK_WATCH_ID_BASE + entry), "watch_entry",
                     (json_int_t)entry, "list", eyni_stmt_text(st, 1), "label", label, "reason",
                     eyni_stmt_text(st, 3), "added_at", eyni_stmt_text(st, 4), "faces",
                     (json_int_t)eyni_stmt_int64(st, 5));
}

int eyni_desk_watch_listed(eyni_register *reg, const eyni_actor *a, const char *codes, json_t **out,
                           eyni_error *err)
{
    *out = NULL;
    int rc = in_force_rows(
        reg, a, codes,
        "SELECT e.id, w.code, e.record, e.reason, e.added_at, count(b.id)" IN_FORCE_SQL
        " AND " REG_WATCH_VISIBLE_SQL("w.") " GROUP BY e.id, w.code, e.record, e.reason,"
                                            " e.added_at ORDER BY e.id",
        1, listed_row, out, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "video.watchlist.list", "watchlist", "ok", codes,
                                       err);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* "Given Surname (CODE)" from the entry's record. Two names of up to EYNI_NAME_MAX bytes and a
 * code can pass the gallery's label size: cut at a character, not inside one (a label that is
 * not UTF-8 is refused, and the entry would never be looked for). */
static void entry_label(const char *record, const char *code, char *out, size_t cap)
{
    json_t *r = json_loads(record ? record : "", 0, NULL);
    const char *gn = json_string_value(json_object_get(r, "given_name"));
    const char *sn = json_string_value(json_object_get(r, "surname"));
    snprintf(out, cap, "%s%s%s (%s)", gn ? gn : "", gn && sn ? " " : "", sn ? sn : "?", code);
    json_decref(r);
    size_t n = strlen(out);
    while (n > 0 && !eyni_utf8_valid(out, n))
        out[--n] = 0;
}

/* One face of the entry: its template and photo opened (each sealed under the entry, the
 * modality, the position and its part). */
static int face_row(eyni_register *reg, long long entry, eyni_stmt *st, eyni_desk_watch_face_fn fn,
                    void *ctx, eyni_error *err)
{
    char aad[96], label[EYNI_VIDEO_MAX_LABEL];
    int position = (int)eyni_stmt_int64(st, 0);
    size_t n = 0, tlen = 0, ilen = 0;
    unsigned char *tpl = NULL, *img = NULL;
    float emb[EYNI_FACE_DIM];
    const unsigned char *blob = eyni_stmt_blob(st, 1, &n);
    snprintf(aad, sizeof aad, REG_WATCH_AAD, entry, "face", position, 't');
    int rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, &tpl, &tlen, err);
    if (rc == 0)
        rc = eyni_face_template_decode(tpl, tlen, emb, err);
    if (rc == 0 && !eyni_stmt_is_null(st, 2)) {
        blob = eyni_stmt_blob(st, 2, &n);
        snprintf(aad, sizeof aad, REG_WATCH_AAD, entry, "face", position, 'i');
        rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, &img, &ilen, err);
    }
    entry_label(eyni_stmt_text(st, 3), eyni_stmt_text(st, 4), label, sizeof label);
    if (rc == 0 && fn(entry, label, emb, img, ilen, ctx))
        rc = eyni_error_set(err, EYNI_EINTERNAL, "watchlist faces: stopped");
    free(tpl);
    free(img);
    return rc;
}

int eyni_desk_watch_entry_faces(eyni_register *reg, const eyni_actor *a, long long entry,
                                eyni_desk_watch_face_fn fn, void *ctx, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "watchlist", err);
    if (rc == 0)
        rc = reg_desk_need_keys(reg, err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    int faces = 0;
    char code[64] = "";
    rc = eyni_db_prepare(db,
                         "SELECT b.position, b.template, b.image, e.record, w.code"
                         " FROM watch_biometrics b JOIN watch_entries e ON e.id = b.entry_id"
                         " JOIN watchlists w ON w.id = e.list_id"
                         " WHERE b.entry_id = ? AND b.modality = 'face' ORDER BY b.id",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, entry, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(code, sizeof code, "%s", eyni_stmt_text(st, 4));
        rc = face_row(reg, entry, st, fn, ctx, err);
        faces += rc == 0;
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc || faces == 0)
        return rc;
    char obj[96], detail[64];
    snprintf(obj, sizeof obj, "watch/%s/%lld", code, entry);
    snprintf(detail, sizeof detail, "%d faces for the cameras", faces);
    return eyni_register_audit_event(reg, a, "video.watchlist.load", obj, "ok", detail, err);
}

/* A document's life after issue: handed over, expired, revoked, lost or stolen. The last
 * three put it on the invalid-document list every check consults. */
#include <string.h>

#include "register_int.h"

static json_t *document_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s?, s:s, s:s, s:s, s:s?}", "number",
                     eyni_stmt_text(st, 0), "type", eyni_stmt_text(st, 1), "fin",
                     eyni_stmt_text(st, 2), "office", eyni_stmt_text(st, 3), "blank_serial",
                     eyni_stmt_text(st, 4), "issuing_state", eyni_stmt_text(st, 5), "mrz",
                     eyni_stmt_text(st, 6), "issued", eyni_stmt_text(st, 7), "expires",
                     eyni_stmt_text(st, 8), "status", eyni_stmt_text(st, 9), "chip_dir",
                     eyni_stmt_text(st, 10));
}

static int fetch(eyni_register *reg, const char *number, json_t **out, eyni_error *err)
{
    const char *vals[] = {number};
    json_t *list = NULL;
    int rc = reg_read_rows(reg,
                           "SELECT number, type, fin, office, blank_serial, issuing_state, mrz,"
                           " issued_on, expires_on, status, chip_dir FROM documents WHERE number = ?",
                           vals, 1, document_row, NULL, &list, err);
    if (rc == 0 && json_array_size(list) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no document %.20s", number ? number : "");
    if (rc == 0)
        *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return rc;
}

int eyni_register_document_get(eyni_register *reg, const eyni_actor *a, const char *number,
                               json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_DOC_READ, number, err);
    if (rc == 0)
        rc = fetch(reg, number, out, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "document.read", number, "ok", NULL, err);
    return rc;
}

typedef struct status_arg {
    const eyni_actor *a;
    const char *number, *status, *reason;
} status_arg;

static int status_tx(eyni_db *db, void *p, eyni_error *err)
{
    status_arg *x = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT id, status FROM documents WHERE number = ?", &st, err);
    if (rc)
        return rc;
    long long id = 0;
    char from[16] = "";
    rc = eyni_stmt_bind_text(st, 1, x->number, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        id = eyni_stmt_int64(st, 0);
        snprintf(from, sizeof from, "%s", eyni_stmt_text(st, 1));
        rc = 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no document %.20s", x->number);
    }
    eyni_stmt_free(st);
    char now[32], ids[32];
    eyni_time_now_iso(now);
    snprintf(ids, sizeof ids, "%lld", id);
    const char *vals[] = {x->status, now, x->number};
    if (rc == 0 && (rc = reg_exec1(db, "UPDATE documents SET status = ?, status_at = ?"
                                       " WHERE number = ?", vals, 3, err)) == EYNI_ECONFLICT)
        rc = eyni_error_set(err, EYNI_ECONFLICT, "document %s cannot go from %s to %s", x->number,
                            from, x->status);
    const char *ev[] = {ids, now, from, x->status, x->a->id, x->reason};
    if (rc == 0)
        rc = reg_exec1(db, "INSERT INTO document_events (document_id, at, from_status, to_status,"
                           " actor, reason) VALUES (CAST(? AS INTEGER), ?, ?, ?, ?, ?)",
                       ev, 6, err);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "document.status", x->number, x->status, x->reason, err);
    return rc;
}

int eyni_register_document_set_status(eyni_register *reg, const eyni_actor *a,
                                      const char *number, const char *status,
                                      const char *reason, json_t **out, eyni_error *err)
{
    static const char *const allowed[] = {"handed_over", "expired", "revoked", "lost", "stolen",
                                          NULL};
    int ok = 0;
    for (int i = 0; status && allowed[i]; i++)
        ok |= !strcmp(status, allowed[i]);
    int rc = reg_require(reg, a, EYNI_OP_DOC_STATUS, number, err);
    if (rc == 0 && !ok)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "status must be handed_over, expired, revoked, lost or stolen");
    if (rc == 0 && (!reason || !reason[0] || strlen(reason) > EYNI_TEXT_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a status change needs a reason");
    status_arg x = {a, number, status, reason};
    if (rc == 0)
        rc = reg_write_tx(reg, status_tx, &x, err);
    if (rc == 0)
        rc = fetch(reg, number, out, err);
    return rc;
}

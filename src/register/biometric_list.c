/* A person's biometric samples as records: what is in force, what was replaced and what was
 * erased, with who and why - never the templates or images themselves. */
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

static json_t *sample_row(eyni_stmt *st, void *ctx)
{
    (void)ctx;
    const char *status = !eyni_stmt_is_null(st, 10)  ? "erased"
                         : !eyni_stmt_is_null(st, 7) ? "replaced"
                                                     : "in_force";
    json_t *r =
        json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)eyni_stmt_int64(st, 0),
                  "modality", eyni_stmt_text(st, 1), "position", (json_int_t)eyni_stmt_int64(st, 2),
                  "engine", eyni_stmt_text(st, 4), "created_at", eyni_stmt_text(st, 5),
                  "created_by", eyni_stmt_text(st, 6), "status", status);
    if (!eyni_stmt_is_null(st, 3))
        json_object_set_new(r, "quality", json_integer(eyni_stmt_int64(st, 3)));
    static const char *const when[] = {"replaced_at", "removed_by", "removed_reason", "erased_at"};
    for (int i = 0; i < 4; i++)
        if (!eyni_stmt_is_null(st, 7 + i))
            json_object_set_new(r, when[i], json_string(eyni_stmt_text(st, 7 + i)));
    return r;
}

int eyni_identity_biometrics_list(eyni_identity *id, const eyni_actor *a, const char *fin,
                                  json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_PERSON_HISTORY, fin ? fin : "", err);
    if (rc == 0 && (!fin || !reg_fin_wellformed(id->reg, fin)))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN", fin ? fin : "");
    json_t *list = NULL;
    const char *vals[] = {fin};
    if (rc == 0)
        rc = reg_read_rows(id->reg,
                           "SELECT b.id, b.modality, b.position, b.quality, b.engine,"
                           " b.created_at, b.created_by, b.replaced_at, b.removed_by,"
                           " b.removed_reason, b.erased_at FROM biometrics b JOIN persons p"
                           " ON p.id = b.person_id WHERE p.fin = ? ORDER BY b.id",
                           vals, 1, sample_row, NULL, &list, err);
    /* a person enrolled without biometrics has none; a FIN nobody holds is unknown */
    if (rc == 0 && json_array_size(list) == 0) {
        eyni_db *db = NULL;
        json_t *rec = NULL;
        int64_t pid = 0;
        rc = eyni_store_acquire(eyni_register_store(id->reg), &db, err);
        if (rc == 0) {
            rc = reg_person_load(db, fin, &pid, &rec, err);
            eyni_store_release(eyni_register_store(id->reg), db);
        }
        json_decref(rec);
    }
    char detail[32];
    snprintf(detail, sizeof detail, "%zu samples", json_array_size(list));
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "biometric.list", fin, "ok", detail, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:O, s:i}", "fin", fin, "samples", list, "count",
                         (int)json_array_size(list));
    json_decref(list);
    return rc;
}

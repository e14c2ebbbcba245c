/* Queries over crossing records: a person's or a document's travel, a checkpoint's day, and
 * who is in the country now (last cleared crossing an entry). */
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "register_int.h"

static json_t *crossing_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s?}",
                     "crossing", (json_int_t)eyni_stmt_int64(st, 0), "at", eyni_stmt_text(st, 1),
                     "checkpoint", eyni_stmt_text(st, 2), "direction", eyni_stmt_text(st, 3),
                     "document_number", eyni_stmt_text(st, 4), "issuing_state",
                     eyni_stmt_text(st, 5), "fin", eyni_stmt_text(st, 6), "surname",
                     eyni_stmt_text(st, 7), "given_name", eyni_stmt_text(st, 8), "plate",
                     eyni_stmt_text(st, 9), "decision", eyni_stmt_text(st, 10), "nationality",
                     eyni_stmt_text(st, 11));
}

static json_t *count_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "checkpoint", eyni_stmt_text(st, 0), "day",
                     eyni_stmt_text(st, 1), "direction", eyni_stmt_text(st, 2), "decision",
                     eyni_stmt_text(st, 3), "count", (json_int_t)eyni_stmt_int64(st, 4));
}

/* Checks per checkpoint, day, direction and decision. */
static int counts(eyni_register *reg, const char *cp, const char *day, json_t **list,
                  eyni_error *err)
{
    const char *vals[] = {cp, cp, day, day};
    return reg_read_rows(reg,
                         "SELECT checkpoint, day, direction, decision, COUNT(*) FROM crossings"
                         " WHERE (? IS NULL OR checkpoint = ?) AND (? IS NULL OR day = ?)"
                         " GROUP BY checkpoint, day, direction, decision"
                         " ORDER BY day DESC, checkpoint, direction, decision LIMIT 10000",
                         vals, 4, count_row, NULL, list, err);
}

/* Foreigners in the country now whose permitted stay has ended: the in-country list run
 * through the same stay rules an exit check applies. */
static int overstays(eyni_register *reg, json_t *in_country, json_t **list, eyni_error *err)
{
    char today[32];
    eyni_time_now_iso(today);
    today[10] = '\0';
    json_t *out = json_array();
    size_t i;
    json_t *c;
    int rc = 0;
    json_array_foreach(in_country, i, c)
    {
        const char *nat = json_string_value(json_object_get(c, "nationality"));
        const char *doc = json_string_value(json_object_get(c, "document_number"));
        if (!nat || !doc || !strcmp(nat, reg->country))
            continue;
        json_t *reasons = json_array(), *stay = NULL;
        rc = reg_stay_check(reg, doc, nat, json_string_value(json_object_get(c, "fin")), today, 1,
                            reasons, &stay, err);
        json_decref(reasons);
        if (rc)
            break;
        if (json_integer_value(json_object_get(stay, "overstay_days")) > 0 ||
            !json_object_get(stay, "allowed_until")) {
            json_t *x = json_deep_copy(c);
            json_object_set_new(x, "stay", stay);
            json_array_append_new(out, x);
        } else {
            json_decref(stay);
        }
    }
    if (rc) {
        json_decref(out);
        return rc;
    }
    *list = out;
    return 0;
}

int eyni_border_crossings(eyni_register *reg, const eyni_actor *a, const json_t *q, json_t **out,
                          eyni_error *err)
{
    static const char *const keys[] = {"fin",        "document",  "checkpoint", "day", "limit",
                                       "in_country", "overstays", "counts",     NULL};
    int rc = reg_require(reg, a, EYNI_OP_CROSSING_READ, "crossings", err);
    if (rc == 0)
        rc = eyni_json_check_keys(q, keys, err);
    if (rc)
        return rc;
    const char *fin = json_string_value(json_object_get(q, "fin"));
    const char *doc = json_string_value(json_object_get(q, "document"));
    const char *cp = json_string_value(json_object_get(q, "checkpoint"));
    const char *day = json_string_value(json_object_get(q, "day"));
    json_int_t limit = json_integer_value(json_object_get(q, "limit"));
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit > 0 && limit <= 1000 ? (int)limit : 100);
    const char *vals[] = {fin, fin, doc, doc, cp, cp, day, day, lim};
    json_t *list = NULL;
    int over = json_is_true(json_object_get(q, "overstays"));
    if (json_is_true(json_object_get(q, "counts")))
        rc = counts(reg, cp, day, &list, err);
    else if (over || json_is_true(json_object_get(q, "in_country")))
        rc = reg_read_rows(
            reg,
            "SELECT c.id, c.at, c.checkpoint, c.direction, c.document_number,"
            " c.issuing_state, c.fin, c.surname, c.given_name, c.plate, c.decision, c.nationality"
            " FROM crossings c WHERE c.decision = 'clear' AND c.direction = 'entry'"
            " AND c.id = (SELECT MAX(d.id) FROM crossings d WHERE d.decision = 'clear'"
            "  AND d.document_number = c.document_number)"
            " AND (? IS NULL OR c.fin = ?) AND (? IS NULL OR c.document_number = ?)"
            " AND (? IS NULL OR c.checkpoint = ?) AND (? IS NULL OR c.day = ?)"
            " ORDER BY c.id DESC LIMIT CAST(? AS INTEGER)",
            vals, 9, crossing_row, NULL, &list, err);
    else
        rc = reg_read_rows(reg,
                           "SELECT id, at, checkpoint, direction, document_number, issuing_state,"
                           " fin, surname, given_name, plate, decision, nationality FROM crossings"
                           " WHERE (? IS NULL OR fin = ?) AND (? IS NULL OR document_number = ?)"
                           " AND (? IS NULL OR checkpoint = ?) AND (? IS NULL OR day = ?)"
                           " ORDER BY id DESC LIMIT CAST(? AS INTEGER)",
                           vals, 9, crossing_row, NULL, &list, err);
    if (rc == 0 && over) {
        json_t *all = list;
        list = NULL;
        rc = overstays(reg, all, &list, err);
        json_decref(all);
    }
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "crossing.read",
                                       fin   ? fin
                                       : doc ? doc
                                             : "crossings",
                                       "ok", NULL, err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "crossings", list, "count", (int)json_array_size(list));
    return 0;
}

/* The list of entry/exit bans, for the officers who keep them and the border that reads
 * them: paged, newest first, by FIN and by state (in force, expired, lifted). */
#include <stdio.h>
#include <string.h>

#include "register_int.h"

#define BAN_PAGE_MAX 500

static const char *const ban_states[] = {"all", "active", "expired", "lifted", NULL};

static json_t *ban_row(eyni_stmt *st, void *ctx)
{
    const char *today = ctx, *ends = eyni_stmt_text(st, 8);
    const char *state = eyni_stmt_text(st, 13)            ? "lifted"
                        : ends && strcmp(ends, today) < 0 ? "expired"
                                                          : "active";
    return json_pack("{s:I, s:s?, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s?,"
                     " s:s?, s:s?, s:s}",
                     "id", (json_int_t)eyni_stmt_int64(st, 0), "fin", eyni_stmt_text(st, 1),
                     "surname", eyni_stmt_text(st, 2), "given_name", eyni_stmt_text(st, 3),
                     "birth_date", eyni_stmt_text(st, 4), "nationality", eyni_stmt_text(st, 5),
                     "direction", eyni_stmt_text(st, 6), "starts", eyni_stmt_text(st, 7), "ends",
                     ends, "legal_basis", eyni_stmt_text(st, 9), "authority",
                     eyni_stmt_text(st, 10), "created_at", eyni_stmt_text(st, 11), "created_by",
                     eyni_stmt_text(st, 12), "lifted_at", eyni_stmt_text(st, 13), "lifted_by",
                     eyni_stmt_text(st, 14), "lift_reason", eyni_stmt_text(st, 15), "status",
                     state);
}

static int state_known(const char *s)
{
    for (int i = 0; ban_states[i]; i++)
        if (!strcmp(s, ban_states[i]))
            return 1;
    return 0;
}

int eyni_register_ban_list(eyni_register *reg, const eyni_actor *a, const char *fin,
                           const char *status, long long limit, long long offset, json_t **out,
                           eyni_error *err)
{
    if (!status || !status[0])
        status = "all";
    int rc = reg_require(reg, a, EYNI_OP_BAN_READ, fin ? fin : "bans", err);
    if (rc == 0 && fin && !reg_fin_wellformed(reg, fin))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'fin' is not a well-formed FIN");
    if (rc == 0 && !state_known(status))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'status' must be all, active, expired or lifted");
    if (rc == 0 && (limit < 1 || limit > BAN_PAGE_MAX || offset < 0))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'limit' must be 1..%d and 'offset' >= 0",
                            BAN_PAGE_MAX);
    if (rc)
        return rc;
    char now[32], today[11], lim[24], off[24];
    eyni_time_now_iso(now);
    snprintf(today, sizeof today, "%.10s", now);
    snprintf(lim, sizeof lim, "%lld", limit);
    snprintf(off, sizeof off, "%lld", offset);
    const char *vals[] = {fin, fin, status, status, status, today, status, today, lim, off};
    json_t *list = NULL;
    rc = reg_read_rows(
        reg,
        "SELECT id, fin, surname, given_name, birth_date, nationality, direction, starts, ends,"
        " legal_basis, authority, created_at, created_by, lifted_at, lifted_by, lift_reason"
        " FROM bans WHERE (? IS NULL OR fin = ?) AND (? = 'all'"
        " OR (? = 'lifted' AND lifted_at IS NOT NULL)"
        " OR (? = 'active' AND lifted_at IS NULL AND (ends IS NULL OR ends >= ?))"
        " OR (? = 'expired' AND lifted_at IS NULL AND ends < ?))"
        " ORDER BY id DESC LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)",
        vals, 10, ban_row, today, &list, err);
    char detail[64];
    snprintf(detail, sizeof detail, "%s, %zu bans", status, list ? json_array_size(list) : 0);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "ban.list", fin ? fin : "bans", "ok", detail, err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o, s:i, s:I, s:I}", "bans", list, "count", (int)json_array_size(list),
                     "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    return 0;
}

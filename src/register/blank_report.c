/* Reconciliation of blank stock: counts by state, movements in a period, whether every
 * blank that entered an office's stock is accounted for, overdue transfers and alerts. */
#include <string.h>
#include <time.h>

#include "register_int.h"

/* Runs a "SELECT key, COUNT(*) ..." with text parameters into obj[key] = count. */
static int counts(eyni_db *db, const char *sql, const char *const *vals, int n, json_t *obj,
                  eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    rc = reg_bind_texts(st, 1, vals, n, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        const char *k = eyni_stmt_text(st, 0);
        json_object_set_new(obj, k ? k : "total", json_integer(eyni_stmt_int64(st, 1)));
        rc = 0;
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static long long get(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* Everything that entered an office's stock either is still there or left it by a
 * recorded event; a difference means a blank moved without a trace. */
static int balance(eyni_db *db, const char *office, json_t *out, eyni_error *err)
{
    json_t *in = json_object(), *left = json_object(), *now = json_object();
    const char *v[] = {office, office};
    int rc = counts(db,
                    "SELECT 'n', COUNT(*) FROM blank_events WHERE to_state = 'in_stock'"
                    " AND (? IS NULL OR office = ?)",
                    v, 2, in, err);
    if (rc == 0)
        rc = counts(db,
                    "SELECT 'n', COUNT(*) FROM blank_events WHERE from_state = 'in_stock'"
                    " AND (? IS NULL OR office = ?)",
                    v, 2, left, err);
    if (rc == 0)
        rc = counts(db,
                    "SELECT 'n', COUNT(*) FROM blanks WHERE state = 'in_stock'"
                    " AND (? IS NULL OR office = ?)",
                    v, 2, now, err);
    long long e = get(in, "n"), l = get(left, "n"), s = get(now, "n");
    json_object_set_new(out, "balance",
                        json_pack("{s:I, s:I, s:I, s:b}", "entered_stock", (json_int_t)e,
                                  "left_stock", (json_int_t)l, "in_stock", (json_int_t)s,
                                  "balanced", e - l == s));
    json_decref(in);
    json_decref(left);
    json_decref(now);
    return rc;
}

static int rows(eyni_db *db, const char *sql, const char *const *vals, int n,
                const char *const *names, int ncols, json_t *list, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    rc = reg_bind_texts(st, 1, vals, n, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        json_t *o = json_object();
        for (int c = 0; c < ncols; c++) {
            const char *t = eyni_stmt_text(st, c);
            json_object_set_new(o, names[c], t ? json_string(t) : json_null());
        }
        json_array_append_new(list, o);
        rc = 0;
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static void cutoff_of(int days, char out[32])
{
    time_t t = time(NULL) - (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

static int report(eyni_db *db, const char *office, const char *from, const char *to,
                  int overdue_days, json_t *out, eyni_error *err)
{
    const char *ov[] = {office, office};
    const char *pv[] = {office, office, from, to};
    json_t *stock = json_object(), *moves = json_object();
    json_object_set_new(out, "stock", stock);
    json_object_set_new(out, "movements", moves);
    int rc = counts(db, "SELECT state, COUNT(*) FROM blanks WHERE (? IS NULL OR office = ?)"
                        " GROUP BY state", ov, 2, stock, err);
    if (rc == 0)
        rc = counts(db,
                    "SELECT to_state, COUNT(*) FROM blank_events WHERE (? IS NULL OR office = ?)"
                    " AND substr(at, 1, 10) BETWEEN ? AND ? GROUP BY to_state",
                    pv, 4, moves, err);
    if (rc == 0)
        rc = balance(db, office, out, err);
    char cutoff[32];
    cutoff_of(overdue_days, cutoff);
    const char *tv[] = {office, office, office, cutoff};
    static const char *const tcols[] = {"transfer", "from", "to", "count", "sent_at"};
    json_t *overdue = json_array(), *alerts = json_array();
    json_object_set_new(out, "overdue_transfers", overdue);
    json_object_set_new(out, "alerts", alerts);
    if (rc == 0)
        rc = rows(db,
                  "SELECT id, from_office, to_office, count, sent_at FROM blank_transfers"
                  " WHERE state = 'in_transit' AND (? IS NULL OR from_office = ? OR to_office = ?)"
                  " AND sent_at < ? ORDER BY id",
                  tv, 4, tcols, 5, overdue, err);
    static const char *const acols[] = {"at", "serial", "office", "kind", "detail"};
    if (rc == 0)
        rc = rows(db,
                  "SELECT at, serial, office, kind, detail FROM blank_alerts"
                  " WHERE (? IS NULL OR office = ?) AND substr(at, 1, 10) BETWEEN ? AND ?"
                  " ORDER BY id",
                  pv, 4, acols, 5, alerts, err);
    return rc;
}

int eyni_register_blank_reconcile(eyni_register *reg, const eyni_actor *a, const char *office,
                                  const char *from, const char *to, int overdue_days,
                                  json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_BLANK_READ, office ? office : "blank", err);
    if (rc == 0 && from && eyni_date_parse(from, NULL, NULL, NULL, err))
        rc = eyni_error_prefix(err, "from: ");
    if (rc == 0 && to && eyni_date_parse(to, NULL, NULL, NULL, err))
        rc = eyni_error_prefix(err, "to: ");
    if (rc)
        return rc;
    eyni_db *db;
    rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    if (overdue_days <= 0)
        overdue_days = 7;
    json_t *o = json_pack("{s:s?, s:s, s:s, s:i}", "office", office, "from",
                          from ? from : "0000-01-01", "to", to ? to : "9999-12-31",
                          "overdue_days", overdue_days);
    rc = eyni_db_begin(db, 0, err);
    if (rc == 0)
        rc = report(db, office, from ? from : "0000-01-01", to ? to : "9999-12-31",
                    overdue_days, o, err);
    eyni_db_rollback(db);
    eyni_store_release(reg->store, db);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

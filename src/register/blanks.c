/* Blank stock accounting: every numbered blank from the printer's delivery to issue,
 * transfer, spoilage, destruction, loss or theft. Each move is one row in blank_events;
 * which moves are possible is enforced by triggers in the schema (schema.c). */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

#define SERIAL_MAX 64

static int doc_type_valid(const char *s)
{
    return reg_code_valid(s, 1);
}

/* ---- moving one blank --------------------------------------------------------------- */

typedef struct move {
    const char *serial;
    const char *want_state;  /* required current state, or NULL */
    const char *want_office; /* required current office, or NULL */
    const char *to_state;
    const char *to_office;   /* NULL keeps the office */
    long long transfer;      /* 0 clears the transfer */
    const char *docnum;      /* set once, on personalisation */
    const char *reason;
} move;

static int current(eyni_db *db, const char *serial, char *state, char *office, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT state, office FROM blanks WHERE serial = ?", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, serial, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(state, 16, "%s", eyni_stmt_text(st, 0));
        snprintf(office, 33, "%s", eyni_stmt_text(st, 1));
        rc = 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no blank with serial '%.40s'", serial);
    }
    eyni_stmt_free(st);
    return rc;
}

static int write_move(eyni_db *db, const move *m, const char *office, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE blanks SET state = ?, office = ?, transfer_id = ?,"
                             " document_number = COALESCE(?, document_number), updated_at = ?"
                             " WHERE serial = ?",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, m->to_state, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 2, office, err);
    if (rc == 0)
        rc = m->transfer ? eyni_stmt_bind_int64(st, 3, m->transfer, err)
                         : eyni_stmt_bind_null(st, 3, err);
    const char *tail[] = {m->docnum, now, m->serial};
    if (rc == 0)
        rc = reg_bind_texts(st, 4, tail, 3, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int add_event(eyni_db *db, const eyni_actor *a, const char *serial, const char *from,
                     const char *to, const char *office, const char *reason, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    const char *vals[] = {serial, now, from, to, office, a->id, reason};
    return reg_exec1(db,
                     "INSERT INTO blank_events (serial, at, from_state, to_state, office, actor,"
                     " reason) VALUES (?,?,?,?,?,?,?)",
                     vals, 7, err);
}

static int add_alert(eyni_db *db, const char *serial, const char *office, const char *kind,
                     const char *detail, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    const char *vals[] = {now, serial, office, kind, detail};
    return reg_exec1(db, "INSERT INTO blank_alerts (at, serial, office, kind, detail)"
                         " VALUES (?,?,?,?,?)",
                     vals, 5, err);
}

static int do_move(eyni_db *db, const eyni_actor *a, const move *m, eyni_error *err)
{
    char state[16], office[33];
    int rc = current(db, m->serial, state, office, err);
    if (rc)
        return rc;
    if (m->want_state && strcmp(state, m->want_state) != 0)
        return eyni_error_set(err, EYNI_ECONFLICT, "blank %s is %s, not %s", m->serial, state,
                              m->want_state);
    if (m->want_office && strcmp(office, m->want_office) != 0)
        return eyni_error_set(err, EYNI_ECONFLICT, "blank %s is at office %s, not %s", m->serial,
                              office, m->want_office);
    const char *to_office = m->to_office ? m->to_office : office;
    rc = write_move(db, m, to_office, err);
    if (rc == EYNI_ECONFLICT)
        return eyni_error_set(err, EYNI_ECONFLICT, "blank %s cannot go from %s to %s", m->serial,
                              state, m->to_state);
    /* Arrivals are booked to the receiving office, everything else to the holder. */
    if (rc == 0)
        rc = add_event(db, a, m->serial, state, m->to_state,
                       strcmp(m->to_state, "in_stock") == 0 ? to_office : office, m->reason, err);
    if (rc == 0 && (strcmp(m->to_state, "lost") == 0 || strcmp(m->to_state, "stolen") == 0))
        rc = add_alert(db, m->serial, office, m->to_state, m->reason, err);
    return rc;
}

/* ---- serial ranges ------------------------------------------------------------------ */

typedef struct range {
    char prefix[8];
    int digits;
    long long first, last;
} range;

static void serial_of(const range *r, long long n, char out[SERIAL_MAX])
{
    snprintf(out, SERIAL_MAX, "%s%0*lld", r->prefix, r->digits, n);
}

/* Splits "AZ0001234" into prefix "AZ", 7 digits, 1234. */
static int split_serial(const char *s, range *r, long long *n, eyni_error *err)
{
    size_t len = s ? strlen(s) : 0, p = 0;
    while (p < len && s[p] >= 'A' && s[p] <= 'Z')
        p++;
    size_t d = len - p;
    if (p > 4 || d < 1 || d > 12 || strspn(s + p, "0123456789") != d)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "serial '%.40s' must be up to 4 letters A-Z and 1..12 digits",
                              s ? s : "");
    memcpy(r->prefix, s, p);
    r->prefix[p] = '\0';
    r->digits = (int)d;
    *n = strtoll(s + p, NULL, 10);
    return 0;
}

static int range_of(const char *first, const char *last, range *r, eyni_error *err)
{
    range r2;
    long long a, b;
    int rc = split_serial(first, r, &a, err);
    if (rc == 0)
        rc = split_serial(last, &r2, &b, err);
    if (rc)
        return rc;
    if (strcmp(r->prefix, r2.prefix) != 0 || r->digits != r2.digits || b < a)
        return eyni_error_set(err, EYNI_EFORMAT, "'%s'..'%s' is not an ascending serial range",
                              first, last);
    if (b - a + 1 > EYNI_BLANK_BATCH_MAX)
        return eyni_error_set(err, EYNI_ELIMIT, "%lld serials in one range, limit %d", b - a + 1,
                              EYNI_BLANK_BATCH_MAX);
    r->first = a;
    r->last = b;
    return 0;
}

/* ---- delivery from the printer ------------------------------------------------------ */

typedef struct receive_arg {
    const eyni_actor *a;
    const char *doc_type, *office, *printer, *reference, *first_s, *last_s;
    range r;
    long long batch;
} receive_arg;

static int insert_blanks(eyni_db *db, receive_arg *x, eyni_error *err)
{
    eyni_stmt *ins = NULL, *ev = NULL;
    char now[32], serial[SERIAL_MAX];
    eyni_time_now_iso(now);
    int rc = eyni_db_prepare(db,
                             "INSERT INTO blanks (serial, batch_id, doc_type, office, state,"
                             " updated_at) VALUES (?, ?, ?, ?, 'in_stock', ?)",
                             &ins, err);
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "INSERT INTO blank_events (serial, at, from_state, to_state, office,"
                             " actor, reason) VALUES (?, ?, NULL, 'in_stock', ?, ?, 'delivery')",
                             &ev, err);
    for (long long n = x->r.first; rc == 0 && n <= x->r.last; n++) {
        serial_of(&x->r, n, serial);
        const char *bv[] = {x->doc_type, x->office, now};
        const char *evv[] = {serial, now, x->office, x->a->id};
        eyni_stmt_reset(ins);
        eyni_stmt_reset(ev);
        rc = eyni_stmt_bind_text(ins, 1, serial, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(ins, 2, x->batch, err);
        if (rc == 0)
            rc = reg_bind_texts(ins, 3, bv, 3, err);
        if (rc == 0 && (rc = eyni_stmt_step(ins, err)) == EYNI_EEXIST)
            rc = eyni_error_set(err, EYNI_EEXIST, "serial %s already exists: delivery refused",
                                serial);
        if (rc == 0)
            rc = reg_bind_texts(ev, 1, evv, 4, err);
        if (rc == 0)
            rc = eyni_stmt_step(ev, err);
    }
    eyni_stmt_free(ins);
    eyni_stmt_free(ev);
    return rc < 0 ? rc : 0;
}

static int receive_tx(eyni_db *db, void *p, eyni_error *err)
{
    receive_arg *x = p;
    int rc = reg_office_exists(db, x->office, err);
    eyni_stmt *st = NULL;
    char now[32];
    eyni_time_now_iso(now);
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "INSERT INTO blank_batches (doc_type, first_serial, last_serial, count,"
                             " office, printer, reference, received_at, received_by)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             &st, err);
    if (rc == 0) {
        const char *a[] = {x->doc_type, x->first_s, x->last_s};
        const char *b[] = {x->office, x->printer, x->reference, now, x->a->id};
        rc = reg_bind_texts(st, 1, a, 3, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 4, x->r.last - x->r.first + 1, err);
        if (rc == 0)
            rc = reg_bind_texts(st, 5, b, 5, err);
        if (rc == 0)
            rc = reg_step_id(st, &x->batch, err);
    }
    eyni_stmt_free(st);
    if (rc == 0)
        rc = insert_blanks(db, x, err);
    char detail[160];
    snprintf(detail, sizeof detail, "%s %s..%s", x->doc_type, x->first_s, x->last_s);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "blank.receive", x->office, "ok", detail, err);
    return rc;
}

static int get_texts(const json_t *in, const char *const *keys, const char **vals, int n,
                     eyni_error *err)
{
    for (int i = 0; i < n; i++) {
        int rc = eyni_json_get_string(in, keys[i], EYNI_TEXT_MAX, &vals[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int eyni_register_blank_receive(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"doc_type", "first", "last", "office", "printer",
                                       "reference", NULL};
    receive_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    const char *v[6] = {0};
    int rc = reg_require(reg, a, EYNI_OP_BLANK_MANAGE, "blank", err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = get_texts(in, keys, v, 6, err);
    x.doc_type = v[0], x.first_s = v[1], x.last_s = v[2], x.office = v[3], x.printer = v[4];
    x.reference = v[5];
    if (rc == 0 && !doc_type_valid(x.doc_type))
        rc = eyni_error_set(err, EYNI_EFORMAT, "doc_type must be 1..32 of a-z, 0-9, '_', '-'");
    if (rc == 0)
        rc = range_of(x.first_s, x.last_s, &x.r, err);
    if (rc == 0)
        rc = reg_write_tx(reg, receive_tx, &x, err);
    if (rc == 0)
        *out = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s}", "batch", (json_int_t)x.batch,
                         "doc_type", x.doc_type, "first", x.first_s, "last", x.last_s, "count",
                         (json_int_t)(x.r.last - x.r.first + 1), "office", x.office);
    return rc;
}

/* ---- transfers between offices ------------------------------------------------------- */

typedef struct send_arg {
    const eyni_actor *a;
    const char *from, *to, *reference;
    const json_t *list; /* explicit serials, or */
    range r;            /* a range when list is NULL */
    long long count, transfer;
} send_arg;

static int send_one(eyni_db *db, send_arg *x, const char *serial, eyni_error *err)
{
    move m = {serial, "in_stock", x->from, "in_transit", NULL, x->transfer, NULL, "transfer"};
    return do_move(db, x->a, &m, err);
}

static int send_tx(eyni_db *db, void *p, eyni_error *err)
{
    send_arg *x = p;
    int rc = reg_office_exists(db, x->from, err);
    if (rc == 0)
        rc = reg_office_exists(db, x->to, err);
    eyni_stmt *st = NULL;
    char now[32];
    eyni_time_now_iso(now);
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "INSERT INTO blank_transfers (from_office, to_office, count, state,"
                             " sent_at, sent_by, reference) VALUES (?, ?, ?, 'in_transit', ?, ?, ?)"
                             " RETURNING id",
                             &st, err);
    if (rc == 0) {
        const char *a[] = {x->from, x->to}, *b[] = {now, x->a->id, x->reference};
        rc = reg_bind_texts(st, 1, a, 2, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 3, x->count, err);
        if (rc == 0)
            rc = reg_bind_texts(st, 4, b, 3, err);
        if (rc == 0)
            rc = reg_step_id(st, &x->transfer, err);
    }
    eyni_stmt_free(st);
    char serial[SERIAL_MAX];
    for (long long i = 0; rc == 0 && i < x->count; i++) {
        if (x->list)
            snprintf(serial, sizeof serial, "%s",
                     json_string_value(json_array_get(x->list, (size_t)i)));
        else
            serial_of(&x->r, x->r.first + i, serial);
        rc = send_one(db, x, serial, err);
    }
    char detail[96];
    snprintf(detail, sizeof detail, "transfer %lld: %lld blanks to %s", x->transfer, x->count,
             x->to);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "blank.send", x->from, "ok", detail, err);
    return rc;
}

static int serial_list(const json_t *list, eyni_error *err)
{
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > EYNI_BLANK_BATCH_MAX)
        return eyni_error_set(err, EYNI_EFORMAT, "'serials' must be a list of 1..%d serials",
                              EYNI_BLANK_BATCH_MAX);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (!s || strlen(s) >= SERIAL_MAX)
            return eyni_error_set(err, EYNI_EFORMAT, "serials[%zu] is not a serial", i);
    }
    return 0;
}

int eyni_register_blank_send(eyni_register *reg, const eyni_actor *a, const json_t *in,
                             json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"from", "to", "reference", "first", "last", "serials",
                                       NULL};
    send_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    const char *v[5] = {0};
    int rc = reg_require(reg, a, EYNI_OP_BLANK_MANAGE, "blank", err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = get_texts(in, keys, v, 5, err);
    x.from = v[0], x.to = v[1], x.reference = v[2];
    x.list = json_object_get(in, "serials");
    if (rc == 0 && (!x.from || !x.to || strcmp(x.from, x.to) == 0))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a transfer needs two different offices");
    if (rc == 0 && x.list)
        rc = serial_list(x.list, err);
    else if (rc == 0)
        rc = range_of(v[3], v[4], &x.r, err);
    x.count = x.list ? (long long)json_array_size(x.list) : x.r.last - x.r.first + 1;
    if (rc == 0)
        rc = reg_write_tx(reg, send_tx, &x, err);
    if (rc == 0)
        *out = json_pack("{s:I, s:s, s:s, s:I, s:s}", "transfer", (json_int_t)x.transfer, "from",
                         x.from, "to", x.to, "count", (json_int_t)x.count, "state", "in_transit");
    return rc;
}

typedef struct accept_arg {
    const eyni_actor *a;
    long long transfer;
    const json_t *missing;
    char to[33];
    long long received, lost;
} accept_arg;

static int is_missing(const json_t *missing, const char *serial)
{
    for (size_t i = 0; i < json_array_size(missing); i++)
        if (strcmp(json_string_value(json_array_get(missing, i)), serial) == 0)
            return 1;
    return 0;
}

static int load_transfer(eyni_db *db, accept_arg *x, json_t **serials, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT to_office, state FROM blank_transfers WHERE id = ?", &st,
                             err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->transfer, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(x->to, sizeof x->to, "%s", eyni_stmt_text(st, 0));
        rc = strcmp(eyni_stmt_text(st, 1), "in_transit") == 0
                 ? 0
                 : eyni_error_set(err, EYNI_ECONFLICT, "transfer %lld was already received",
                                  x->transfer);
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no transfer %lld", x->transfer);
    }
    eyni_stmt_free(st);
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "SELECT serial FROM blanks WHERE transfer_id = ? AND state = 'in_transit'"
                             " ORDER BY serial",
                             &st, err);
    if (rc)
        return rc;
    *serials = json_array();
    rc = eyni_stmt_bind_int64(st, 1, x->transfer, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        json_array_append_new(*serials, json_string(eyni_stmt_text(st, 0)));
        rc = 0;
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int close_transfer(eyni_db *db, accept_arg *x, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE blank_transfers SET state = 'received', received_at = ?,"
                             " received_by = ? WHERE id = ?",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {now, x->a->id};
    rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 3, x->transfer, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int accept_tx(eyni_db *db, void *p, eyni_error *err)
{
    accept_arg *x = p;
    json_t *serials = NULL;
    int rc = load_transfer(db, x, &serials, err);
    for (size_t i = 0; rc == 0 && i < json_array_size(x->missing); i++)
        if (!is_missing(serials, json_string_value(json_array_get(x->missing, i))))
            rc = eyni_error_set(err, EYNI_EFORMAT, "serial %.40s is not in transfer %lld",
                                json_string_value(json_array_get(x->missing, i)), x->transfer);
    for (size_t i = 0; rc == 0 && i < json_array_size(serials); i++) {
        const char *s = json_string_value(json_array_get(serials, i));
        int lost = is_missing(x->missing, s);
        move m = {s, "in_transit", NULL, lost ? "lost" : "in_stock", lost ? NULL : x->to, 0, NULL,
                  lost ? "missing on receipt" : "received"};
        rc = do_move(db, x->a, &m, err);
        if (lost)
            x->lost++;
        else
            x->received++;
    }
    json_decref(serials);
    if (rc == 0)
        rc = close_transfer(db, x, err);
    char detail[96];
    snprintf(detail, sizeof detail, "transfer %lld: %lld received, %lld missing", x->transfer,
             x->received, x->lost);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "blank.accept", x->to, x->lost ? "missing" : "ok", detail,
                              err);
    return rc;
}

int eyni_register_blank_accept(eyni_register *reg, const eyni_actor *a, long long transfer,
                               const json_t *in, json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"missing", NULL};
    accept_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.transfer = transfer;
    int rc = reg_require(reg, a, EYNI_OP_BLANK_MANAGE, "blank", err);
    if (rc == 0 && in)
        rc = eyni_json_check_keys(in, keys, err);
    x.missing = in ? json_object_get(in, "missing") : NULL;
    if (rc == 0 && x.missing)
        rc = serial_list(x.missing, err);
    if (rc == 0)
        rc = reg_write_tx(reg, accept_tx, &x, err);
    if (rc == 0)
        *out = json_pack("{s:I, s:s, s:I, s:I}", "transfer", (json_int_t)transfer, "office", x.to,
                         "received", (json_int_t)x.received, "missing", (json_int_t)x.lost);
    return rc;
}

/* ---- personalisation and other state changes ---------------------------------------- */

int reg_blank_take(eyni_db *db, const eyni_actor *a, const char *office, const char *doc_type,
                   const char *document_number, char serial[SERIAL_MAX], eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT serial FROM blanks WHERE office = ? AND doc_type = ?"
                             " AND state = 'in_stock' ORDER BY serial LIMIT 1",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {office, doc_type};
    rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(serial, SERIAL_MAX, "%s", eyni_stmt_text(st, 0));
        rc = 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "office %s has no %s blank in stock", office,
                            doc_type);
    }
    eyni_stmt_free(st);
    if (rc)
        return rc;
    move m = {serial, "in_stock", office, "personalised", NULL, 0, document_number,
              "personalisation"};
    return do_move(db, a, &m, err);
}

typedef struct take_arg {
    const eyni_actor *a;
    const char *office, *doc_type, *docnum;
    char serial[SERIAL_MAX];
} take_arg;

static int take_tx(eyni_db *db, void *p, eyni_error *err)
{
    take_arg *t = p;
    int rc = reg_blank_take(db, t->a, t->office, t->doc_type, t->docnum, t->serial, err);
    if (rc == 0)
        rc = reg_audit_append(db, t->a, "blank.personalise", t->serial, "ok", t->docnum, err);
    return rc;
}

int eyni_register_blank_take(eyni_register *reg, const eyni_actor *a, const char *office,
                             const char *doc_type, const char *document_number,
                             char serial[SERIAL_MAX], eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_BLANK_MANAGE, "blank", err);
    if (rc == 0 && (!document_number || !document_number[0] || strlen(document_number) > 32))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a document number of 1..32 characters is needed");
    take_arg t = {a, office, doc_type, document_number, ""};
    if (rc == 0)
        rc = reg_write_tx(reg, take_tx, &t, err);
    if (rc == 0)
        snprintf(serial, SERIAL_MAX, "%s", t.serial);
    return rc;
}

typedef struct state_arg {
    const eyni_actor *a;
    move m;
} state_arg;

static int state_tx(eyni_db *db, void *p, eyni_error *err)
{
    state_arg *s = p;
    int rc = do_move(db, s->a, &s->m, err);
    if (rc == 0)
        rc = reg_audit_append(db, s->a, "blank.state", s->m.serial, s->m.to_state, s->m.reason,
                              err);
    return rc;
}

int eyni_register_blank_set_state(eyni_register *reg, const eyni_actor *a, const char *serial,
                                  const char *state, const char *reason, json_t **out,
                                  eyni_error *err)
{
    static const char *const allowed[] = {"issued", "spoiled", "destroyed", "lost", "stolen",
                                          NULL};
    int ok = 0;
    for (int i = 0; state && allowed[i]; i++)
        ok |= strcmp(state, allowed[i]) == 0;
    int rc = reg_require(reg, a, EYNI_OP_BLANK_MANAGE, serial, err);
    if (rc == 0 && !ok)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "state must be issued, spoiled, destroyed, lost or stolen");
    if (rc == 0 && (!reason || !reason[0] || strlen(reason) > EYNI_TEXT_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a reason is required");
    state_arg s = {a, {serial, NULL, NULL, state, NULL, 0, NULL, reason}};
    if (rc == 0)
        rc = reg_write_tx(reg, state_tx, &s, err);
    if (rc == 0)
        rc = eyni_register_blank_get(reg, a, serial, out, err);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

static json_t *event_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s?}", "at", eyni_stmt_text(st, 0), "from",
                     eyni_stmt_text(st, 1), "to", eyni_stmt_text(st, 2), "office",
                     eyni_stmt_text(st, 3), "actor", eyni_stmt_text(st, 4), "reason",
                     eyni_stmt_text(st, 5));
}

static int blank_events(eyni_db *db, const char *serial, json_t *list, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT at, from_state, to_state, office, actor, reason"
                             " FROM blank_events WHERE serial = ? ORDER BY id",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, serial, err);
    if (rc == 0)
        rc = reg_collect(st, event_row, NULL, list, err);
    eyni_stmt_free(st);
    return rc;
}

int eyni_register_blank_get(eyni_register *reg, const eyni_actor *a, const char *serial,
                            json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_BLANK_READ, serial, err);
    if (rc)
        return rc;
    eyni_db *db;
    eyni_stmt *st = NULL;
    rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT serial, doc_type, office, state, transfer_id, document_number,"
                         " batch_id FROM blanks WHERE serial = ?",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, serial, err);
    json_t *b = NULL;
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        b = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?, s:I, s:[]}", "serial",
                      eyni_stmt_text(st, 0), "doc_type", eyni_stmt_text(st, 1), "office",
                      eyni_stmt_text(st, 2), "state", eyni_stmt_text(st, 3), "transfer",
                      eyni_stmt_is_null(st, 4) ? json_null() : json_integer(eyni_stmt_int64(st, 4)),
                      "document_number", eyni_stmt_text(st, 5), "batch",
                      (json_int_t)eyni_stmt_int64(st, 6), "events");
        rc = 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no blank with serial '%.40s'", serial);
    }
    eyni_stmt_free(st);
    if (rc == 0)
        rc = blank_events(db, serial, json_object_get(b, "events"), err);
    eyni_store_release(reg->store, db);
    if (rc) {
        json_decref(b);
        return rc;
    }
    *out = b;
    return 0;
}

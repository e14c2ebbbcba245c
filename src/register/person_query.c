/* Reading many records at once: a person's version history and searches. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

typedef struct history_arg {
    const eyni_actor *a;
    const char *fin;
    json_t *list;
    int found;
} history_arg;

static json_t *version_row(eyni_stmt *st, void *ctx)
{
    const eyni_actor *a = ctx;
    json_error_t je;
    json_t *rec = json_loads(eyni_stmt_text(st, 1), 0, &je);
    json_t *view = rec ? reg_person_view(rec, a->role) : json_null();
    json_decref(rec);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "version",
                     (json_int_t)eyni_stmt_int64(st, 0), "changed_at", eyni_stmt_text(st, 2),
                     "changed_by", eyni_stmt_text(st, 3), "agency", eyni_stmt_text(st, 4),
                     "reason", eyni_stmt_text(st, 5), "record", view);
}

static int history_rows(eyni_db *db, int64_t pid, history_arg *h, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT version, record, changed_at, changed_by, agency, reason"
                             " FROM person_versions WHERE person_id = ? ORDER BY version",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_int64(st, 1, pid, err);
    if (rc == 0)
        rc = reg_collect(st, version_row, (void *)h->a, h->list, err);
    eyni_stmt_free(st);
    return rc;
}

static int history_tx(eyni_db *db, void *p, eyni_error *err)
{
    history_arg *h = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT id FROM persons WHERE fin = ?", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, h->fin, err);
    int64_t pid = 0;
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        pid = eyni_stmt_int64(st, 0);
        h->found = 1;
        rc = 0;
    }
    eyni_stmt_free(st);
    if (rc < 0)
        return rc;
    if (h->found)
        rc = history_rows(db, pid, h, err);
    if (rc == 0)
        rc = reg_audit_append(db, h->a, "person.history", h->fin, h->found ? "ok" : "not found",
                              NULL, err);
    return rc;
}

int eyni_register_person_history(eyni_register *reg, const eyni_actor *a, const char *fin,
                                 json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_PERSON_HISTORY, fin, err);
    if (rc == 0 && !reg_fin_wellformed(reg, fin))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN", fin ? fin : "");
    if (rc)
        return rc;
    history_arg h = {a, fin, json_array(), 0};
    rc = reg_write_tx(reg, history_tx, &h, err);
    if (rc == 0 && !h.found)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no person with FIN %s", fin);
    if (rc) {
        json_decref(h.list);
        return rc;
    }
    *out = json_pack("{s:s, s:o}", "fin", fin, "versions", h.list);
    return 0;
}

typedef struct search_arg {
    const eyni_actor *a;
    const eyni_person_query *q;
    char sk[4 * EYNI_NAME_MAX], gk[4 * EYNI_NAME_MAX];
    char criteria[EYNI_TEXT_MAX];
    int limit;
    json_t *results;
} search_arg;

static int search_tx(eyni_db *db, void *p, eyni_error *err)
{
    search_arg *s = p;
    const eyni_person_query *q = s->q;
    eyni_stmt *st;
    int rc = eyni_db_prepare(
        db,
        "SELECT record FROM persons WHERE (? IS NULL OR fin = ?)"
        " AND (? IS NULL OR surname_key = ?) AND (? IS NULL OR given_name_key = ?)"
        " AND (? IS NULL OR birth_date = ?)"
        " ORDER BY surname_key, given_name_key, birth_date, fin LIMIT ? OFFSET ?",
        &st, err);
    if (rc)
        return rc;
    const char *sk = q->surname ? s->sk : NULL, *gk = q->given_name ? s->gk : NULL;
    const char *vals[] = {q->fin, q->fin, sk, sk, gk, gk, q->birth_date, q->birth_date};
    rc = reg_bind_texts(st, 1, vals, 8, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 9, s->limit, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 10, q->offset, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        json_error_t je;
        json_t *rec = json_loads(eyni_stmt_text(st, 0), 0, &je);
        if (rec)
            json_array_append_new(s->results, reg_person_view(rec, s->a->role));
        json_decref(rec);
        rc = 0;
    }
    eyni_stmt_free(st);
    if (rc < 0)
        return rc;
    char detail[32];
    snprintf(detail, sizeof detail, "%zu found", json_array_size(s->results));
    return reg_audit_append(db, s->a, "person.search", s->criteria, "ok", detail, err);
}

static int check_query(const eyni_register *reg, const eyni_person_query *q, search_arg *s,
                       eyni_error *err)
{
    if (!q->fin && !q->surname)
        return eyni_error_set(err, EYNI_EINVAL, "search needs a FIN or a surname");
    if (q->fin && !reg_fin_wellformed(reg, q->fin))
        return eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN", q->fin);
    if (q->birth_date && eyni_date_parse(q->birth_date, NULL, NULL, NULL, err))
        return eyni_error_prefix(err, "birth_date: ");
    if (q->limit < 0 || q->limit > EYNI_SEARCH_MAX || q->offset < 0)
        return eyni_error_set(err, EYNI_EINVAL, "limit must be 1..%d and offset >= 0",
                              EYNI_SEARCH_MAX);
    int rc = 0;
    if (q->surname)
        rc = eyni_text_fold(q->surname, s->sk, sizeof s->sk, err);
    if (rc == 0 && q->given_name)
        rc = eyni_text_fold(q->given_name, s->gk, sizeof s->gk, err);
    if (rc == 0 && q->surname && !s->sk[0])
        rc = eyni_error_set(err, EYNI_EINVAL, "surname must hold letters");
    return rc ? EYNI_EFORMAT : 0;
}

int eyni_register_person_search(eyni_register *reg, const eyni_actor *a,
                                const eyni_person_query *q, json_t **out, eyni_error *err)
{
    search_arg *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    s->a = a;
    s->q = q;
    s->limit = q->limit ? q->limit : 20;
    snprintf(s->criteria, sizeof s->criteria, "search:fin=%s;surname=%s;given_name=%s;birth_date=%s",
             q->fin ? q->fin : "", q->surname ? q->surname : "",
             q->given_name ? q->given_name : "", q->birth_date ? q->birth_date : "");
    int rc = reg_require(reg, a, EYNI_OP_PERSON_SEARCH, s->criteria, err);
    if (rc == 0)
        rc = check_query(reg, q, s, err);
    if (rc == 0) {
        s->results = json_array();
        rc = reg_write_tx(reg, search_tx, s, err);
    }
    if (rc == 0)
        *out = json_pack("{s:O, s:i, s:i, s:i}", "results", s->results, "count",
                         (int)json_array_size(s->results), "limit", s->limit, "offset",
                         q->offset);
    json_decref(s->results);
    free(s);
    return rc;
}

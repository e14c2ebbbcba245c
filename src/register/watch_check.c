/* Reading watchlists: the entries of a list, the traveller check against all visible lists,
 * and bulk import of invalid-document lists. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

#define KEY_MAX        128
#define NAME_THRESHOLD 0.80 /* phonetic-key similarity from which a name is a hit */

/* Active entries of lists visible to the actor and valid on today's date. */
#define ACTIVE_SQL                                                                                 \
    "SELECT w.code, w.kind, e.id, e.key1, e.key2, e.birth_date, e.fin, e.record, w.handling,"      \
    " w.legal_basis, w.name FROM watch_entries e JOIN watchlists w ON w.id = e.list_id"            \
    " WHERE e.removed_at IS NULL AND e.kind = ? AND w.valid_from <= ?"                             \
    " AND (w.valid_to IS NULL OR w.valid_to >= ?) AND " REG_WATCH_VISIBLE_SQL("w.")

static void upper_alnum(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)toupper((unsigned char)*s);
    out[n] = '\0';
}

typedef struct probe {
    const char *kind;
    char key1[KEY_MAX], key2[KEY_MAX];
    const char *birth_date, *fin;
} probe;

/* Best similarity of the probe's surname key to the entry's surname and its variants. */
static double surname_score(const probe *p, const char *key1, const json_t *record)
{
    double best = reg_name_similarity(p->key1, key1);
    const json_t *vk = json_object_get(record, "variant_keys");
    for (size_t i = 0; i < json_array_size(vk); i++) {
        double s = reg_name_similarity(p->key1, json_string_value(json_array_get(vk, i)));
        best = s > best ? s : best;
    }
    return best;
}

/* 0 when the entry does not match, else a score in (0, 1]. */
static double person_score(const probe *p, eyni_stmt *st, const json_t *record)
{
    const char *fin = eyni_stmt_text(st, 6), *bd = eyni_stmt_text(st, 5);
    if (p->fin && fin && strcmp(p->fin, fin) == 0)
        return 1.0;
    double s = surname_score(p, eyni_stmt_text(st, 3), record);
    double g = p->key2[0] ? reg_name_similarity(p->key2, eyni_stmt_text(st, 4)) : 1.0;
    if (s < NAME_THRESHOLD || g < NAME_THRESHOLD)
        return 0;
    /* A birth date on both sides must agree; a differing one rules the entry out. */
    if (p->birth_date && bd && strcmp(p->birth_date, bd) != 0)
        return 0;
    double score = 0.5 * (s + g);
    return p->birth_date && bd ? score : 0.9 * score;
}

static double exact_score(const probe *p, eyni_stmt *st)
{
    const char *k1 = eyni_stmt_text(st, 3), *k2 = eyni_stmt_text(st, 4);
    int m1 = p->key1[0] && k1 && strcmp(p->key1, k1) == 0;
    int m2 = p->key2[0] && k2 && strcmp(p->key2, k2) == 0;
    if (!strcmp(p->kind, "document")) /* a number matches unless the states disagree */
        return m1 && (m2 || !p->key2[0] || !k2) ? 1.0 : 0;
    return m1 || m2 ? 1.0 : 0; /* vehicles: plate or VIN */
}

static int scan(eyni_db *db, const eyni_actor *a, const probe *p, json_t *hits, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, ACTIVE_SQL, &st, err);
    if (rc)
        return rc;
    char today[32];
    eyni_time_now_iso(today);
    today[10] = '\0';
    const char *vals[] = {p->kind, today, today, a->agency, a->agency, eyni_role_name(a->role)};
    rc = reg_bind_texts(st, 1, vals, 6, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        json_error_t je;
        json_t *record = json_loads(eyni_stmt_text(st, 7), 0, &je);
        double score =
            !strcmp(p->kind, "person") ? person_score(p, st, record) : exact_score(p, st);
        if (score > 0) {
            json_object_del(record, "variant_keys");
            json_array_append_new(
                hits, json_pack("{s:s, s:s, s:s, s:I, s:f, s:s?, s:s, s:o}", "list",
                                eyni_stmt_text(st, 0), "list_name", eyni_stmt_text(st, 10), "kind",
                                p->kind, "entry", (json_int_t)eyni_stmt_int64(st, 2), "score",
                                score, "handling", eyni_stmt_text(st, 8), "legal_basis",
                                eyni_stmt_text(st, 9), "record", record));
        } else {
            json_decref(record);
        }
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int build_probe(const json_t *q, const char *kind, probe *p, eyni_error *err)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    if (!strcmp(kind, "person")) {
        const char *sn = json_string_value(json_object_get(q, "surname"));
        const char *gn = json_string_value(json_object_get(q, "given_name"));
        p->fin = json_string_value(json_object_get(q, "fin"));
        p->birth_date = json_string_value(json_object_get(q, "birth_date"));
        if (!sn && !p->fin)
            return eyni_error_set(err, EYNI_EFORMAT, "a person check needs a surname or a FIN");
        int rc = sn ? reg_name_key(sn, p->key1, KEY_MAX, err) : 0;
        if (rc == 0 && gn)
            rc = reg_name_key(gn, p->key2, KEY_MAX, err);
        return rc;
    }
    int vehicle = !strcmp(kind, "vehicle");
    upper_alnum(json_string_value(json_object_get(q, vehicle ? "plate" : "number")), p->key1,
                KEY_MAX);
    upper_alnum(json_string_value(json_object_get(q, vehicle ? "vin" : "issuing_state")), p->key2,
                KEY_MAX);
    if (!p->key1[0] && !p->key2[0])
        return eyni_error_set(err, EYNI_EFORMAT, "a %s check needs %s", kind,
                              vehicle ? "a plate or a VIN" : "a document number");
    return 0;
}

/* Our own lost, stolen and revoked documents are on the invalid-document list too. */
static int national_invalid(eyni_db *db, const probe *p, json_t *hits, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT number, issuing_state, type, status, status_at FROM documents"
                             " WHERE number = ? AND status IN ('lost', 'stolen', 'revoked')",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, p->key1, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        if (p->key2[0] && strcmp(p->key2, eyni_stmt_text(st, 1)) != 0)
            continue; /* same number from another state */
        json_array_append_new(
            hits,
            json_pack("{s:s, s:s, s:s, s:n, s:f, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "list",
                      "NATIONAL-DOCUMENTS", "list_name",
                      "documents of this register reported invalid", "kind", "document", "entry",
                      "score", 1.0, "handling", "retain the document", "legal_basis",
                      "document status in the register", "record", "number", eyni_stmt_text(st, 0),
                      "issuing_state", eyni_stmt_text(st, 1), "doc_type", eyni_stmt_text(st, 2),
                      "status", eyni_stmt_text(st, 3), "since", eyni_stmt_text(st, 4)));
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

typedef struct check_arg {
    const eyni_actor *a;
    const json_t *query;
    json_t *hits;
} check_arg;

static int check_tx(eyni_db *db, void *p, eyni_error *err)
{
    check_arg *c = p;
    static const char *const kinds[] = {"person", "vehicle", "document"};
    int rc = 0, parts = 0;
    for (int i = 0; rc == 0 && i < 3; i++) {
        const json_t *q = json_object_get(c->query, kinds[i]);
        if (!q)
            continue;
        probe pr;
        parts++;
        rc = json_is_object(q)
                 ? build_probe(q, kinds[i], &pr, err)
                 : eyni_error_set(err, EYNI_EFORMAT, "'%s' must be an object", kinds[i]);
        if (rc == 0)
            rc = scan(db, c->a, &pr, c->hits, err);
        if (rc == 0 && i == 2)
            rc = national_invalid(db, &pr, c->hits, err);
    }
    if (rc == 0 && parts == 0)
        rc = eyni_error_set(err, EYNI_EFORMAT, "a check needs a person, vehicle or document");
    return rc;
}

/* The scan runs in a read transaction so that concurrent checkpoints do not queue behind
 * one another's scan of every entry; only the audit line takes the write lock. */
static int scan_read(eyni_register *reg, check_arg *c, eyni_error *err)
{
    eyni_db *db;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_begin(db, 0, err);
    if (rc == 0) {
        rc = check_tx(db, c, err);
        if (rc == 0)
            rc = eyni_db_commit(db, err);
        else
            eyni_db_rollback(db);
    }
    eyni_store_release(reg->store, db);
    return rc;
}

int eyni_register_watch_check(eyni_register *reg, const eyni_actor *a, const json_t *query,
                              json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"person", "vehicle", "document", NULL};
    int rc = reg_require(reg, a, EYNI_OP_WATCH_READ, "watchlists", err);
    if (rc == 0)
        rc = json_is_object(query) ? eyni_json_check_keys(query, keys, err)
                                   : eyni_error_set(err, EYNI_EFORMAT, "check must be an object");
    check_arg c = {a, query, json_array()};
    if (rc == 0)
        rc = scan_read(reg, &c, err);
    char detail[32];
    snprintf(detail, sizeof detail, "%zu hits", json_array_size(c.hits));
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "watch.check", "watchlists", "ok", detail, err);
    if (rc) {
        json_decref(c.hits);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "hits", c.hits, "count", (int)json_array_size(c.hits));
    return 0;
}

static json_t *entry_row(eyni_stmt *st, void *ctx)
{
    json_error_t je;
    json_t *record = json_loads(eyni_stmt_text(st, 1), 0, &je);
    json_object_del(record, "variant_keys");
    return json_pack("{s:I, s:o, s:s, s:s, s:s}", "entry", (json_int_t)eyni_stmt_int64(st, 0),
                     "record", record ? record : json_null(), "reason", eyni_stmt_text(st, 2),
                     "added_at", eyni_stmt_text(st, 3), "added_by", eyni_stmt_text(st, 4));
}

int eyni_register_watch_entries(eyni_register *reg, const eyni_actor *a, const char *list,
                                json_t **out, eyni_error *err)
{
    const char *vals[] = {list, a->agency, a->agency, eyni_role_name(a->role)};
    json_t *entries = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_READ, list, err);
    if (rc == 0)
        rc = reg_read_rows(reg,
                           "SELECT e.id, e.record, e.reason, e.added_at, e.added_by"
                           " FROM watch_entries e JOIN watchlists w ON w.id = e.list_id"
                           " WHERE w.code = ? AND e.removed_at IS NULL"
                           " AND " REG_WATCH_VISIBLE_SQL("w.") " ORDER BY e.id",
                           vals, 4, entry_row, NULL, &entries, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:o}", "list", list, "entries", entries);
    return rc;
}

/* ---- import of invalid-document lists ------------------------------------------------- */

/* Splits one CSV line of plain fields (no quotes in document lists) into at most n
 * fields; returns the count. */
static int split_csv(char *line, char **f, int n)
{
    int k = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ",", &save); t && k < n; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        size_t m = strlen(t);
        while (m && isspace((unsigned char)t[m - 1]))
            t[--m] = '\0';
        f[k++] = t;
    }
    return k;
}

/* One line inside the import transaction, behind a savepoint so a bad line leaves no
 * trace and the good ones stay. */
static int import_line(eyni_db *db, const eyni_actor *a, const char *list, char *line,
                       eyni_error *err)
{
    char *f[5] = {0};
    if (split_csv(line, f, 5) != 4)
        return eyni_error_set(err, EYNI_EFORMAT, "expected 4 fields");
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", f[0], "issuing_state", f[1],
                           "doc_type", f[2], "status", f[3], "reason", "imported list");
    if (!in)
        return eyni_error_set(err, EYNI_EFORMAT, "fields are not text");
    int rc = eyni_db_exec(db, "SAVEPOINT import_line", err);
    if (rc == 0) {
        rc = reg_watch_add_in_tx(db, a, list, in, err);
        eyni_error ignore;
        if (rc)
            eyni_db_exec(db, "ROLLBACK TO import_line", &ignore);
        eyni_db_exec(db, "RELEASE import_line", &ignore);
    }
    json_decref(in);
    return rc;
}

typedef struct import_arg {
    const eyni_actor *a;
    const char *list, *csv;
    size_t len;
    json_t *problems;
    long long added;
} import_arg;

static void problem(json_t *list, long long line, const char *text)
{
    json_array_append_new(list, json_pack("{s:I, s:s}", "line", (json_int_t)line, "problem", text));
}

static int import_tx(eyni_db *db, void *p, eyni_error *err)
{
    import_arg *x = p;
    long long lineno = 0;
    const char *s = x->csv, *end = x->csv + x->len;
    while (s < end && lineno < EYNI_WATCH_IMPORT_MAX) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = (size_t)((nl ? nl : end) - s);
        if (n > 0 && s[n - 1] == '\r') /* lists written on Windows end lines with CR LF */
            n--;
        char line[1024];
        lineno++;
        if (lineno == 1 && (n < 6 || strncmp(s, "number", 6) != 0))
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "header must be number,issuing_state,doc_type,status");
        if (lineno == 1 || n == 0) {
            /* header or blank line */
        } else if (n >= sizeof line) {
            problem(x->problems, lineno, "line longer than 1023 bytes");
        } else if (!eyni_utf8_valid(s, n)) {
            problem(x->problems, lineno, "not UTF-8 text");
        } else {
            memcpy(line, s, n);
            line[n] = '\0';
            eyni_error lerr;
            int rc = import_line(db, x->a, x->list, line, &lerr);
            if (rc == 0)
                x->added++;
            else if (rc == EYNI_EFORMAT || rc == EYNI_ELIMIT)
                problem(x->problems, lineno, lerr.msg);
            else
                return eyni_error_set(err, rc, "line %lld: %s", lineno, lerr.msg);
        }
        s = nl ? nl + 1 : end;
    }
    return 0;
}

int eyni_register_watch_import(eyni_register *reg, const eyni_actor *a, const char *list,
                               const char *csv, size_t len, json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, list, err);
    if (rc)
        return rc;
    import_arg x = {a, list, csv, len, json_array(), 0};
    rc = reg_write_tx(reg, import_tx, &x, err);
    if (rc) {
        json_decref(x.problems);
        return rc;
    }
    *out = json_pack("{s:s, s:I, s:o}", "list", list, "added", (json_int_t)x.added, "problems",
                     x.problems);
    return 0;
}

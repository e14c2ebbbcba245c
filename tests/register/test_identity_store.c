/* White-box tests of the identity service's storage: sealed samples, enrolment records,
 * adjudication cases and the gallery change log. */
#include "reg_migrate.h"

static eyni_register *open_with_keys(const char *tag)
{
    return fixture_open_keyed(tag);
}

static reg_sample sample(const char *modality, int position, const char *tpl)
{
    reg_sample s;
    memset(&s, 0, sizeof s);
    snprintf(s.modality, sizeof s.modality, "%s", modality);
    s.position = position;
    s.tpl = (unsigned char *)strdup(tpl);
    s.tlen = strlen(tpl);
    s.img = (unsigned char *)strdup("raw image bytes");
    s.ilen = 15;
    s.quality = 80;
    snprintf(s.engine, sizeof s.engine, "test-1");
    return s;
}

typedef struct seen {
    int n;
    char tpl[8][64];
    char fin[8][16];
} seen;

static int collect(long long change, const char *op, long long bio, const char *fin,
                   const char *modality, int position, const unsigned char *tpl, size_t tlen,
                   void *ctx)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->tpl[s->n], 64, "%.*s", (int)tlen, (const char *)tpl);
        snprintf(s->fin[s->n], 16, "%s", fin);
    }
    s->n++;
    return 0;
}

static int other_shard(const char *fin, void *ctx)
{
    (void)fin, (void)ctx;
    return 0;
}

static long long record(eyni_register *r, const char *status, const char *cand_fin, const char *tpl,
                        char fin[EYNI_FIN_MAX + 1], long long *case_id, int expect)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "enrolment");
    reg_sample s[2] = {sample("face", 0, tpl), sample("finger", 2, "finger-template")};
    json_t *person = fixture_json("{\"surname\":\"Nəsibova\",\"given_name\":\"Ülviyyə\","
                                  "\"birth_date\":\"1993-03-03\",\"sex\":\"F\"}");
    json_t *result =
        cand_fin ? json_pack("{s:[{s:s, s:f}]}", "candidates", "fin", cand_fin, "score", 0.7)
                 : json_pack("{s:[]}", "candidates");
    reg_enrolment e = {person, s, 2, status, NULL, result};
    long long id = 0;
    eyni_error err;
    int rc = reg_enrolment_record(r, &a, &e, &id, fin, case_id, &err);
    if (rc != expect)
        fail_msg("record %s: %d %s", status, rc, err.msg);
    free(s[0].tpl), free(s[0].img), free(s[1].tpl), free(s[1].img);
    json_decref(person);
    json_decref(result);
    return id;
}

static void unique_enrolment_stores_sealed_samples(void **state)
{
    eyni_register *r = open_with_keys("ident-unique");
    char fin[EYNI_FIN_MAX + 1];
    long long case_id = -1;
    record(r, "unique", NULL, "face-template-A", fin, &case_id, 0);
    assert_int_equal(strlen(fin), 7);
    assert_int_equal(case_id, 0);
    seen s = {0};
    long long last = 0;
    eyni_error err;
    assert_int_equal(reg_changes_each(r, 0, NULL, collect, &s, &last, &err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.tpl[0], "face-template-A");
    assert_string_equal(s.fin[0], fin);
    assert_int_equal(last, 2);
    /* A node of another shard skips the samples, yet its position in the log moves on. */
    seen none = {0};
    last = 0;
    assert_int_equal(reg_changes_each(r, 0, other_shard, collect, &none, &last, &err), 0);
    assert_int_equal(none.n, 0);
    assert_int_equal(last, 2);
    /* Nothing of the template is readable in the database file's table. */
    eyni_db *db;
    eyni_stmt *st;
    assert_int_equal(eyni_store_acquire(eyni_register_store(r), &db, &err), 0);
    assert_int_equal(eyni_db_prepare(db, "SELECT template, image FROM biometrics", &st, &err), 0);
    while (eyni_stmt_step(st, &err) == 1) {
        size_t n, m;
        const void *t = eyni_stmt_blob(st, 0, &n), *i = eyni_stmt_blob(st, 1, &m);
        assert_null(memmem(t, n, "template", 8));
        assert_null(memmem(i, m, "image", 5));
    }
    eyni_stmt_free(st);
    eyni_store_release(eyni_register_store(r), db);
    seen one = {0};
    assert_int_equal(reg_samples_of(r, fin, "finger", collect, &one, &err), 0);
    assert_int_equal(one.n, 1);
    assert_string_equal(one.tpl[0], "finger-template");
    eyni_register_close(r);
}

static void adjudication_decides_once_either_way(void **state)
{
    eyni_register *r = open_with_keys("ident-case");
    char first[EYNI_FIN_MAX + 1], fin[EYNI_FIN_MAX + 1];
    long long case_id = 0;
    record(r, "unique", NULL, "face-A", first, &case_id, 0);
    long long e1 = record(r, "possible", first, "face-A2", fin, &case_id, 0);
    assert_true(case_id > 0);
    assert_string_equal(fin, "");
    eyni_actor adj = fixture_actor(EYNI_ROLE_ADJUDICATOR, "de-duplication");
    eyni_actor clerk = fixture_actor(EYNI_ROLE_REGISTRAR, "x");
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_case_list(r, &adj, "open", 0, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 1);
    json_decref(out);
    assert_int_equal(eyni_register_case_get(r, &adj, case_id, &out, &err), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "applicant"), "surname")),
        "Nəsibova");
    json_decref(out);
    assert_int_equal(
        eyni_register_case_decide(r, &clerk, case_id, "different", NULL, "x", &out, &err),
        EYNI_EPERM);
    assert_int_equal(eyni_register_case_decide(r, &adj, case_id, "different", NULL,
                                               "photos differ: ears, scar", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "different");
    const char *newfin = json_string_value(json_object_get(out, "fin"));
    assert_non_null(newfin);
    assert_string_not_equal(newfin, first);
    json_decref(out);
    assert_int_equal(eyni_register_case_decide(r, &adj, case_id, "same", NULL, "again", &out, &err),
                     EYNI_ECONFLICT);
    /* The applicant's samples joined the galleries' change log. */
    seen s = {0};
    long long last = 0;
    assert_int_equal(reg_changes_each(r, 2, NULL, collect, &s, &last, &err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.tpl[0], "face-A2");
    /* A second possible duplicate, decided "same": no FIN, no new samples. */
    record(r, "possible", first, "face-A3", fin, &case_id, 0);
    assert_int_equal(
        eyni_register_case_decide(r, &adj, case_id, "same", "ZZZZZZZ", "x", &out, &err),
        EYNI_EFORMAT);
    assert_int_equal(eyni_register_case_decide(r, &adj, case_id, "same", first,
                                               "same person: matching scar", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "duplicate_of")), first);
    assert_true(json_is_null(json_object_get(out, "fin")));
    json_decref(out);
    s.n = 0;
    assert_int_equal(reg_changes_each(r, 0, NULL, collect, &s, &last, &err), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(eyni_register_enrolment_get(r, &clerk, e1, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "different");
    json_decref(out);
    eyni_register_close(r);
}

static void without_a_data_key_nothing_biometric_is_stored(void **state)
{
    eyni_register *r = fixture_open("ident-nokey");
    char fin[EYNI_FIN_MAX + 1];
    long long case_id;
    record(r, "unique", NULL, "t", fin, &case_id, EYNI_ECRYPTO);
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "x");
    eyni_person_query q = {NULL, "Nəsibova", NULL, NULL, 0, 0};
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_person_search(r, &a, &q, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 0);
    json_decref(out);
    eyni_register_close(r);
}

/* Migration 11 rebuilds `cases` on SQLite (enrolment_id may be NULL for an application's
 * case): a register made before it keeps its cases and their decide-once refusal, and a
 * case now has exactly one subject. */
static void cases_survive_migration_11(void **state)
{
    (void)state;
    const eyni_migration *all = NULL;
    int n = 0;
    eyni_store *s = fixture_store_before("migration11", 11, &all, &n);
    eyni_error err;
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(
        eyni_db_exec(db,
                     "INSERT INTO enrolments (id, status, result, created_at,"
                     " created_by, agency) VALUES (7, 'possible', '{}', 't', 'k', 'A');"
                     "INSERT INTO cases (id, enrolment_id, status, candidates,"
                     " opened_at) VALUES (3, 7, 'open', '[]', 't');",
                     &err),
        0);
    eyni_store_release(s, db);
    assert_int_equal(eyni_store_migrate(s, all, n, &err), 0);
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    eyni_stmt *st = NULL;
    assert_int_equal(eyni_db_prepare(db,
                                     "SELECT enrolment_id, application_id, status FROM cases"
                                     " WHERE id = 3",
                                     &st, &err),
                     0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    assert_int_equal(eyni_stmt_int64(st, 0), 7);
    assert_true(eyni_stmt_is_null(st, 1));
    assert_string_equal(eyni_stmt_text(st, 2), "open");
    eyni_stmt_free(st);
    assert_int_equal(eyni_db_exec(db, "UPDATE cases SET status = 'decided' WHERE id = 3", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE cases SET status = 'open' WHERE id = 3", &err),
                         0);
    assert_non_null(strstr(err.msg, "decided once"));
    assert_int_not_equal(eyni_db_exec(db,
                                      "INSERT INTO cases (status, candidates, opened_at)"
                                      " VALUES ('open', '[]', 't')",
                                      &err),
                         0);
    /* an application's cleared document number is written once */
    assert_int_equal(eyni_db_prepare(db,
                                     "INSERT INTO applications (id, fin, status, pending, result,"
                                     " created_at, created_by, agency) VALUES (5, 'F',"
                                     " 'different', ?, '{}', 't', 'k', 'A')",
                                     &st, &err),
                     0);
    assert_int_equal(eyni_stmt_bind_blob(st, 1, "sealed", 6, &err), 0);
    assert_int_equal(eyni_stmt_step(st, &err), 0);
    eyni_stmt_free(st);
    assert_int_equal(eyni_db_exec(db,
                                  "UPDATE applications SET status = 'issued', document = 'N1'"
                                  " WHERE id = 5",
                                  &err),
                     0);
    assert_int_not_equal(
        eyni_db_exec(db, "UPDATE applications SET document = 'N2' WHERE id = 5", &err), 0);
    eyni_store_release(s, db);
    eyni_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unique_enrolment_stores_sealed_samples),
        cmocka_unit_test(adjudication_decides_once_either_way),
        cmocka_unit_test(without_a_data_key_nothing_biometric_is_stored),
        cmocka_unit_test(cases_survive_migration_11),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

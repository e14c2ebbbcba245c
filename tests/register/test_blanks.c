#include <pthread.h>

#include "reg_fixture.h"

static eyni_actor docs(void)
{
    return fixture_actor(EYNI_ROLE_DOCUMENTS, "stock");
}

static eyni_register *with_offices(const char *tag)
{
    eyni_register *r = fixture_open(tag);
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "");
    const char *offices[] = {"{\"code\":\"CENTRAL\",\"name\":\"Central store\",\"kind\":\"central\"}",
                             "{\"code\":\"BAKU-1\",\"name\":\"Bakı passport office 1\",\"kind\":\"passport\"}",
                             "{\"code\":\"GANJA\",\"name\":\"Gəncə passport office\",\"kind\":\"passport\"}"};
    for (int i = 0; i < 3; i++) {
        json_t *in = fixture_json(offices[i]), *out = NULL;
        eyni_error err;
        if (eyni_register_office_create(r, &admin, in, &out, &err))
            fail_msg("%s", err.msg);
        json_decref(in);
        json_decref(out);
    }
    return r;
}

static int call(int (*fn)(eyni_register *, const eyni_actor *, const json_t *, json_t **,
                          eyni_error *),
                eyni_register *r, const char *body, json_t **out)
{
    eyni_actor a = docs();
    json_t *in = fixture_json(body), *o = NULL;
    eyni_error err;
    int rc = fn(r, &a, in, &o, &err);
    json_decref(in);
    if (out)
        *out = o;
    else
        json_decref(o);
    return rc;
}

static long long count_state(eyni_register *r, const char *office, const char *state)
{
    eyni_actor a = docs();
    json_t *rep = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_blank_reconcile(r, &a, office, NULL, NULL, 7, &rep, &err), 0);
    long long n = json_integer_value(json_object_get(json_object_get(rep, "stock"), state));
    json_decref(rep);
    return n;
}

static int balanced(eyni_register *r, const char *office)
{
    eyni_actor a = docs();
    json_t *rep = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_blank_reconcile(r, &a, office, NULL, NULL, 7, &rep, &err), 0);
    int b = json_is_true(json_object_get(json_object_get(rep, "balance"), "balanced"));
    json_decref(rep);
    return b;
}

static const char *delivery =
    "{\"doc_type\":\"passport\",\"first\":\"AA0000001\",\"last\":\"AA0000100\","
    "\"office\":\"CENTRAL\",\"printer\":\"State printing house\",\"reference\":\"inv-7\"}";

static void a_serial_exists_once(void **state)
{
    eyni_register *r = with_offices("blank-once");
    assert_int_equal(call(eyni_register_blank_receive, r, delivery, NULL), 0);
    assert_int_equal(count_state(r, "CENTRAL", "in_stock"), 100);
    /* An overlapping delivery is refused whole. */
    assert_int_equal(call(eyni_register_blank_receive, r,
                          "{\"doc_type\":\"passport\",\"first\":\"AA0000090\","
                          "\"last\":\"AA0000150\",\"office\":\"CENTRAL\"}",
                          NULL),
                     EYNI_EEXIST);
    assert_int_equal(count_state(r, "CENTRAL", "in_stock"), 100);
    assert_int_equal(call(eyni_register_blank_receive, r,
                          "{\"doc_type\":\"passport\",\"first\":\"AA0000200\","
                          "\"last\":\"AA0000100\",\"office\":\"CENTRAL\"}",
                          NULL),
                     EYNI_EFORMAT);
    assert_int_equal(call(eyni_register_blank_receive, r,
                          "{\"doc_type\":\"passport\",\"first\":\"AA1\",\"last\":\"AA9\","
                          "\"office\":\"NOWHERE\"}",
                          NULL),
                     EYNI_ENOTFOUND);
    assert_true(balanced(r, "CENTRAL"));
    eyni_register_close(r);
}

static void transfers_account_for_missing_blanks(void **state)
{
    eyni_register *r = with_offices("blank-transfer");
    assert_int_equal(call(eyni_register_blank_receive, r, delivery, NULL), 0);
    json_t *t = NULL;
    assert_int_equal(call(eyni_register_blank_send, r,
                          "{\"from\":\"CENTRAL\",\"to\":\"BAKU-1\",\"first\":\"AA0000001\","
                          "\"last\":\"AA0000040\",\"reference\":\"waybill 12\"}",
                          &t),
                     0);
    long long id = json_integer_value(json_object_get(t, "transfer"));
    json_decref(t);
    assert_int_equal(count_state(r, "CENTRAL", "in_transit"), 40);
    eyni_actor a = docs();
    eyni_error err;
    json_t *miss = fixture_json("{\"missing\":[\"AA0000007\",\"AA0000031\"]}"), *out = NULL;
    assert_int_equal(eyni_register_blank_accept(r, &a, id, miss, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "received")), 38);
    json_decref(out);
    /* A transfer is received once. */
    assert_int_equal(eyni_register_blank_accept(r, &a, id, NULL, &out, &err), EYNI_ECONFLICT);
    json_decref(miss);
    assert_int_equal(count_state(r, "BAKU-1", "in_stock"), 38);
    assert_int_equal(count_state(r, "CENTRAL", "lost"), 2);
    assert_true(balanced(r, "CENTRAL"));
    assert_true(balanced(r, "BAKU-1"));
    json_t *rep = NULL;
    assert_int_equal(eyni_register_blank_reconcile(r, &a, "CENTRAL", NULL, NULL, 7, &rep, &err), 0);
    json_t *alerts = json_object_get(rep, "alerts");
    assert_int_equal(json_array_size(alerts), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(alerts, 0), "serial")),
                        "AA0000007");
    json_decref(rep);
    /* A blank not in stock at the sender cannot be sent. */
    assert_int_equal(call(eyni_register_blank_send, r,
                          "{\"from\":\"CENTRAL\",\"to\":\"GANJA\",\"serials\":[\"AA0000050\","
                          "\"AA0000005\"]}",
                          NULL),
                     EYNI_ECONFLICT);
    assert_int_equal(count_state(r, "CENTRAL", "in_stock"), 60);
    eyni_register_close(r);
}

static void a_blank_is_personalised_once(void **state)
{
    eyni_register *r = with_offices("blank-personalise");
    assert_int_equal(call(eyni_register_blank_receive, r, delivery, NULL), 0);
    eyni_actor a = docs();
    eyni_error err;
    char s1[64], s2[64];
    assert_int_equal(eyni_register_blank_take(r, &a, "CENTRAL", "passport", "C01X00001", s1, &err),
                     0);
    assert_string_equal(s1, "AA0000001");
    assert_int_equal(eyni_register_blank_take(r, &a, "CENTRAL", "passport", "C01X00002", s2, &err),
                     0);
    assert_string_equal(s2, "AA0000002");
    /* The same document number twice is refused by the store. */
    assert_int_equal(eyni_register_blank_take(r, &a, "CENTRAL", "passport", "C01X00002", s2, &err),
                     EYNI_EEXIST);
    json_t *out = NULL;
    assert_int_equal(eyni_register_blank_set_state(r, &a, s1, "issued", "handed over", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "state")), "issued");
    assert_int_equal(json_array_size(json_object_get(out, "events")), 3);
    json_decref(out);
    assert_int_equal(eyni_register_blank_set_state(r, &a, s1, "spoiled", "x", &out, &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_register_blank_set_state(r, &a, "AA0000003", "stolen", "break-in",
                                                   &out, &err),
                     0);
    json_decref(out);
    assert_int_equal(eyni_register_blank_set_state(r, &a, "AA0000003", "destroyed", "x", &out,
                                                   &err),
                     EYNI_ECONFLICT);
    /* Even hand-written SQL cannot re-personalise or delete a blank. */
    eyni_db *db;
    eyni_store *s = eyni_register_store(r);
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE blanks SET document_number = 'OTHER' "
                                          "WHERE serial = 'AA0000001'", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE blanks SET state = 'in_stock' "
                                          "WHERE serial = 'AA0000001'", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "DELETE FROM blanks WHERE serial = 'AA0000002'", &err),
                         0);
    eyni_store_release(s, db);
    eyni_actor reg = fixture_actor(EYNI_ROLE_REGISTRAR, "x");
    assert_int_equal(eyni_register_blank_take(r, &reg, "CENTRAL", "passport", "N1", s2, &err),
                     EYNI_EPERM);
    assert_true(balanced(r, "CENTRAL"));
    eyni_register_close(r);
}

typedef struct racer {
    eyni_register *r;
    const char *body;
    int rc;
} racer;

static void *send_race(void *p)
{
    racer *x = p;
    x->rc = call(eyni_register_blank_send, x->r, x->body, NULL);
    return NULL;
}

static void two_offices_racing_for_one_range_never_share_a_blank(void **state)
{
    eyni_register *r = with_offices("blank-race");
    assert_int_equal(call(eyni_register_blank_receive, r, delivery, NULL), 0);
    for (int round = 0; round < 5; round++) {
        char a[160], b[160];
        int base = round * 20;
        snprintf(a, sizeof a, "{\"from\":\"CENTRAL\",\"to\":\"BAKU-1\",\"first\":\"AA%07d\","
                 "\"last\":\"AA%07d\"}", base + 1, base + 15);
        snprintf(b, sizeof b, "{\"from\":\"CENTRAL\",\"to\":\"GANJA\",\"first\":\"AA%07d\","
                 "\"last\":\"AA%07d\"}", base + 6, base + 20);
        racer x = {r, a, -99}, y = {r, b, -99};
        pthread_t t1, t2;
        pthread_create(&t1, NULL, send_race, &x);
        pthread_create(&t2, NULL, send_race, &y);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        /* The ranges overlap: exactly one wins, the other moves nothing. */
        assert_true((x.rc == 0) != (y.rc == 0));
        assert_int_equal(x.rc ? x.rc : y.rc, EYNI_ECONFLICT);
    }
    assert_int_equal(count_state(r, "CENTRAL", "in_transit"), 75);
    assert_int_equal(count_state(r, "CENTRAL", "in_stock"), 25);
    assert_true(balanced(r, "CENTRAL"));
    eyni_register_close(r);
}

typedef struct taker {
    eyni_register *r;
    int id;
    char serials[20][64];
    int failures;
} taker;

static void *take_many(void *p)
{
    taker *t = p;
    eyni_actor a = docs();
    for (int i = 0; i < 20; i++) {
        char num[32];
        eyni_error err;
        snprintf(num, sizeof num, "D%02dN%03d", t->id, i);
        if (eyni_register_blank_take(t->r, &a, "CENTRAL", "passport", num, t->serials[i], &err))
            t->failures++;
    }
    return NULL;
}

static void concurrent_personalisation_takes_distinct_blanks(void **state)
{
    eyni_register *r = with_offices("blank-take");
    assert_int_equal(call(eyni_register_blank_receive, r, delivery, NULL), 0);
    taker t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].r = r;
        t[i].id = i;
        pthread_create(&th[i], NULL, take_many, &t[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(t[i].failures, 0);
        for (int k = 0; k < 20; k++)
            for (int j = 0; j <= i; j++)
                for (int m = 0; m < (j == i ? k : 20); m++)
                    assert_string_not_equal(t[i].serials[k], t[j].serials[m]);
    }
    assert_int_equal(count_state(r, "CENTRAL", "personalised"), 80);
    assert_int_equal(count_state(r, "CENTRAL", "in_stock"), 20);
    eyni_register_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_serial_exists_once),
        cmocka_unit_test(transfers_account_for_missing_blanks),
        cmocka_unit_test(a_blank_is_personalised_once),
        cmocka_unit_test(two_offices_racing_for_one_range_never_share_a_blank),
        cmocka_unit_test(concurrent_personalisation_takes_distinct_blanks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

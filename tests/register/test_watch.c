#include "reg_fixture.h"

static eyni_actor police(void)
{
    return fixture_actor(EYNI_ROLE_POLICE, "wanted persons list");
}

static eyni_actor border(const char *agency)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_BORDER, "border check");
    snprintf(a.agency, sizeof a.agency, "%s", agency);
    return a;
}

static void mklist(eyni_register *r, const char *code, const char *kind, const char *visible)
{
    eyni_actor a = police();
    snprintf(a.agency, sizeof a.agency, "DIN");
    char body[512];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"name\":\"%s list\",\"kind\":\"%s\",\"legal_basis\":"
             "\"Criminal Procedure Code art. 157\",\"handling\":\"detain and call the duty officer\","
             "\"valid_from\":\"2020-01-01\",\"visible_to\":[%s]}",
             code, code, kind, visible);
    json_t *in = fixture_json(body), *out = NULL;
    eyni_error err;
    if (eyni_register_watchlist_create(r, &a, in, &out, &err))
        fail_msg("%s", err.msg);
    json_decref(in);
    json_decref(out);
}

static long long add(eyni_register *r, const char *list, const char *body)
{
    eyni_actor a = police();
    snprintf(a.agency, sizeof a.agency, "DIN");
    json_t *in = fixture_json(body), *out = NULL;
    eyni_error err;
    if (eyni_register_watch_add(r, &a, list, in, &out, &err))
        fail_msg("%s", err.msg);
    long long id = json_integer_value(json_object_get(out, "entry"));
    json_decref(in);
    json_decref(out);
    return id;
}

static int hits(eyni_register *r, const eyni_actor *a, const char *query)
{
    json_t *q = fixture_json(query), *out = NULL;
    eyni_error err;
    if (eyni_register_watch_check(r, a, q, &out, &err))
        fail_msg("%s", err.msg);
    int n = (int)json_integer_value(json_object_get(out, "count"));
    json_decref(q);
    json_decref(out);
    return n;
}

static double sim(const char *a, const char *b)
{
    /* Same key function the register uses, through a one-entry list. */
    eyni_register *r = fixture_open("watch-sim");
    mklist(r, "SIM", "person", "\"*\"");
    char body[256];
    snprintf(body, sizeof body, "{\"surname\":\"%s\",\"given_name\":\"X\",\"reason\":\"t\"}", a);
    add(r, "SIM", body);
    eyni_actor officer = border("DSX");
    char q[256];
    snprintf(q, sizeof q, "{\"person\":{\"surname\":\"%s\",\"given_name\":\"X\"}}", b);
    json_t *qq = fixture_json(q), *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_watch_check(r, &officer, qq, &out, &err), 0);
    json_t *h = json_array_get(json_object_get(out, "hits"), 0);
    double s = h ? json_real_value(json_object_get(h, "score")) : 0;
    json_decref(qq);
    json_decref(out);
    eyni_register_close(r);
    return s;
}

static void transliterations_of_one_name_match(void **state)
{
    const char *same[][2] = {{"Əliyev", "Aliyev"},  {"Əliyev", "Aliev"},
                             {"Eliyev", "ALIYEV"},  {"Quliyev", "Guliyev"},
                             {"Xəlilov", "Khalilov"}, {"Məmmədov", "Mamedov"},
                             {"Hüseynov", "Guseynov"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        double s = sim(same[i][0], same[i][1]);
        if (s < 0.8)
            fail_msg("%s ~ %s scored %.2f", same[i][0], same[i][1], s);
    }
    assert_true(sim("Həsənov", "Əliyev") == 0);
    assert_true(sim("Abbasov", "Abbasova") < 1.0);
}

static void person_lists_are_visible_only_where_shared(void **state)
{
    eyni_register *r = fixture_open("watch-person");
    mklist(r, "WANTED", "person", "\"DSX\"");
    long long id = add(r, "WANTED",
                       "{\"surname\":\"Əliyev\",\"given_name\":\"Rəşad\",\"variants\":[\"Aliev\"],"
                       "\"birth_date\":\"1970-01-01\",\"nationality\":\"AZE\",\"reason\":\"warrant 5/2025\"}");
    eyni_actor dsx = border("DSX"), other = border("OTHER");
    assert_int_equal(hits(r, &dsx, "{\"person\":{\"surname\":\"ALIYEV\",\"given_name\":\"RASHAD\","
                                    "\"birth_date\":\"1970-01-01\"}}"),
                     1);
    assert_int_equal(hits(r, &dsx, "{\"person\":{\"surname\":\"Aliyev\",\"given_name\":\"Rashad\","
                                    "\"birth_date\":\"1971-01-01\"}}"),
                     0);
    assert_int_equal(hits(r, &other, "{\"person\":{\"surname\":\"Aliyev\",\"given_name\":\"Rashad\"}}"),
                     0);
    eyni_actor pol = police();
    snprintf(pol.agency, sizeof pol.agency, "DIN");
    eyni_error err;
    assert_int_equal(eyni_register_watch_remove(r, &pol, "WANTED", id, "warrant withdrawn", &err), 0);
    assert_int_equal(hits(r, &dsx, "{\"person\":{\"surname\":\"Aliyev\",\"given_name\":\"Rashad\"}}"),
                     0);
    /* Border officers read lists, they do not write them. */
    json_t *in = fixture_json("{\"surname\":\"A\",\"given_name\":\"B\",\"reason\":\"x\"}"), *out;
    assert_int_equal(eyni_register_watch_add(r, &dsx, "WANTED", in, &out, &err), EYNI_EPERM);
    json_decref(in);
    eyni_register_close(r);
}

static void vehicles_and_imported_documents(void **state)
{
    eyni_register *r = fixture_open("watch-doc");
    mklist(r, "CARS", "vehicle", "\"*\"");
    mklist(r, "INTERPOL-SLTD", "document", "\"*\"");
    add(r, "CARS", "{\"plate\":\"10-AB-123\",\"vin\":\"WVWZZZ1JZXW000001\",\"reason\":\"stolen car\"}");
    eyni_actor dsx = border("DSX");
    assert_int_equal(hits(r, &dsx, "{\"vehicle\":{\"plate\":\"10 ab 123\"}}"), 1);
    assert_int_equal(hits(r, &dsx, "{\"vehicle\":{\"plate\":\"10 AB 124\"}}"), 0);
    const char csv[] = "number,issuing_state,doc_type,status\n"
                       "C01X00T47,D,passport,stolen\n"
                       "this line is broken\n"
                       "AB1234567,AZE,id_card,lost\r\n";
    eyni_actor pol = police();
    snprintf(pol.agency, sizeof pol.agency, "DIN");
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_watch_import(r, &pol, "INTERPOL-SLTD", csv, sizeof csv - 1,
                                                &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "added")), 2);
    json_t *problems = json_object_get(out, "problems");
    assert_int_equal(json_array_size(problems), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(problems, 0), "line")), 3);
    json_decref(out);
    assert_int_equal(hits(r, &dsx, "{\"document\":{\"number\":\"C01X00T47\",\"issuing_state\":\"D\"}}"), 1);
    assert_int_equal(hits(r, &dsx, "{\"document\":{\"number\":\"C01X00T47\",\"issuing_state\":\"FRA\"}}"), 0);
    assert_int_equal(hits(r, &dsx, "{\"document\":{\"number\":\"AB1234567\"}}"), 1);
    const char bad[] = "num;state\nx;y\n";
    assert_int_equal(eyni_register_watch_import(r, &pol, "INTERPOL-SLTD", bad, sizeof bad - 1,
                                                &out, &err), EYNI_EFORMAT);
    eyni_register_close(r);
}

static void bans_apply_by_direction_and_period(void **state)
{
    eyni_register *r = fixture_open("watch-ban");
    eyni_actor pol = police();
    json_t *in = fixture_json("{\"fin\":\"5ABCD12\",\"surname\":\"Səfərov\",\"given_name\":\"Elçin\","
                              "\"birth_date\":\"1985-05-05\",\"direction\":\"exit\","
                              "\"starts\":\"2025-01-01\",\"ends\":\"2027-01-01\","
                              "\"legal_basis\":\"court order 77/2024\",\"authority\":\"Baku court\"}");
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_ban_create(r, &pol, in, &out, &err), 0);
    long long id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    json_decref(in);
    eyni_actor dsx = border("DSX");
    json_t *p = fixture_json("{\"fin\":\"5ABCD12\"}");
    json_t *byname = fixture_json("{\"surname\":\"Safarov\",\"given_name\":\"Elchin\","
                                  "\"birth_date\":\"1985-05-05\"}");
    assert_int_equal(eyni_register_ban_check(r, &dsx, p, "2026-06-01", "exit", &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 1);
    json_decref(out);
    assert_int_equal(eyni_register_ban_check(r, &dsx, byname, "2026-06-01", "exit", &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 1);
    json_decref(out);
    assert_int_equal(eyni_register_ban_check(r, &dsx, p, "2026-06-01", "entry", &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 0);
    json_decref(out);
    assert_int_equal(eyni_register_ban_check(r, &dsx, p, "2027-06-01", "exit", &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 0);
    json_decref(out);
    assert_int_equal(eyni_register_ban_lift(r, &pol, id, "appeal granted", &err), 0);
    assert_int_equal(eyni_register_ban_check(r, &dsx, p, "2026-06-01", "exit", &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 0);
    json_decref(out);
    assert_int_equal(eyni_register_ban_lift(r, &pol, id, "again", &err), EYNI_ENOTFOUND);
    /* the list keeps the lifted ban, with the reason, under its FIN */
    assert_int_equal(eyni_register_ban_list(r, &dsx, "5ABCD12", "lifted", 50, 0, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 1);
    json_t *listed = json_array_get(json_object_get(out, "bans"), 0);
    assert_string_equal(json_string_value(json_object_get(listed, "lift_reason")),
                        "appeal granted");
    assert_string_equal(json_string_value(json_object_get(listed, "status")), "lifted");
    json_decref(out);
    assert_int_equal(eyni_register_ban_list(r, &dsx, "5ABCD12", "active", 50, 0, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "bans")), 0);
    json_decref(out);
    assert_int_equal(eyni_register_ban_list(r, &dsx, NULL, "soon", 50, 0, &out, &err),
                     EYNI_EFORMAT);
    assert_int_equal(eyni_register_ban_list(r, &dsx, "5ABCD12!", "all", 50, 0, &out, &err),
                     EYNI_EFORMAT);
    assert_int_equal(eyni_register_ban_list(r, &dsx, NULL, "all", 0, 0, &out, &err), EYNI_EFORMAT);
    json_t *bad = fixture_json("{\"surname\":\"A\",\"given_name\":\"B\",\"direction\":\"sideways\","
                               "\"starts\":\"2025-01-01\",\"legal_basis\":\"x\",\"authority\":\"y\"}");
    assert_int_equal(eyni_register_ban_create(r, &pol, bad, &out, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_register_ban_create(r, &dsx, bad, &out, &err), EYNI_EPERM);
    json_decref(bad);
    json_decref(p);
    json_decref(byname);
    eyni_register_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transliterations_of_one_name_match),
        cmocka_unit_test(person_lists_are_visible_only_where_shared),
        cmocka_unit_test(vehicles_and_imported_documents),
        cmocka_unit_test(bans_apply_by_direction_and_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

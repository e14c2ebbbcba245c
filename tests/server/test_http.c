/* End-to-end tests of eynid on loopback: roles, audit, bad input, Unicode. */
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "testutil.h"

typedef struct ctx {
    test_server srv;
    char *registrar, *border, *police, *auditor;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    test_server_start(&c->srv, "http", NULL);
    c->registrar = test_make_key(&c->srv, "ASAN-XIDMAT", "registrar");
    c->border = test_make_key(&c->srv, "DSX", "border");
    c->police = test_make_key(&c->srv, "DIN", "police");
    c->auditor = test_make_key(&c->srv, "AUDIT", "auditor");
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    test_server_stop(&c->srv, 0);
    free(c->registrar);
    free(c->border);
    free(c->police);
    free(c->auditor);
    free(c);
    return 0;
}

static const char *person =
    "{\"surname\":\"Hüseynova\",\"given_name\":\"Gülşən\",\"patronymic\":\"İlqar qızı\","
    "\"birth_date\":\"1992-11-30\",\"birth_place\":\"Şəki\",\"sex\":\"F\",\"citizenship\":\"AZE\","
    "\"marital_status\":\"single\",\"blood_group\":\"B+\"}";

static char *add_person(ctx *c)
{
    http_reply r = http_call(&c->srv, "POST", "/v1/persons", c->registrar, "registration", person);
    assert_int_equal(r.status, 201);
    char *fin = strdup(json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
    return fin;
}

static int count_persons(ctx *c, const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/persons?%s", query);
    http_reply r = http_call(&c->srv, "GET", path, c->registrar, "check", NULL);
    assert_int_equal(r.status, 200);
    int n = (int)json_integer_value(json_object_get(r.json, "count"));
    http_reply_free(&r);
    return n;
}

static void unicode_person_round_trips_over_http(void **state)
{
    ctx *c = *state;
    char *fin = add_person(c);
    char path[64];
    snprintf(path, sizeof path, "/v1/persons/%s", fin);
    http_reply r = http_call(&c->srv, "GET", path, c->registrar, "registration", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "surname")), "Hüseynova");
    assert_string_equal(json_string_value(json_object_get(r.json, "given_name")), "Gülşən");
    assert_string_equal(json_string_value(json_object_get(r.json, "patronymic")), "İlqar qızı");
    http_reply_free(&r);
    assert_true(count_persons(c, "surname=HUSEYNOVA&given_name=gulsen&birth_date=1992-11-30") >= 1);
    free(fin);
}

static void roles_are_enforced_per_key(void **state)
{
    ctx *c = *state;
    char *fin = add_person(c);
    char path[64];
    snprintf(path, sizeof path, "/v1/persons/%s", fin);
    http_reply r = http_call(&c->srv, "GET", path, NULL, "x", NULL);
    assert_int_equal(r.status, 401);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, "eyni_000000000000_0000", "x", NULL);
    assert_int_equal(r.status, 401);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->border, "border check", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(json_object_get(r.json, "surname"));
    assert_null(json_object_get(r.json, "marital_status"));
    assert_null(json_object_get(r.json, "blood_group"));
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->police, "case 5/2026", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "blood_group")), "B+");
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/persons", c->border, "x", person);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->auditor, "x", NULL);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->srv.admin_token, "x", NULL);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->police, NULL, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(r.json, "error"), "message")),
                           "purpose"));
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/keys", c->registrar, NULL,
                  "{\"agency\":\"X\",\"role\":\"admin\"}");
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    free(fin);
}

static void accesses_are_in_the_audit_log(void **state)
{
    ctx *c = *state;
    char *fin = add_person(c);
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s", fin);
    http_reply r = http_call(&c->srv, "GET", path, c->police, "case 9/2026", NULL);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->auditor, "nosy", NULL);
    http_reply_free(&r);
    snprintf(path, sizeof path, "/v1/audit?object=%s", fin);
    r = http_call(&c->srv, "GET", path, c->registrar, "x", NULL);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, c->auditor, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *e = json_object_get(r.json, "entries");
    assert_int_equal(json_array_size(e), 3);
    json_t *read = json_array_get(e, 1);
    assert_string_equal(json_string_value(json_object_get(read, "action")), "person.read");
    assert_string_equal(json_string_value(json_object_get(read, "agency")), "DIN");
    assert_string_equal(json_string_value(json_object_get(read, "purpose")), "case 9/2026");
    assert_string_equal(json_string_value(json_object_get(read, "origin")), "127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 2), "outcome")),
                        "denied");
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/audit/verify", c->auditor, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "ok")));
    http_reply_free(&r);
    free(fin);
}

static void bad_requests_are_refused_and_store_nothing(void **state)
{
    ctx *c = *state;
    int before = count_persons(c, "surname=Badinput");
    const char *bodies[] = {
        "{\"surname\":\"Badinput\"",
        "[\"Badinput\"]",
        "{\"surname\":\"Badinput\",\"given_name\":\"A\",\"birth_date\":\"2001-02-29\",\"sex\":\"F\"}",
        "{\"surname\":\"Badinput\",\"given_name\":\"A\",\"birth_date\":\"2001-02-01\",\"sex\":\"F\","
        "\"citizenship\":\"XYZ\"}",
        "{\"surname\":\"Badinput\",\"given_name\":\"A\",\"birth_date\":\"2001-02-01\",\"sex\":\"F\","
        "\"nickname\":\"B\"}",
        "{\"surname\":\"Badinput\",\"surname\":\"Twice\",\"given_name\":\"A\","
        "\"birth_date\":\"2001-02-01\",\"sex\":\"F\"}",
        "",
        "{\"surname\":\"Badinput\",\"given_name\":\"A\",\"birth_date\":\"2001-02-01\",\"sex\":\"F\","
        "\"residence\":{\"address\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        http_reply r = http_call(&c->srv, "POST", "/v1/persons", c->registrar, "x", bodies[i]);
        assert_true(r.status == 400 || r.status == 413);
        const char *msg =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
        assert_non_null(msg);
        assert_null(strchr(msg, '\n'));
        http_reply_free(&r);
    }
    size_t big = 17 * 1024 * 1024;
    char *huge = malloc(big + 64);
    int n = snprintf(huge, 64, "{\"surname\":\"");
    memset(huge + n, 'a', big);
    snprintf(huge + n + big, 64, "\"}");
    http_reply r = http_call(&c->srv, "POST", "/v1/persons", c->registrar, "x", huge);
    assert_int_equal(r.status, 413);
    http_reply_free(&r);
    free(huge);
    r = http_call(&c->srv, "GET", "/v1/persons?surname=x&limit=1000", c->registrar, "x", NULL);
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/nothing", c->registrar, "x", NULL);
    assert_int_equal(r.status, 404);
    http_reply_free(&r);
    r = http_call(&c->srv, "DELETE", "/v1/persons", c->registrar, "x", NULL);
    assert_int_equal(r.status, 405);
    http_reply_free(&r);
    assert_int_equal(count_persons(c, "surname=Badinput"), before);
}

static void updates_and_history_over_http(void **state)
{
    ctx *c = *state;
    char *fin = add_person(c);
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s", fin);
    http_reply r = http_call(&c->srv, "PATCH", path, c->registrar, "marriage registration",
                             "{\"surname\":\"Məmmədli\",\"marital_status\":\"married\","
                             "\"reason\":\"marriage certificate 44/2026\",\"version\":1}");
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
    http_reply_free(&r);
    r = http_call(&c->srv, "PATCH", path, c->registrar, "x",
                  "{\"surname\":\"Other\",\"reason\":\"stale\",\"version\":1}");
    assert_int_equal(r.status, 409);
    http_reply_free(&r);
    snprintf(path, sizeof path, "/v1/persons/%s/versions", fin);
    r = http_call(&c->srv, "GET", path, c->police, "case 1", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "versions")), 2);
    http_reply_free(&r);
    free(fin);
}

static void revoked_keys_stop_working(void **state)
{
    ctx *c = *state;
    char *tok = test_make_key(&c->srv, "TMP", "police");
    http_reply r = http_call(&c->srv, "GET", "/v1/persons?surname=a", tok, "x", NULL);
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/v1/keys/%.12s", tok + 5);
    r = http_call(&c->srv, "DELETE", path, c->srv.admin_token, NULL, NULL);
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/persons?surname=a", tok, "x", NULL);
    assert_int_equal(r.status, 401);
    http_reply_free(&r);
    free(tok);
}

static void blank_stock_over_http(void **state)
{
    ctx *c = *state;
    char *docs = test_make_key(&c->srv, "DMX", "documents");
    http_reply r = http_call(&c->srv, "POST", "/v1/offices", c->srv.admin_token, NULL,
                             "{\"code\":\"HQ\",\"name\":\"Headquarters\",\"kind\":\"central\"}");
    assert_int_equal(r.status, 201);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/offices", c->srv.admin_token, NULL,
                  "{\"code\":\"SUMQAYIT\",\"name\":\"Sumqayıt office\",\"kind\":\"id\"}");
    assert_int_equal(r.status, 201);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/blanks/batches", docs, NULL,
                  "{\"doc_type\":\"id_card\",\"first\":\"ID000001\",\"last\":\"ID000050\","
                  "\"office\":\"HQ\"}");
    assert_int_equal(r.status, 201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 50);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/blanks/batches", c->registrar, NULL,
                  "{\"doc_type\":\"id_card\",\"first\":\"ID000051\",\"last\":\"ID000060\","
                  "\"office\":\"HQ\"}");
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/blanks/transfers", docs, NULL,
                  "{\"from\":\"HQ\",\"to\":\"SUMQAYIT\",\"first\":\"ID000001\","
                  "\"last\":\"ID000010\"}");
    assert_int_equal(r.status, 201);
    char path[128];
    snprintf(path, sizeof path, "/v1/blanks/transfers/%lld/accept",
             (long long)json_integer_value(json_object_get(r.json, "transfer")));
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", path, docs, NULL, "{\"missing\":[\"ID000004\"]}");
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "received")), 9);
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/blanks/ID000004", docs, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "lost");
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/blanks/reconciliation?office=SUMQAYIT", c->auditor, NULL,
                  NULL);
    assert_int_equal(r.status, 200);
    json_t *stock = json_object_get(r.json, "stock");
    assert_int_equal(json_integer_value(json_object_get(stock, "in_stock")), 9);
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "balance"), "balanced")));
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/blanks/ID000004/state", docs, NULL,
                  "{\"state\":\"destroyed\",\"reason\":\"found and destroyed\"}");
    assert_int_equal(r.status, 409);
    http_reply_free(&r);
    free(docs);
}

static void watchlists_and_bans_over_http(void **state)
{
    ctx *c = *state;
    http_reply r = http_call(&c->srv, "POST", "/v1/watchlists", c->police, "wanted list",
                             "{\"code\":\"DIN-WANTED\",\"name\":\"Wanted persons\","
                             "\"kind\":\"person\",\"legal_basis\":\"CPC art. 157\","
                             "\"handling\":\"detain\",\"valid_from\":\"2020-01-01\","
                             "\"visible_to\":[\"DSX\"]}");
    assert_int_equal(r.status, 201);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/watchlists/DIN-WANTED/entries", c->police, "wanted list",
                  "{\"surname\":\"Xəlilov\",\"given_name\":\"Vüqar\",\"birth_date\":\"1980-02-02\","
                  "\"reason\":\"warrant 9/2026\"}");
    assert_int_equal(r.status, 201);
    http_reply_free(&r);
    const char *q = "{\"person\":{\"surname\":\"KHALILOV\",\"given_name\":\"VUGAR\","
                    "\"birth_date\":\"1980-02-02\"}}";
    r = http_call(&c->srv, "POST", "/v1/watchlists/check", c->border, "border check", q);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
    json_t *hit = json_array_get(json_object_get(r.json, "hits"), 0);
    assert_string_equal(json_string_value(json_object_get(hit, "handling")), "detain");
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/watchlists/check", c->border, NULL, q);
    assert_int_equal(r.status, 400); /* no purpose */
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/watchlists/check", c->registrar, "x", q);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/bans", c->police, "court order",
                  "{\"surname\":\"Xəlilov\",\"given_name\":\"Vüqar\",\"birth_date\":\"1980-02-02\","
                  "\"direction\":\"both\",\"starts\":\"2025-01-01\",\"legal_basis\":\"order 1\","
                  "\"authority\":\"court\"}");
    assert_int_equal(r.status, 201);
    http_reply_free(&r);
    r = http_call(&c->srv, "POST", "/v1/bans/check", c->border, "border check",
                  "{\"person\":{\"surname\":\"Khalilov\",\"given_name\":\"Vugar\","
                  "\"birth_date\":\"1980-02-02\"},\"date\":\"2026-01-01\",\"direction\":\"entry\"}");
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "bans")), 1);
    http_reply_free(&r);
}

static size_t bans_listed(ctx *c, const char *key, const char *query, int expect)
{
    char path[200];
    snprintf(path, sizeof path, "/v1/bans%s", query);
    http_reply r = http_call(&c->srv, "GET", path, key, "ban review", NULL);
    assert_int_equal(r.status, expect);
    size_t n = json_array_size(json_object_get(r.json, "bans"));
    http_reply_free(&r);
    return n;
}

static void bans_are_listed_over_http(void **state)
{
    ctx *c = *state;
    size_t before = bans_listed(c, c->border, "?limit=500", 200);
    static const char *const bans[] = {
        "{\"surname\":\"Listov\",\"given_name\":\"Old\",\"direction\":\"entry\","
        "\"starts\":\"2020-01-01\",\"ends\":\"2021-01-01\",\"legal_basis\":\"order 2\","
        "\"authority\":\"court\"}",
        "{\"surname\":\"Listov\",\"given_name\":\"Lifted\",\"direction\":\"exit\","
        "\"starts\":\"2024-01-01\",\"legal_basis\":\"order 3\",\"authority\":\"court\"}",
        "{\"surname\":\"Listov\",\"given_name\":\"Active\",\"direction\":\"both\","
        "\"starts\":\"2024-01-01\",\"legal_basis\":\"order 4\",\"authority\":\"court\"}"};
    long long lifted = 0;
    for (int i = 0; i < 3; i++) {
        http_reply r = http_call(&c->srv, "POST", "/v1/bans", c->police, "court order", bans[i]);
        assert_int_equal(r.status, 201);
        if (i == 1)
            lifted = json_integer_value(json_object_get(r.json, "id"));
        http_reply_free(&r);
    }
    char path[80];
    snprintf(path, sizeof path, "/v1/bans/%lld/lift", lifted);
    http_reply r = http_call(&c->srv, "POST", path, c->police, "court order",
                             "{\"reason\":\"order quashed\"}");
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
    assert_int_equal(bans_listed(c, c->border, "?limit=500", 200), before + 3);
    assert_int_equal(bans_listed(c, c->police, "?status=lifted", 200), 1);
    assert_int_equal(bans_listed(c, c->police, "?status=expired", 200), 1);
    /* newest first, one per page: the second page is the lifted ban with its reason */
    r = http_call(&c->srv, "GET", "/v1/bans?limit=1&offset=1", c->police, "ban review", NULL);
    assert_int_equal(r.status, 200);
    json_t *b = json_array_get(json_object_get(r.json, "bans"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "lifted");
    assert_string_equal(json_string_value(json_object_get(b, "lift_reason")), "order quashed");
    assert_int_equal(json_integer_value(json_object_get(r.json, "offset")), 1);
    http_reply_free(&r);
    assert_int_equal(bans_listed(c, c->police, "?status=gone", 400), 0);
    assert_int_equal(bans_listed(c, c->police, "?fin=not-a-fin", 400), 0);
    assert_int_equal(bans_listed(c, c->police, "?limit=0", 400), 0);
    assert_int_equal(bans_listed(c, c->registrar, "", 403), 0);
    r = http_call(&c->srv, "GET", "/v1/bans", c->border, NULL, NULL);
    assert_int_equal(r.status, 400); /* no purpose */
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", "/v1/audit?action=ban.list", c->auditor, "review", NULL);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "entries")) >= 5);
    http_reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unicode_person_round_trips_over_http),
        cmocka_unit_test(roles_are_enforced_per_key),
        cmocka_unit_test(accesses_are_in_the_audit_log),
        cmocka_unit_test(bad_requests_are_refused_and_store_nothing),
        cmocka_unit_test(updates_and_history_over_http),
        cmocka_unit_test(revoked_keys_stop_working),
        cmocka_unit_test(blank_stock_over_http),
        cmocka_unit_test(watchlists_and_bans_over_http),
        cmocka_unit_test(bans_are_listed_over_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Gallery sharding on three eynid nodes and one PostgreSQL database: each node loads only
 * its shards; identification and enrolment ask the other nodes for the rest. With every
 * shard on two nodes, a node killed with kill -9 changes nothing in the answers; with a
 * shard on one node only, its loss is named in "shards_not_searched" and an enrolment that
 * could not search it is refused, not declared unique. Runs only on PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/identity.h"
#include "http_client.h"
#include "store_fixture.h"
#include "testutil.h"

#define NODES  3
#define SHARDS 3
#define POOL   40 /* LFW persons to draw enrolments from */
#define LFW    "lfw-a-gray-dev/images"

typedef struct person {
    char lfw[128];
    char fin[16]; /* set when enrolled unique */
    int shard;
} person;

typedef struct cluster {
    test_server node[NODES];
    char data[NODES][4200];
    char *clerk, *border;
} cluster;

static char *body_of(const person *p, const char *surname, int image)
{
    char rel[300];
    snprintf(rel, sizeof rel, LFW "/%s/%s_%04d.jpg", p->lfw, p->lfw, image);
    char *img = test_b64_file(rel);
    size_t cap = strlen(img) + 512;
    char *body = malloc(cap);
    assert_non_null(body);
    if (surname)
        snprintf(body, cap,
                 "{\"person\":{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":"
                 "\"1970-01-01\",\"sex\":\"M\",\"citizenship\":\"AZE\"},\"samples\":"
                 "[{\"modality\":\"face\",\"image\":\"%s\"}]}",
                 surname, img);
    else
        snprintf(body, cap, "{\"samples\":[{\"modality\":\"face\",\"image\":\"%s\"}],\"top\":1}",
                 img);
    free(img);
    return body;
}

/* The first n LFW persons (sorted) with images 0001 and 0002. */
static int pick_people(person *out, int n)
{
    char names[POOL][128];
    int got = test_lfw_people(names, n < POOL ? n : POOL);
    for (int i = 0; i < got; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].lfw, sizeof out[i].lfw, "%s", names[i]);
    }
    return got;
}

/* Identification of p on a node: the top FIN ("" when none) and the shards not searched
 * as text ("[]" when every shard was). */
static void identify(const test_server *node, const char *token, const person *p, char *fin,
                     char *missing)
{
    char *body = body_of(p, NULL, 1);
    http_reply r = http_call(node, "POST", "/v1/identify", token, "shards test", body);
    free(body);
    assert_int_equal(r.status, 200);
    json_t *c = json_array_get(json_object_get(r.json, "candidates"), 0);
    snprintf(fin, 16, "%s", c ? json_string_value(json_object_get(c, "fin")) : "");
    const json_t *m = json_object_get(r.json, "shards_not_searched");
    assert_true(json_is_array(m)); /* a sharded answer always says what it covers */
    char *text = json_dumps(m, JSON_COMPACT);
    snprintf(missing, 64, "%s", text);
    free(text);
    http_reply_free(&r);
}

static void set_shards(const char *data, const char *held)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/eyni.conf", data);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "gallery.node_shards = %s\n", held);
    fclose(f);
}

/* One node started unsharded makes the keys; then every node gets the sharding options. */
static void setup_cluster(cluster *c, const char *uri, const char *dir)
{
    for (int i = 0; i < NODES; i++)
        snprintf(c->data[i], sizeof c->data[i], "%s/node%d", dir, i + 1);
    const char *init[] = {"init",     "--data",      c->data[0],        "--store", uri,
                          "--listen", "127.0.0.1:0", "--opening-stock", "10",      NULL};
    assert_int_equal(test_cli(NULL, init), 0);
    test_server_start(&c->node[0], "shards", c->data[0]);
    c->clerk = test_make_key(&c->node[0], "ASAN", "registrar");
    c->border = test_make_key(&c->node[0], "DSX", "border");
    char *node_key = test_make_key(&c->node[0], "NODES", "node");
    test_server_stop(&c->node[0], 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/node.key", c->data[0]);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", node_key);
    fclose(f);
    free(node_key);
    snprintf(path, sizeof path, "%s/eyni.conf", c->data[0]);
    f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f,
            "gallery.shards = %d\ngallery.node_key = node.key\ngallery.peer_timeout_ms = 4000\n"
            "gallery.node_ttl_ms = 3000\n",
            SHARDS);
    fclose(f);
    for (int i = 1; i < NODES; i++) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", c->data[0], c->data[i]);
        assert_int_equal(system(cmd), 0);
    }
}

static long long count_of(const char *uri, const char *sql)
{
    eyni_store_opts so = {1, 0};
    eyni_store *s = NULL;
    eyni_error err;
    assert_int_equal(eyni_store_open(uri, &so, &s, &err), 0);
    long long n = fixture_count(s, sql, NULL);
    eyni_store_close(s);
    return n;
}

/* Enrols from the pool over the nodes in turn until every shard holds someone. */
static int enrol_spread(cluster *c, person *pool, int n)
{
    int per_shard[SHARDS] = {0}, enrolled = 0;
    for (int i = 0; i < n; i++) {
        int covered = 1;
        for (int s = 0; s < SHARDS; s++)
            covered &= per_shard[s] > 0;
        if (covered && enrolled >= 2 * SHARDS)
            break;
        char surname[32];
        snprintf(surname, sizeof surname, "Shard%c%c", 'a' + i / 26, 'a' + i % 26);
        char *body = body_of(&pool[i], surname, 1);
        http_reply r =
            http_call(&c->node[i % NODES], "POST", "/v1/enrolments", c->clerk, "shards", body);
        free(body);
        const char *status = json_string_value(json_object_get(r.json, "status"));
        if (r.status == 201 && status && !strcmp(status, "unique")) {
            snprintf(pool[i].fin, sizeof pool[i].fin, "%s",
                     json_string_value(json_object_get(r.json, "fin")));
            pool[i].shard = eyni_identity_shard_of(pool[i].fin, SHARDS);
            per_shard[pool[i].shard]++;
            enrolled++;
            /* the reply says every shard was searched before the person was declared unique */
            assert_int_equal(json_array_size(json_object_get(r.json, "shards_not_searched")), 0);
        } else {
            assert_true(r.status == 422 || r.status == 201); /* quality gate, or a case */
        }
        http_reply_free(&r);
    }
    for (int s = 0; s < SHARDS; s++)
        assert_true(per_shard[s] > 0);
    return enrolled;
}

static void every_node_finds_everyone(cluster *c, const person *pool, int n, const int *up)
{
    for (int k = 0; k < NODES; k++) {
        if (!up[k])
            continue;
        for (int i = 0; i < n; i++) {
            if (!pool[i].fin[0])
                continue;
            char fin[16], missing[64];
            identify(&c->node[k], c->border, &pool[i], fin, missing);
            assert_string_equal(missing, "[]");
            assert_string_equal(fin, pool[i].fin);
        }
    }
}

static void node_search_needs_the_node_role(cluster *c, const person *p)
{
    char *body = body_of(p, NULL, 1);
    size_t cap = strlen(body) + 64;
    char *req = malloc(cap);
    /* {"samples": ..., "top": 1} -> {"shards": [0], "for": "x", "samples": ...} */
    char *samples = strstr(body, "\"samples\"");
    char *top = strstr(body, ",\"top\"");
    *top = '\0';
    snprintf(req, cap, "{\"shards\":[0],\"for\":\"test\",%s}", samples);
    http_reply r = http_call(&c->node[0], "POST", "/v1/node/search", NULL, "t", req);
    assert_int_equal(r.status, 401);
    http_reply_free(&r);
    r = http_call(&c->node[0], "POST", "/v1/node/search", c->border, "t", req);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    free(req);
    free(body);
}

static void sharded_nodes_search_each_other(void **state)
{
    if (!fixture_on_pg())
        fail_msg("server/shards needs EYNI_TEST_STORE=postgresql");
    cluster *c = *state;
    char *uri = fixture_store_uri("shards");
    char *dir = eyni_test_tmpdir("shards");
    setup_cluster(c, uri, dir);
    /* Configuration A: every shard on two nodes. */
    static const char *const replicated[NODES] = {"0-1", "1-2", "0,2"};
    for (int i = 0; i < NODES; i++) {
        set_shards(c->data[i], replicated[i]);
        test_server_start(&c->node[i], "shards", c->data[i]);
    }
    person pool[POOL];
    int n = pick_people(pool, POOL);
    assert_true(n >= 12);
    int enrolled = enrol_spread(c, pool, n);
    print_message("enrolled %d persons over %d shards\n", enrolled, SHARDS);
    int up[NODES] = {1, 1, 1};
    every_node_finds_everyone(c, pool, n, up);
    node_search_needs_the_node_role(c, &pool[0]);

    /* Node 2 killed: nodes 1 and 3 still hold every shard between them. */
    test_server_stop(&c->node[1], 1);
    up[1] = 0;
    every_node_finds_everyone(c, pool, n, up);

    /* Configuration B: node 3 keeps shard 2 only, so shard 0 lives on node 1 alone. */
    test_server_start(&c->node[1], "shards", c->data[1]);
    test_server_stop(&c->node[2], 0);
    set_shards(c->data[2], "2"); /* the later line wins */
    test_server_start(&c->node[2], "shards", c->data[2]);
    up[1] = up[2] = 1;
    every_node_finds_everyone(c, pool, n, up);
    test_server_stop(&c->node[0], 1);
    for (int k = 1; k < NODES; k++) {
        for (int i = 0; i < n; i++) {
            if (!pool[i].fin[0])
                continue;
            char fin[16], missing[64];
            identify(&c->node[k], c->border, &pool[i], fin, missing);
            assert_string_equal(missing, "[0]");
            if (pool[i].shard == 0)
                assert_string_not_equal(fin, pool[i].fin);
            else
                assert_string_equal(fin, pool[i].fin);
        }
    }
    /* An enrolment now cannot be declared unique: refused, nothing recorded. */
    long long persons = count_of(uri, "SELECT COUNT(*) FROM persons");
    int tried = 0;
    for (int i = 0; i < n && tried < 1; i++) {
        if (pool[i].fin[0])
            continue;
        char *body = body_of(&pool[i], "Shardoutage", 1);
        http_reply r = http_call(&c->node[1], "POST", "/v1/enrolments", c->clerk, "shards", body);
        free(body);
        if (r.status == 422) { /* this face fails the quality gate; take another */
            http_reply_free(&r);
            continue;
        }
        assert_int_equal(r.status, 409);
        const char *msg =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
        assert_non_null(strstr(msg, "shards 0 "));
        http_reply_free(&r);
        tried++;
    }
    assert_int_equal(tried, 1);
    assert_int_equal(count_of(uri, "SELECT COUNT(*) FROM persons"), persons);
    /* A document application cannot be cleared on a partial search either: refused, no case
     * opened, nothing issued. */
    char *desk = test_make_key(&c->node[1], "IAMAS", "documents");
    long long cases = count_of(uri, "SELECT COUNT(*) FROM cases");
    int applied = 0;
    for (int i = 0; i < n && !applied; i++) {
        if (!pool[i].fin[0] || pool[i].shard == 0)
            continue;
        char rel[300];
        snprintf(rel, sizeof rel, LFW "/%s/%s_0001.jpg", pool[i].lfw, pool[i].lfw);
        char *img = test_b64_file(rel);
        json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "fin", pool[i].fin, "type", "id_card",
                                 "office", "CENTRAL", "face", img);
        free(img);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        http_reply r = http_call(&c->node[1], "POST", "/v1/documents", desk, "application", text);
        free(text);
        assert_int_equal(r.status, 409);
        const char *msg =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
        assert_non_null(strstr(msg, "shards 0 "));
        http_reply_free(&r);
        applied = 1;
    }
    free(desk);
    assert_int_equal(applied, 1);
    assert_int_equal(count_of(uri, "SELECT COUNT(*) FROM documents"), 0);
    assert_int_equal(count_of(uri, "SELECT COUNT(*) FROM cases"), cases);
    assert_int_equal(count_of(uri, "SELECT COUNT(*) FROM audit WHERE action = 'document.apply'"
                                   " AND outcome = 'refused'"),
                     1);
    /* Peers' searches and the refusal are audited. */
    assert_true(count_of(uri, "SELECT COUNT(*) FROM audit WHERE action = 'shard.search'") > 0);
    assert_int_equal(count_of(uri, "SELECT COUNT(*) FROM audit WHERE action = 'enrol' AND"
                                   " outcome = 'refused'"),
                     1);
    assert_true(count_of(uri, "SELECT COUNT(*) FROM audit WHERE action = 'match.identify' AND"
                              " outcome = 'partial'") > 0);
    for (int i = 1; i < NODES; i++)
        test_server_stop(&c->node[i], 0);
    free(uri);
    free(dir);
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(cluster));
    return *state ? 0 : -1;
}

/* Runs after a failed assertion too, so no eynid outlives the test. */
static int teardown(void **state)
{
    cluster *c = *state;
    for (int i = 0; i < NODES; i++)
        test_server_stop(&c->node[i], 1);
    free(c->clerk);
    free(c->border);
    free(c);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sharded_nodes_search_each_other, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

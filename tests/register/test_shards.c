/* Gallery shards without a server: the FIN hash is stable and spreads FINs evenly, shard
 * sets parse strictly, and a peer's answer is checked before anything of it is used. The
 * refusal of sharding on SQLite is checked here too. */
#include <stdlib.h>
#include <string.h>

#include "eyni/identity.h"
#include "testutil.h"

static void shard_of_a_fin_is_stable_and_even(void **state)
{
    (void)state;
    /* Known answers (sha256 of the FIN, first 8 bytes big-endian, modulo the count): a
     * change here would move every stored person to another shard. */
    assert_int_equal(eyni_identity_shard_of("0000000", 1024), 120);
    assert_int_equal(eyni_identity_shard_of("AB12CD3", 1024), 592);
    assert_int_equal(eyni_identity_shard_of("AB12CD3", 3), 1);
    assert_int_equal(eyni_identity_shard_of("Z9Y8X7W", 8), 2);
    assert_int_equal(eyni_identity_shard_of("Z9Y8X7W", 1), 0);
    int count[8] = {0};
    char fin[8];
    for (int i = 0; i < 8000; i++) {
        snprintf(fin, sizeof fin, "%07d", i);
        int s = eyni_identity_shard_of(fin, 8);
        assert_in_range(s, 0, 7);
        assert_int_equal(eyni_identity_shard_of(fin, 8), s);
        count[s]++;
    }
    for (int s = 0; s < 8; s++) /* 1000 expected each; 4 sigma is about 120 */
        assert_in_range(count[s], 850, 1150);
}

static void shard_sets_parse_strictly(void **state)
{
    (void)state;
    unsigned char held[8];
    eyni_error err;
    assert_int_equal(eyni_identity_shards_parse("0-2, 5,7", 8, held, &err), 0);
    unsigned char want[8] = {1, 1, 1, 0, 0, 1, 0, 1};
    assert_memory_equal(held, want, 8);
    static const char *const bad[] = {"",   "8",   "3-1",  "1,1",   "0-2,2", "a", "1-",
                                      "-1", "1;2", "1,,2", "00001", "1 2",   NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(eyni_identity_shards_parse(bad[i], 8, held, &err), EYNI_EFORMAT);
        assert_true(strlen(err.msg) > 0);
    }
    assert_int_equal(eyni_identity_shards_parse("0", 0, held, &err), EYNI_EINVAL);
}

static void peer_answers_are_checked(void **state)
{
    (void)state;
    unsigned char asked[4] = {1, 0, 1, 0}, searched[4] = {0};
    json_t *hits = NULL;
    eyni_error err;
    const char *ok = "{\"shards\":[2],\"hits\":[{\"fin\":\"AB12CD3\",\"face\":0.7,"
                     "\"finger\":{\"3\":40.5}}],\"last_change\":9}";
    assert_int_equal(
        eyni_identity_peer_reply_check(ok, strlen(ok), 4, asked, searched, &hits, &err), 0);
    assert_int_equal(searched[2], 1);
    assert_int_equal(searched[0], 0); /* asked but not searched: stays to be searched */
    assert_int_equal(json_array_size(hits), 1);
    json_decref(hits);
    static const char *const bad[] = {
        "",
        "[]",
        "{\"shards\":[1],\"hits\":[]}",                 /* not asked */
        "{\"shards\":[0,0],\"hits\":[]}",               /* twice */
        "{\"shards\":[0],\"hits\":[{\"fin\":\"ab\"}]}", /* not a FIN */
        "{\"shards\":[0],\"hits\":[{\"fin\":\"A\",\"finger\":{\"11\":1}}]}",
        "{\"shards\":[0],\"hits\":[{\"fin\":\"A\",\"face\":\"x\"}]}",
        "{\"shards\":[0],\"hits\":[{\"fin\":\"A\",\"extra\":1}]}",
        "{\"shards\":[0],\"hits\":{}}",
        "{\"shards\":[0],\"hits\":[],\"more\":1}",
        "{\"shards\":[0],\"hits\":[{\"fin\":\"A\",\"face\":1e300}]}",
        NULL};
    for (int i = 0; bad[i]; i++) {
        memset(searched, 0, sizeof searched);
        hits = NULL;
        assert_true(eyni_identity_peer_reply_check(bad[i], strlen(bad[i]), 4, asked, searched,
                                                   &hits, &err) < 0);
        assert_null(hits);
        assert_int_equal(searched[0] | searched[2], 0);
    }
}

static void sharding_is_refused_on_sqlite(void **state)
{
    (void)state;
    char *dir = eyni_test_tmpdir("shards");
    char uri[4200];
    snprintf(uri, sizeof uri, "sqlite:%s/eyni.db", dir);
    eyni_error err;
    eyni_register_opts ro = {uri, 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    assert_int_equal(eyni_register_open(&ro, &reg, &err), 0);
    eyni_identity_opts o;
    memset(&o, 0, sizeof o);
    o.shards = 4;
    o.node_key = "eyni_000000000000_00";
    eyni_identity *id = NULL;
    assert_int_equal(eyni_identity_open(reg, &o, &id, &err), EYNI_EINVAL);
    assert_non_null(strstr(err.msg, "postgresql"));
    assert_null(id);
    eyni_register_close(reg);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shard_of_a_fin_is_stable_and_even),
        cmocka_unit_test(shard_sets_parse_strictly),
        cmocka_unit_test(peer_answers_are_checked),
        cmocka_unit_test(sharding_is_refused_on_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

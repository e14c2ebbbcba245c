/* The register's DNA service against a real keyed register: sealed storage, the in-memory
 * database following the change log, searches, roles and purpose, refusals that store
 * nothing, removal as a status change, and a restart. Profiles are real NIST 1036 people. */
#include <math.h>

#include "eyni/dnareg.h"
#include "eyni/store.h"
#include "reg_fixture.h"

#define NIST "str-allele-freq-nist1036/"

typedef struct world {
    char dir[4200], keys[4300], uri[4300], freq[4300];
    eyni_register *reg;
    eyni_dnareg *dna;
    eyni_dna_profile *people; /* the NIST genotype file */
    size_t n;
    char fin[3][EYNI_FIN_MAX + 1];
} world;

static void open_all(world *w)
{
    eyni_error err;
    eyni_register_opts o = {w->uri, 2, 0, NULL, NULL, w->keys, 1, NULL, NULL, NULL, NULL, NULL};
    if (eyni_register_open(&o, &w->reg, &err))
        fail_msg("%s", err.msg);
    eyni_dnareg_opts d = {w->freq, NULL, 0, 2, NULL};
    if (eyni_dnareg_open(w->reg, &d, &w->dna, &err))
        fail_msg("%s", err.msg);
}

static void close_all(world *w)
{
    eyni_dnareg_close(w->dna);
    eyni_register_close(w->reg);
    w->dna = NULL;
    w->reg = NULL;
}

static json_t *profile_json(const eyni_dna_profile *p)
{
    json_t *j = eyni_dna_profile_to_json(p);
    json_object_del(j, "kind");
    json_object_del(j, "id");
    json_object_del(j, "population");
    return j;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    char *dir = eyni_test_tmpdir("dna-store");
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    free(dir);
    snprintf(w->keys, sizeof w->keys, "%s/keys", w->dir);
    char *uri = fixture_store_uri("dna-store"); /* SQLite beside the keys, or PostgreSQL */
    snprintf(w->uri, sizeof w->uri, "%s", uri);
    free(uri);
    fixture_data_key(w->keys);
    eyni_error err;
    char *f = eyni_test_path(NIST "nist1036_allele_frequencies_computed.csv");
    snprintf(w->freq, sizeof w->freq, "%s", f);
    free(f);
    char *g = eyni_test_path(NIST "csv/1036_revised_all_n_1036.csv");
    if (eyni_dna_profiles_load(g, &w->people, &w->n, &err))
        fail_msg("%s", err.msg);
    free(g);
    open_all(w);
    /* Three registered persons. */
    eyni_actor clerk = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    const char *names[] = {"Məmmədov", "Həsənova", "Quliyev"};
    for (int i = 0; i < 3; i++) {
        json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "surname", names[i], "given_name", "Test",
                               "birth_date", "1980-05-05", "sex", i == 1 ? "F" : "M");
        json_t *out = NULL;
        if (eyni_register_person_create(w->reg, &clerk, in, &out, &err))
            fail_msg("%s", err.msg);
        snprintf(w->fin[i], sizeof w->fin[i], "%s", json_string_value(json_object_get(out, "fin")));
        json_decref(in);
        json_decref(out);
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    close_all(w);
    free(w->people);
    free(w);
    return 0;
}

static int add_reference(world *w, const eyni_actor *a, int person, const eyni_dna_profile *p,
                         eyni_error *err)
{
    json_t *in = json_pack("{s:s, s:s, s:o}", "kind", "reference", "fin", w->fin[person], "profile",
                           profile_json(p));
    json_t *out = NULL;
    int rc = eyni_dnareg_add(w->dna, a, in, &out, err);
    json_decref(in);
    json_decref(out);
    return rc;
}

static int add_forensic(world *w, const eyni_actor *a, const char *sample, const char *case_id,
                        const eyni_dna_profile *p, eyni_error *err)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "kind", "forensic", "sample_id",
                           sample, "case_id", case_id, "scene", "garage, door handle",
                           "collected_on", "2026-10-30", "profile", profile_json(p));
    json_t *out = NULL;
    int rc = eyni_dnareg_add(w->dna, a, in, &out, err);
    json_decref(in);
    json_decref(out);
    return rc;
}

/* A number from one SQL row (-1 when there is no row). */
static long long sql_count(world *w, const char *sql)
{
    eyni_db *db;
    eyni_stmt *st;
    eyni_error err;
    assert_int_equal(eyni_store_acquire(eyni_register_store(w->reg), &db, &err), 0);
    assert_int_equal(eyni_db_prepare(db, sql, &st, &err), 0);
    long long v = eyni_stmt_step(st, &err) == 1 ? eyni_stmt_int64(st, 0) : -1;
    eyni_stmt_free(st);
    eyni_store_release(eyni_register_store(w->reg), db);
    return v;
}

/* Stored profiles whose blob starts with the plain binary form's magic "EDN1". */
static int plain_profiles(world *w)
{
    eyni_db *db;
    eyni_stmt *st;
    eyni_error err;
    int plain = 0;
    assert_int_equal(eyni_store_acquire(eyni_register_store(w->reg), &db, &err), 0);
    assert_int_equal(eyni_db_prepare(db, "SELECT profile FROM dna_profiles", &st, &err), 0);
    while (eyni_stmt_step(st, &err) == 1) {
        size_t n = 0;
        const unsigned char *b = eyni_stmt_blob(st, 0, &n);
        plain += n >= 4 && memcmp(b, "EDN1", 4) == 0;
    }
    eyni_stmt_free(st);
    eyni_store_release(eyni_register_store(w->reg), db);
    return plain;
}

static json_t *search(world *w, const eyni_actor *a, const char *req, int familial, int expect)
{
    json_t *in = fixture_json(req), *out = NULL;
    eyni_error err;
    int rc = familial ? eyni_dnareg_familial(w->dna, a, in, &out, &err)
                      : eyni_dnareg_search(w->dna, a, in, &out, &err);
    json_decref(in);
    if (rc != expect)
        fail_msg("%s: %d %s", req, rc, rc ? err.msg : "");
    return out;
}

static const char *hit_id(const json_t *out, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(out, "hits"), i), "id"));
}

/* A child of NIST persons 0 and 2, a partial crime-scene profile of person 1. */
static void case_profiles(world *w, eyni_dna_profile *child, eyni_dna_profile *partial)
{
    eyni_dna_rng rng;
    eyni_dna_rng_seed(&rng, 7);
    eyni_dna_sim_child(&rng, &w->people[0], &w->people[2], child);
    *partial = w->people[1];
    for (int l = 20; l < EYNI_DNA_NLOCI; l++) /* only the CODIS core loci came up */
        partial->loci[l].a = partial->loci[l].b = 0;
    partial->loci[3].a = partial->loci[3].b = 0; /* and D7S820 failed */
}

static void stores_searches_and_survives_restart(void **state)
{
    world *w = *state;
    eyni_error err;
    eyni_actor lab = fixture_actor(EYNI_ROLE_FORENSIC, "case work");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "investigation 77");
    eyni_actor clerk = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    /* A second service on the same store stands for another eynid or the CLI. */
    eyni_dnareg *other = NULL;
    eyni_dnareg_opts d = {w->freq, "ALL", 0, 1, NULL};
    assert_int_equal(eyni_dnareg_open(w->reg, &d, &other, &err), 0);

    for (int i = 0; i < 3; i++)
        assert_int_equal(add_reference(w, i == 0 ? &clerk : &lab, i, &w->people[i], &err), 0);
    eyni_dna_profile child, partial;
    case_profiles(w, &child, &partial);
    assert_int_equal(add_forensic(w, &police, "S-001", "2026/C-17", &child, &err), 0);
    assert_int_equal(add_forensic(w, &lab, "S-002", "2026/C-17", &partial, &err), 0);
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM dna_profiles"), 5);
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM dna_changes"), 5);
    /* Sealed at rest: the stored blob is not the plain binary form (magic "EDN1"). */
    assert_int_equal(plain_profiles(w), 0);

    /* The partial sample finds person 1 at the 19 loci it has. */
    json_t *out = search(w, &police, "{\"sample_id\":\"S-002\"}", 0, 0);
    assert_int_equal(json_array_size(json_object_get(out, "hits")), 1);
    assert_string_equal(hit_id(out, 0), w->fin[1]);
    json_t *h = json_array_get(json_object_get(out, "hits"), 0);
    assert_int_equal(json_integer_value(json_object_get(h, "loci_compared")), 19);
    assert_true(json_real_value(json_object_get(h, "log10_lr")) > 15);
    json_decref(out);
    /* The other service saw every add through the change log. */
    json_t *in = fixture_json("{\"sample_id\":\"S-002\",\"stringency\":\"high\"}");
    assert_int_equal(eyni_dnareg_search(other, &lab, in, &out, &err), 0);
    json_decref(in);
    assert_string_equal(hit_id(out, 0), w->fin[1]);
    json_decref(out);

    /* The child's two parents rank first and second; the unrelated person is excluded. */
    out = search(w, &lab, "{\"sample_id\":\"S-001\",\"relation\":\"parent\",\"top\":3}", 1, 0);
    assert_true(
        (strcmp(hit_id(out, 0), w->fin[0]) == 0 && strcmp(hit_id(out, 1), w->fin[2]) == 0) ||
        (strcmp(hit_id(out, 0), w->fin[2]) == 0 && strcmp(hit_id(out, 1), w->fin[0]) == 0));
    json_decref(out);
    char req[256];
    snprintf(req, sizeof req,
             "{\"a\":{\"kind\":\"reference\",\"id\":\"%s\"},\"b\":{\"kind\":\"forensic\","
             "\"id\":\"S-001\"},\"relation\":\"parent\"}",
             w->fin[0]);
    in = fixture_json(req);
    assert_int_equal(eyni_dnareg_kinship(w->dna, &lab, in, &out, &err), 0);
    json_decref(in);
    eyni_dna_stat direct;
    const eyni_dna_freq *all = NULL;
    eyni_dna_freqset *set = NULL;
    assert_int_equal(eyni_dna_freqset_load(w->freq, 0, &set, &err), 0);
    all = eyni_dna_freqset_find(set, "ALL");
    assert_int_equal(eyni_dna_kinship(all, &w->people[0], &child, EYNI_DNA_LOCI_AUTOSOMAL,
                                      EYNI_DNA_PARENT_CHILD, &direct, &err),
                     0);
    double idx = json_real_value(json_object_get(
        json_object_get(json_object_get(out, "relations"), "parent-child"), "index"));
    assert_true(direct.value > 1 && fabs(idx - direct.value) <= 1e-12 * direct.value);
    json_decref(out);

    /* The stored reference reads back allele for allele; its RMP is the library's. */
    assert_int_equal(eyni_dnareg_get(w->dna, &police, "reference", w->fin[2], &out, &err), 0);
    json_t *want = eyni_dna_profile_to_json(&w->people[2]);
    assert_true(json_equal(json_object_get(out, "loci"), json_object_get(want, "loci")));
    json_decref(want);
    json_decref(out);
    in = json_pack("{s:s, s:s, s:s}", "kind", "reference", "id", w->fin[2], "formula", "4.1");
    assert_int_equal(eyni_dnareg_rmp(w->dna, &lab, in, &out, &err), 0);
    json_decref(in);
    assert_int_equal(eyni_dna_rmp(all, &w->people[2], EYNI_DNA_LOCI_AUTOSOMAL, EYNI_DNA_NRC_4_1,
                                  EYNI_DNA_DEFAULT_THETA, &direct, &err),
                     0);
    assert_true(fabs(json_real_value(json_object_get(out, "rmp")) - direct.value) <=
                1e-12 * direct.value);
    json_decref(out);
    eyni_dna_freqset_free(set);

    /* Removal is a status change: the row stays, searches stop finding it. */
    assert_int_equal(
        eyni_dnareg_remove(w->dna, &lab, "reference", w->fin[1], "consent withdrawn", &err), 0);
    out = search(w, &police, "{\"sample_id\":\"S-002\"}", 0, 0);
    assert_int_equal(json_array_size(json_object_get(out, "hits")), 0);
    json_decref(out);
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM dna_profiles WHERE status = 'removed'"), 1);
    assert_int_equal(eyni_dnareg_remove(w->dna, &lab, "reference", w->fin[1], "again", &err),
                     EYNI_ENOTFOUND);
    /* Neither SQL path erases or rewrites a profile. */
    eyni_db *db;
    assert_int_equal(eyni_store_acquire(eyni_register_store(w->reg), &db, &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "DELETE FROM dna_profiles", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE dna_profiles SET profile = x'00'", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE dna_profiles SET status = 'active'", &err), 0);
    eyni_store_release(eyni_register_store(w->reg), db);
    /* The FIN may receive a new reference profile after removal. */
    assert_int_equal(add_reference(w, &lab, 1, &w->people[1], &err), 0);

    /* Every add, read and search is on record. */
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM audit WHERE action LIKE 'dna.%add'"
                                  " AND outcome = 'ok'"),
                     6);
    assert_true(sql_count(w, "SELECT COUNT(*) FROM audit WHERE action IN ('dna.search',"
                             " 'dna.familial', 'dna.kinship', 'dna.read', 'dna.rmp')") >= 6);
    eyni_dnareg_close(other);

    /* Restart: the store rebuilds the same database. */
    close_all(w);
    open_all(w);
    json_t *stats = eyni_dnareg_stats(w->dna);
    assert_int_equal(json_integer_value(json_object_get(stats, "references")), 3);
    assert_int_equal(json_integer_value(json_object_get(stats, "forensic")), 2);
    json_decref(stats);
    out = search(w, &police, "{\"sample_id\":\"S-002\"}", 0, 0);
    assert_string_equal(hit_id(out, 0), w->fin[1]);
    json_decref(out);
}

static void refusals_store_nothing(void **state)
{
    world *w = *state;
    eyni_error err;
    eyni_actor lab = fixture_actor(EYNI_ROLE_FORENSIC, "case work");
    eyni_actor clerk = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "check");
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "investigation");
    eyni_actor silent = fixture_actor(EYNI_ROLE_POLICE, "");
    assert_int_equal(add_reference(w, &lab, 0, &w->people[0], &err), 0);

    /* Roles and purpose. */
    assert_int_equal(add_reference(w, &police, 1, &w->people[1], &err), EYNI_EPERM);
    assert_int_equal(add_forensic(w, &clerk, "S-9", "C-9", &w->people[1], &err), EYNI_EPERM);
    json_t *out = search(w, &border, "{\"fin\":\"x\"}", 0, EYNI_EPERM);
    out = search(w, &clerk, "{\"fin\":\"x\"}", 1, EYNI_EPERM);
    out = search(w, &silent, "{\"fin\":\"x\"}", 0, EYNI_EINVAL);
    assert_int_equal(eyni_dnareg_get(w->dna, &clerk, "reference", w->fin[0], &out, &err),
                     EYNI_EPERM);
    assert_int_equal(eyni_dnareg_remove(w->dna, &police, "reference", w->fin[0], "x", &err),
                     EYNI_EPERM);
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM audit WHERE action LIKE 'dna.%'"
                                  " AND outcome = 'denied'"),
                     7);

    /* Bad profiles, each with its named reason. */
    const char *bad[] = {
        "{\"loci\":{\"XYZ123\":[\"10\",\"11\"]}}",                     /* unknown locus */
        "{\"loci\":{\"TH01\":[\"6\",\"7\",\"9.3\"]}}",                 /* three alleles */
        "{\"loci\":{\"TH01\":[\"abc\",\"7\"]}}",                       /* not an allele */
        "{\"loci\":{\"TH01\":[\"6\",\"7\"],\"FGA\":[\"22\",\"24\"]}}", /* too few loci */
        "{\"loci\":{}}",                                               /* empty */
    };
    const char *why[] = {"XYZ123", "three", "abc", "at least", "no typed"};
    for (int i = 0; i < 5; i++) {
        json_t *in = json_pack("{s:s, s:s, s:o}", "kind", "reference", "fin", w->fin[1], "profile",
                               fixture_json(bad[i]));
        assert_int_equal(eyni_dnareg_add(w->dna, &lab, in, &out, &err), EYNI_EFORMAT);
        if (!strstr(err.msg, why[i]))
            fail_msg("profile %d refused for '%s'", i, err.msg);
        json_decref(in);
    }
    eyni_dna_profile dropped = w->people[1];
    dropped.loci[4].b = EYNI_DNA_ALLELE_DROPOUT;
    assert_int_equal(add_reference(w, &lab, 1, &dropped, &err), EYNI_EFORMAT);
    assert_int_equal(add_reference(w, &lab, 0, &w->people[1], &err), EYNI_EEXIST);
    json_t *in = json_pack("{s:s, s:s, s:o}", "kind", "reference", "fin", "NOSUCH1", "profile",
                           profile_json(&w->people[1]));
    assert_non_null(in);
    assert_int_equal(eyni_dnareg_add(w->dna, &lab, in, &out, &err), EYNI_ENOTFOUND);
    json_decref(in);
    in = json_pack("{s:s, s:s, s:s, s:o}", "kind", "forensic", "sample_id", "S 1", "case_id", "C",
                   "profile", profile_json(&w->people[1]));
    assert_non_null(in);
    assert_int_equal(eyni_dnareg_add(w->dna, &lab, in, &out, &err), EYNI_EFORMAT);
    json_decref(in);
    in = json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", "forensic", "sample_id", "S1",
                   "collected_on", "2999-01-01", "case_id", "C", "profile",
                   profile_json(&w->people[1]));
    assert_non_null(in);
    assert_int_equal(eyni_dnareg_add(w->dna, &lab, in, &out, &err), EYNI_EFORMAT);
    json_decref(in);
    in = json_pack("{s:s, s:s, s:o}", "kind", "forensic", "sample_id", "S1", "profile",
                   profile_json(&w->people[1]));
    assert_non_null(in);
    assert_int_equal(eyni_dnareg_add(w->dna, &lab, in, &out, &err), EYNI_EFORMAT); /* no case */
    json_decref(in);
    assert_int_equal(sql_count(w, "SELECT COUNT(*) FROM dna_profiles"), 1);
    json_t *stats = eyni_dnareg_stats(w->dna);
    assert_int_equal(json_integer_value(json_object_get(stats, "references")), 1);
    assert_int_equal(json_integer_value(json_object_get(stats, "forensic")), 0);
    json_decref(stats);
    /* Searches with bad parameters. */
    out = search(w, &lab, "{\"fin\":\"x\",\"stringency\":\"medium\"}", 0, EYNI_EFORMAT);
    out = search(w, &lab, "{\"fin\":\"x\",\"sample_id\":\"y\"}", 0, EYNI_EFORMAT);
    out = search(w, &lab, "{\"fin\":\"NOSUCH1\"}", 0, EYNI_ENOTFOUND);
    out = search(w, &lab, "{\"profile\":{\"loci\":{\"TH01\":[\"6\"]}},\"relation\":\"cousin\"}", 1,
                 EYNI_EFORMAT);
    (void)out;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stores_searches_and_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_store_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

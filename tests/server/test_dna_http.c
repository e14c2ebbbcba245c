/* The DNA service end to end: eynid on loopback with the NIST frequency table, real NIST
 * genotypes as profiles, the roles of the API keys, the `eyni dna` commands on the same
 * data directory, and kill -9 and restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/dna.h"
#include "http_client.h"
#include "testutil.h"

#define NIST "str-allele-freq-nist1036/"

typedef struct ctx {
    test_server srv;
    eyni_dna_profile *people;
    size_t n;
    char dir[4200];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    char *freq = eyni_test_path(NIST "nist1036_allele_frequencies_computed.csv");
    setenv("EYNI_DNA_FREQ", freq, 1); /* eynid and the CLI read dna.freq from here */
    free(freq);
    char *g = eyni_test_path(NIST "csv/1036_revised_Cauc_n_361.csv");
    eyni_error err;
    if (eyni_dna_profiles_load(g, &c->people, &c->n, &err))
        fail_msg("%s", err.msg);
    free(g);
    test_server_start(&c->srv, "dna-http", NULL);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    test_server_stop(&c->srv, 1);
    free(c->people);
    free(c);
    return 0;
}

/* {"loci": {...}} of a profile, as a client would send it. */
static json_t *loci_of(const eyni_dna_profile *p)
{
    json_t *j = eyni_dna_profile_to_json(p);
    json_t *o = json_pack("{s:O}", "loci", json_object_get(j, "loci"));
    json_decref(j);
    return o;
}

static http_reply post(ctx *c, const char *path, const char *token, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    http_reply r = http_call(&c->srv, "POST", path, token, "case 2026/88", text);
    free(text);
    return r;
}

static char *person(ctx *c, const char *token, const char *surname)
{
    http_reply r = post(c, "/v1/persons", token,
                        json_pack("{s:s, s:s, s:s, s:s}", "surname", surname, "given_name", "Test",
                                  "birth_date", "1975-04-04", "sex", "F"));
    assert_int_equal(r.status, 201);
    char *fin = strdup(json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
    return fin;
}

static void expect(http_reply r, long status)
{
    if (r.status != status) {
        char *t = r.json ? json_dumps(r.json, 0) : NULL;
        fail_msg("status %ld, wanted %ld: %s", r.status, status, t ? t : "");
    }
    http_reply_free(&r);
}

static const char *top_id(const http_reply *r)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(r->json, "hits"), 0), "id"));
}

/* An enrolment with a face and a DNA reference: {"person", "samples", "dna"}. */
static json_t *enrolment(const char *surname, json_t *dna)
{
    char *face = test_b64_file("lfw-a-gray-dev/images/Hugo_Chavez/Hugo_Chavez_0001.jpg");
    json_t *b = json_pack("{s:{s:s, s:s, s:s, s:s}, s:[{s:s, s:s}], s:o}", "person", "surname",
                          surname, "given_name", "Test", "birth_date", "1960-01-01", "sex", "M",
                          "samples", "modality", "face", "image", face, "dna", dna);
    free(face);
    return b;
}

static void enrolment_with_dna(void **state)
{
    ctx *c = *state;
    char *clerk = test_make_key(&c->srv, "ASAN", "registrar");
    char *docs = test_make_key(&c->srv, "IDX", "documents");
    char *lab = test_make_key(&c->srv, "FLAB", "forensic");
    /* A bad profile stops the enrolment before anyone is registered. */
    http_reply r = post(c, "/v1/enrolments", clerk,
                        enrolment("Çavez", json_pack("{s:{s:[ss]}}", "loci", "TH01", "abc", "7")));
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    /* Document offices enrol, but may not take DNA. */
    expect(post(c, "/v1/enrolments", docs, enrolment("Çavez", loci_of(&c->people[5]))), 403);
    r = http_call(&c->srv, "GET", "/v1/persons?surname=%C3%87avez", clerk, "check", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "results")), 0);
    http_reply_free(&r);
    r = post(c, "/v1/enrolments", clerk, enrolment("Çavez", loci_of(&c->people[5])));
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "dna"), "stored")));
    char path[128];
    snprintf(path, sizeof path, "/v1/dna/reference/%s",
             json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
    r = http_call(&c->srv, "GET", path, lab, "check", NULL);
    assert_int_equal(r.status, 200);
    json_t *want = eyni_dna_profile_to_json(&c->people[5]);
    assert_true(json_equal(json_object_get(r.json, "loci"), json_object_get(want, "loci")));
    json_decref(want);
    http_reply_free(&r);
    /* `eyni enrol --dna` on the same data directory. */
    char dna_path[4400], *out = NULL;
    snprintf(dna_path, sizeof dna_path, "%s/reference.json", c->srv.data);
    json_t *ref = eyni_dna_profile_to_json(&c->people[6]);
    assert_int_equal(json_dump_file(ref, dna_path, 0), 0);
    json_decref(ref);
    char *face = eyni_test_path("lfw-a-gray-dev/images/Tony_Blair/Tony_Blair_0001.jpg");
    const char *enrol[] = {
        "enrol", "--data",       c->srv.data,  "--surname", "Bleyr", "--given-name",
        "T",     "--birth-date", "1953-05-06", "--sex",     "M",     "--face",
        face,    "--dna",        dna_path,     "--json",    NULL};
    assert_int_equal(test_cli(&out, enrol), 0);
    free(face);
    json_error_t je;
    json_t *reply = json_loads(out, 0, &je);
    free(out);
    assert_true(json_is_true(json_object_get(json_object_get(reply, "dna"), "stored")));
    json_decref(reply);
    /* The same search that found nobody before finds the one enrolled person now. */
    r = http_call(&c->srv, "GET", "/v1/persons?surname=%C3%87avez", clerk, "check", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "results")), 1);
    http_reply_free(&r);
    free(clerk);
    free(docs);
    free(lab);
}

static void api_roles_cli_and_restart(void **state)
{
    ctx *c = *state;
    char *clerk = test_make_key(&c->srv, "ASAN", "registrar");
    char *lab = test_make_key(&c->srv, "FLAB", "forensic");
    char *police = test_make_key(&c->srv, "POL", "police");
    char *border = test_make_key(&c->srv, "DSX", "border");
    char *mother = person(c, clerk, "Anaxanım");
    char *stranger = person(c, clerk, "Başqası");

    /* References: the registrar and the laboratory may add them, the police may not. */
    expect(post(c, "/v1/dna/reference", clerk,
                json_pack("{s:s, s:o}", "fin", mother, "profile", loci_of(&c->people[0]))),
           201);
    expect(post(c, "/v1/dna/reference", police,
                json_pack("{s:s, s:o}", "fin", stranger, "profile", loci_of(&c->people[1]))),
           403);
    expect(post(c, "/v1/dna/reference", lab,
                json_pack("{s:s, s:o}", "fin", stranger, "profile", loci_of(&c->people[1]))),
           201);
    /* A bad profile is refused with its reason, and nothing is stored. */
    http_reply r = post(c, "/v1/dna/forensic", lab,
                        json_pack("{s:s, s:s, s:{s:{s:[sss]}}}", "sample_id", "X-1", "case_id",
                                  "C-1", "profile", "loci", "TH01", "6", "7", "9.3"));
    assert_int_equal(r.status, 400);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
               "three alleles"));
    http_reply_free(&r);
    expect(post(c, "/v1/dna/forensic", clerk,
                json_pack("{s:s, s:s, s:o}", "sample_id", "X-2", "case_id", "C-1", "profile",
                          loci_of(&c->people[1]))),
           403);
    r = http_call(&c->srv, "GET", "/v1/dna/forensic/X-1", lab, "check", NULL);
    assert_int_equal(r.status, 404);
    http_reply_free(&r);

    /* A crime-scene stain of the mother's child, by the CLI of the same data directory. */
    eyni_dna_rng rng;
    eyni_dna_rng_seed(&rng, 11);
    eyni_dna_profile child;
    eyni_dna_sim_child(&rng, &c->people[0], &c->people[2], &child);
    char path[4400];
    snprintf(path, sizeof path, "%s/stain.json", c->srv.data);
    json_t *stain = eyni_dna_profile_to_json(&child);
    assert_int_equal(json_dump_file(stain, path, 0), 0);
    json_decref(stain);
    const char *add[] = {"dna",          "add",        "--data",    c->srv.data, "--sample",
                         "S-1",          "--case",     "2026/88",   "--scene",   "hall",
                         "--collected",  "2026-11-20", "--profile", path,        "--purpose",
                         "case 2026/88", "--json",     NULL};
    assert_int_equal(test_cli(NULL, add), 0);

    /* The stain matches nobody directly; its mother ranks first in a familial search. */
    r = post(c, "/v1/dna/search", police, json_pack("{s:s}", "sample_id", "S-1"));
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "hits")), 0);
    http_reply_free(&r);
    r = post(c, "/v1/dna/familial", lab,
             json_pack("{s:s, s:s, s:s}", "sample_id", "S-1", "relation", "parent", "population",
                       "Cauc"));
    assert_int_equal(r.status, 200);
    assert_string_equal(top_id(&r), mother);
    http_reply_free(&r);
    expect(post(c, "/v1/dna/familial", border, json_pack("{s:s}", "sample_id", "S-1")), 403);
    r = post(c, "/v1/dna/kinship", police,
             json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:s}", "a", "kind", "reference", "id", mother,
                       "b", "kind", "forensic", "id", "S-1", "relation", "parent"));
    assert_int_equal(r.status, 200);
    json_t *pc = json_object_get(json_object_get(r.json, "relations"), "parent-child");
    assert_true(json_real_value(json_object_get(pc, "index")) > 1000);
    http_reply_free(&r);
    char rmp_path[128];
    snprintf(rmp_path, sizeof rmp_path, "/v1/dna/reference/%s/rmp?formula=4.1&population=Cauc",
             mother);
    r = http_call(&c->srv, "GET", rmp_path, lab, "statistics", NULL);
    assert_int_equal(r.status, 200);
    assert_true(json_real_value(json_object_get(r.json, "rmp")) < 1e-20);
    assert_string_equal(json_string_value(json_object_get(r.json, "population")), "Cauc");
    http_reply_free(&r);
    /* Without a purpose nothing is read. */
    r = http_call(&c->srv, "GET", "/v1/dna/forensic/S-1", police, NULL, NULL);
    assert_int_equal(r.status, 400);
    http_reply_free(&r);

    /* The stranger's own profile, searched by the CLI against the stored profiles. */
    snprintf(path, sizeof path, "%s/probe.json", c->srv.data);
    json_t *probe = eyni_dna_profile_to_json(&c->people[1]);
    assert_int_equal(json_dump_file(probe, path, 0), 0);
    json_decref(probe);
    char *out = NULL;
    const char *search[] = {"dna", "search",       "--data", c->srv.data, "--probe",
                            path,  "--stringency", "high",   "--json",    NULL};
    assert_int_equal(test_cli(&out, search), 0);
    assert_non_null(strstr(out, stranger));
    free(out);

    /* kill -9 and restart: every stored profile is back. A removal is kept as a status. */
    test_server_stop(&c->srv, 1);
    test_server_start(&c->srv, "dna-http", c->srv.data);
    r = post(c, "/v1/dna/familial", lab,
             json_pack("{s:s, s:s}", "sample_id", "S-1", "population", "Cauc"));
    assert_int_equal(r.status, 200);
    assert_string_equal(top_id(&r), mother);
    http_reply_free(&r);
    char rm[128];
    snprintf(rm, sizeof rm, "/v1/dna/reference/%s/removal", stranger);
    expect(post(c, rm, police, json_pack("{s:s}", "reason", "court order")), 403);
    expect(post(c, rm, lab, json_pack("{s:s}", "reason", "court order")), 200);
    char get[128];
    snprintf(get, sizeof get, "/v1/dna/reference/%s", stranger);
    r = http_call(&c->srv, "GET", get, lab, "check", NULL);
    assert_int_equal(r.status, 404);
    http_reply_free(&r);
    const char *again[] = {"dna", "search", "--data", c->srv.data, "--probe", path, "--json", NULL};
    assert_int_equal(test_cli(NULL, again), 1); /* no hit any more */
    free(mother);
    free(stranger);
    free(clerk);
    free(lab);
    free(police);
    free(border);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(api_roles_cli_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(enrolment_with_dna, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

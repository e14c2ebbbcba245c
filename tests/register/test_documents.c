/* Issuing documents end to end inside the register: blank, number, MRZ, signed chip that
 * passes passive authentication, replacement, status life cycle, invalid-document list. */
#include <sys/stat.h>
#include <time.h>

#include "eyni/mrtd.h"
#include "eyni/pki.h"
#include "reg_fixture.h"
#include "register_int.h"

typedef struct fixture {
    char dir[4096];
    char csca[4200];
    eyni_register *reg;
} fixture;

static void make_pki(const char *dir, char *csca_path)
{
    char path[4300];
    eyni_error err;
    eyni_pki_key *ck, *dk;
    eyni_pki_cert *csca, *ds;
    time_t now = time(NULL);
    eyni_pki_cert_spec cs = {EYNI_PKI_CSCA, "AZ", "test", NULL, "test CSCA", NULL, now - 60,
                             now + 86400 * 3650, NULL, NULL};
    eyni_pki_cert_spec dss = {EYNI_PKI_DS, "AZ", "test", NULL, "test DS", NULL, now - 60,
                              now + 86400 * 3650, "P,I", NULL};
    assert_int_equal(eyni_pki_key_generate("ec-p256", &ck, &err), 0);
    assert_int_equal(eyni_pki_cert_issue(&cs, ck, NULL, NULL, &csca, &err), 0);
    assert_int_equal(eyni_pki_key_generate("ec-p256", &dk, &err), 0);
    assert_int_equal(eyni_pki_cert_issue(&dss, dk, csca, ck, &ds, &err), 0);
    snprintf(path, sizeof path, "%s/keys/ds.key", dir);
    assert_int_equal(eyni_pki_key_save(dk, path, "correct horse battery", &err), 0);
    snprintf(path, sizeof path, "%s/keys/ds.pem", dir);
    assert_int_equal(eyni_pki_cert_save(ds, path, 1, &err), 0);
    snprintf(csca_path, 4200, "%s/keys/csca.pem", dir);
    assert_int_equal(eyni_pki_cert_save(csca, csca_path, 1, &err), 0);
    snprintf(path, sizeof path, "%s/keys/pki.pass", dir);
    assert_int_equal(eyni_file_write_atomic(path, "correct horse battery\n", 22, 0600, &err), 0);
    eyni_pki_key_free(ck);
    eyni_pki_key_free(dk);
    eyni_pki_cert_free(csca);
    eyni_pki_cert_free(ds);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char *dir = eyni_test_tmpdir("docs");
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    free(dir);
    char keys[4200], uri[4200], ds[4200], dsk[4200], pass[4200], chips[4200];
    snprintf(keys, sizeof keys, "%s/keys", f->dir);
    eyni_error err;
    fixture_data_key(keys);
    make_pki(f->dir, f->csca);
    char *store = fixture_store_uri("docs");
    snprintf(uri, sizeof uri, "%s", store);
    free(store);
    snprintf(ds, sizeof ds, "%s/ds.pem", keys);
    snprintf(dsk, sizeof dsk, "%s/ds.key", keys);
    snprintf(pass, sizeof pass, "%s/pki.pass", keys);
    snprintf(chips, sizeof chips, "%s/documents", f->dir);
    eyni_register_opts o = {uri, 2, 0, NULL, NULL, keys, 1, "AZE", chips, ds, dsk, pass};
    if (eyni_register_open(&o, &f->reg, &err))
        fail_msg("%s", err.msg);
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "");
    eyni_actor docs = fixture_actor(EYNI_ROLE_DOCUMENTS, "stock");
    json_t *in = fixture_json("{\"code\":\"BAKU-1\",\"name\":\"Baku office 1\",\"kind\":\"passport\"}");
    json_t *out = NULL;
    assert_int_equal(eyni_register_office_create(f->reg, &admin, in, &out, &err), 0);
    json_decref(in);
    json_decref(out);
    const char *types[] = {"passport", "id_card", "driving_licence"};
    for (int i = 0; i < 3; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"doc_type\":\"%s\",\"first\":\"B%c000001\",\"last\":\"B%c000005\","
                 "\"office\":\"BAKU-1\"}",
                 types[i], 'A' + i, 'A' + i);
        in = fixture_json(body);
        assert_int_equal(eyni_register_blank_receive(f->reg, &docs, in, &out, &err), 0);
        json_decref(in);
        json_decref(out);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    eyni_register_close(f->reg);
    free(f);
    return 0;
}

/* Enrols a person with a real LFW portrait; returns the FIN. */
static void enrol(fixture *f, const char *person_json, const char *photo, char fin[EYNI_FIN_MAX + 1])
{
    unsigned char *img = NULL;
    size_t len = 0;
    eyni_error err;
    if (photo) {
        char *path = eyni_test_path(photo);
        assert_int_equal(eyni_file_read(path, 1 << 20, &img, &len, &err), 0);
        free(path);
    }
    reg_sample s;
    memset(&s, 0, sizeof s);
    snprintf(s.modality, sizeof s.modality, "face");
    s.tpl = (unsigned char *)"face template";
    s.tlen = 13;
    s.img = img;
    s.ilen = len;
    snprintf(s.engine, sizeof s.engine, "test");
    json_t *person = fixture_json(person_json), *result = json_pack("{s:[]}", "candidates");
    reg_enrolment e = {person, &s, photo ? 1 : 0, "unique", NULL, result};
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "enrolment");
    long long id, case_id;
    if (reg_enrolment_record(f->reg, &a, &e, &id, fin, &case_id, &err))
        fail_msg("%s", err.msg);
    json_decref(person);
    json_decref(result);
    free(img);
}

static int issue(fixture *f, const char *fin, const char *type, int replace, json_t **out)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_DOCUMENTS, "issuance");
    json_t *in = json_pack("{s:s, s:s, s:s, s:b}", "fin", fin, "type", type, "office", "BAKU-1",
                           "replace", replace);
    eyni_error err;
    json_t *o = NULL;
    int rc = eyni_register_document_issue(f->reg, &a, in, &o, &err);
    json_decref(in);
    if (out)
        *out = o;
    else
        json_decref(o);
    return rc;
}

static const char *citizen =
    "{\"surname\":\"Məmmədova\",\"given_name\":\"Günay\",\"birth_date\":\"1988-08-08\","
    "\"sex\":\"F\",\"citizenship\":\"AZE\"}";

static void passport_chip_passes_passive_authentication(void **state)
{
    fixture *f = *state;
    char fin[EYNI_FIN_MAX + 1];
    enrol(f, citizen, "lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0001.jpg", fin);
    json_t *doc = NULL;
    assert_int_equal(issue(f, fin, "passport", 0, &doc), 0);
    const char *number = json_string_value(json_object_get(doc, "number"));
    const char *mrz = json_string_value(json_object_get(doc, "mrz"));
    assert_string_equal(number, "C00000001");
    assert_string_equal(json_string_value(json_object_get(doc, "blank_serial")), "BA000001");
    assert_int_equal(strlen(mrz), 89);
    /* Ə is written A; Ü follows the Doc 9303 table (UE). */
    assert_memory_equal(mrz, "P<AZEMAMMADOVA<<GUENAY", 22);
    assert_non_null(strstr(mrz, fin)); /* the FIN is the personal number */
    eyni_mrz parsed;
    eyni_error err;
    assert_int_equal(eyni_mrz_parse(mrz, strlen(mrz), &parsed, &err), 0);
    const char *cafile[] = {f->csca};
    eyni_mrtd_verify_opts vo = {NULL, NULL, cafile, 1, NULL, 0, NULL, 0};
    json_t *report = NULL;
    int passed = 0;
    assert_int_equal(eyni_mrtd_verify_dir(json_string_value(json_object_get(doc, "chip_dir")), &vo,
                                          &report, &passed, &err),
                     0);
    assert_true(passed);
    assert_true(json_is_true(json_object_get(report, "hashes_ok")));
    assert_true(json_is_true(json_object_get(report, "signature_ok")));
    assert_true(json_is_true(json_object_get(report, "chain_ok")));
    json_decref(report);
    /* The blank is personalised with this number. */
    eyni_actor docs = fixture_actor(EYNI_ROLE_DOCUMENTS, "x");
    json_t *blank = NULL;
    assert_int_equal(eyni_register_blank_get(f->reg, &docs, "BA000001", &blank, &err), 0);
    assert_string_equal(json_string_value(json_object_get(blank, "state")), "personalised");
    assert_string_equal(json_string_value(json_object_get(blank, "document_number")), number);
    json_decref(blank);
    json_decref(doc);
}

static void one_valid_document_per_type_unless_replaced(void **state)
{
    fixture *f = *state;
    char fin[EYNI_FIN_MAX + 1];
    enrol(f, citizen, "lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0002.jpg", fin);
    json_t *first = NULL, *second = NULL;
    assert_int_equal(issue(f, fin, "id_card", 0, &first), 0);
    assert_int_equal(issue(f, fin, "id_card", 0, NULL), EYNI_ECONFLICT);
    assert_int_equal(issue(f, fin, "id_card", 1, &second), 0);
    const char *old = json_string_value(json_object_get(first, "number"));
    assert_string_equal(json_string_value(json_object_get(second, "replaced")), old);
    /* The replaced card is on the invalid-document list at once. */
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "check");
    char q[128];
    snprintf(q, sizeof q, "{\"document\":{\"number\":\"%s\",\"issuing_state\":\"AZE\"}}", old);
    json_t *query = fixture_json(q), *hits = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_watch_check(f->reg, &border, query, &hits, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(hits, "count")), 1);
    json_decref(hits);
    json_decref(query);
    /* A residence card is for foreigners. */
    assert_int_equal(issue(f, fin, "residence_card", 0, NULL), EYNI_ECONFLICT);
    json_decref(first);
    json_decref(second);
}

static void status_life_cycle_feeds_the_invalid_list(void **state)
{
    fixture *f = *state;
    char fin[EYNI_FIN_MAX + 1];
    enrol(f, citizen, "lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0003.jpg", fin);
    json_t *doc = NULL, *out = NULL;
    assert_int_equal(issue(f, fin, "passport", 0, &doc), 0);
    const char *number = json_string_value(json_object_get(doc, "number"));
    eyni_actor desk = fixture_actor(EYNI_ROLE_DOCUMENTS, "x");
    eyni_error err;
    assert_int_equal(eyni_register_document_set_status(f->reg, &desk, number, "handed_over",
                                                       "signed for", &out, &err),
                     0);
    json_decref(out);
    assert_int_equal(eyni_register_document_set_status(f->reg, &desk, number, "stolen",
                                                       "police report 12/2026", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "stolen");
    json_decref(out);
    assert_int_equal(eyni_register_document_set_status(f->reg, &desk, number, "handed_over", "x",
                                                       &out, &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_register_document_set_status(f->reg, &desk, number, "destroyed", "x",
                                                       &out, &err),
                     EYNI_EFORMAT);
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "check");
    char q[128];
    snprintf(q, sizeof q, "{\"document\":{\"number\":\"%s\"}}", number);
    json_t *query = fixture_json(q), *hits = NULL;
    assert_int_equal(eyni_register_watch_check(f->reg, &border, query, &hits, &err), 0);
    json_t *hit = json_array_get(json_object_get(hits, "hits"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(hit, "record"), "status")),
                        "stolen");
    json_decref(hits);
    json_decref(query);
    json_decref(doc);
}

static void issuing_needs_a_portrait_and_stock(void **state)
{
    fixture *f = *state;
    char fin[EYNI_FIN_MAX + 1];
    enrol(f, "{\"surname\":\"Rzayev\",\"given_name\":\"Tural\",\"birth_date\":\"1999-09-09\","
             "\"sex\":\"M\",\"citizenship\":\"AZE\"}",
          NULL, fin);
    assert_int_equal(issue(f, fin, "passport", 0, NULL), EYNI_ECONFLICT);
    /* Nothing of the failed attempt stays: the number and blank it would have had are
     * still free, and there are no chip files. */
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/documents/C00000003", f->dir);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
    eyni_actor docs = fixture_actor(EYNI_ROLE_DOCUMENTS, "x");
    json_t *blank = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_blank_get(f->reg, &docs, "BA000003", &blank, &err), 0);
    assert_string_equal(json_string_value(json_object_get(blank, "state")), "in_stock");
    json_decref(blank);
    json_t *dl = NULL;
    assert_int_equal(issue(f, fin, "driving_licence", 0, &dl), 0);
    assert_true(json_is_null(json_object_get(dl, "mrz")));
    json_decref(dl);
    assert_int_equal(issue(f, fin, "seafarer_document", 0, NULL), EYNI_ENOTFOUND);
    assert_int_equal(issue(f, "0000000", "passport", 0, NULL), EYNI_ENOTFOUND);
    assert_int_equal(issue(f, fin, "spaceship", 0, NULL), EYNI_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passport_chip_passes_passive_authentication),
        cmocka_unit_test(one_valid_document_per_type_unless_replaced),
        cmocka_unit_test(status_life_cycle_feeds_the_invalid_list),
        cmocka_unit_test(issuing_needs_a_portrait_and_stock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

#include "reg_fixture.h"

static const char *person =
    "{\"surname\":\"Quliyeva\",\"given_name\":\"Aynur\",\"birth_date\":\"1975-07-07\","
    "\"sex\":\"F\",\"citizenship\":\"AZE\",\"marital_status\":\"widowed\","
    "\"blood_group\":\"O+\",\"eye_colour\":\"green\"}";

static char *make_person(eyni_register *r)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    json_t *in = fixture_json(person), *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_person_create(r, &a, in, &out, &err), 0);
    char *fin = strdup(json_string_value(json_object_get(out, "fin")));
    json_decref(in);
    json_decref(out);
    return fin;
}

static json_t *audit(eyni_register *r, const char *object)
{
    eyni_actor aud = fixture_actor(EYNI_ROLE_AUDITOR, "");
    eyni_audit_query q = {NULL, object, NULL, 0, 1000};
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_audit_list(r, &aud, &q, &out, &err), 0);
    return out;
}

static void roles_decide_operations_and_fields(void **state)
{
    eyni_register *r = fixture_open("acc-roles");
    char *fin = make_person(r);
    eyni_error err;
    json_t *out = NULL;
    eyni_actor border = fixture_actor(EYNI_ROLE_BORDER, "border check");
    assert_int_equal(eyni_register_person_get(r, &border, fin, &out, &err), 0);
    assert_non_null(json_object_get(out, "surname"));
    assert_null(json_object_get(out, "marital_status"));
    assert_null(json_object_get(out, "blood_group"));
    json_decref(out);
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "case 17/2025");
    assert_int_equal(eyni_register_person_get(r, &police, fin, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "marital_status")), "widowed");
    json_decref(out);
    json_t *in = fixture_json(person);
    assert_int_equal(eyni_register_person_create(r, &border, in, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_register_person_create(r, &police, in, &out, &err), EYNI_EPERM);
    json_decref(in);
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "curiosity");
    eyni_actor auditor = fixture_actor(EYNI_ROLE_AUDITOR, "curiosity");
    assert_int_equal(eyni_register_person_get(r, &admin, fin, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_register_person_get(r, &auditor, fin, &out, &err), EYNI_EPERM);
    assert_non_null(strstr(err.msg, "auditor"));
    /* Personal data needs a stated purpose. */
    eyni_actor nopurpose = fixture_actor(EYNI_ROLE_POLICE, "");
    assert_int_equal(eyni_register_person_get(r, &nopurpose, fin, &out, &err), EYNI_EINVAL);
    free(fin);
    eyni_register_close(r);
}

static void every_access_and_refusal_is_audited(void **state)
{
    eyni_register *r = fixture_open("acc-audit");
    char *fin = make_person(r);
    eyni_error err;
    json_t *out = NULL;
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "case 17/2025");
    assert_int_equal(eyni_register_person_get(r, &police, fin, &out, &err), 0);
    json_decref(out);
    eyni_actor auditor = fixture_actor(EYNI_ROLE_AUDITOR, "");
    assert_int_equal(eyni_register_person_get(r, &auditor, fin, &out, &err), EYNI_EPERM);
    json_t *log = audit(r, fin);
    json_t *e = json_object_get(log, "entries");
    assert_int_equal(json_array_size(e), 3);
    json_t *e0 = json_array_get(e, 0), *e1 = json_array_get(e, 1), *e2 = json_array_get(e, 2);
    assert_string_equal(json_string_value(json_object_get(e0, "action")), "person.create");
    assert_string_equal(json_string_value(json_object_get(e1, "action")), "person.read");
    assert_string_equal(json_string_value(json_object_get(e1, "actor")), "test-police");
    assert_string_equal(json_string_value(json_object_get(e1, "purpose")), "case 17/2025");
    assert_string_equal(json_string_value(json_object_get(e1, "outcome")), "ok");
    assert_string_equal(json_string_value(json_object_get(e2, "outcome")), "denied");
    json_decref(log);
    free(fin);
    eyni_register_close(r);
}

static void keys_authenticate_until_revoked(void **state)
{
    eyni_register *r = fixture_open("acc-keys");
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "");
    char token[EYNI_KEY_TOKEN_MAX];
    json_t *info = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_key_create(r, &admin, "DMX", "border", "checkpoint 3", token,
                                              &info, &err),
                     0);
    char id[32];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(info, "id")));
    json_decref(info);
    eyni_actor who;
    assert_int_equal(eyni_register_authenticate(r, token, "127.0.0.1", &who, &err), 0);
    assert_int_equal(who.role, EYNI_ROLE_BORDER);
    assert_string_equal(who.agency, "DMX");
    assert_string_equal(who.id, id);
    char wrong[EYNI_KEY_TOKEN_MAX];
    snprintf(wrong, sizeof wrong, "%s", token);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    assert_int_equal(eyni_register_authenticate(r, wrong, "x", &who, &err), EYNI_EAUTH);
    assert_int_equal(eyni_register_authenticate(r, "garbage", "x", &who, &err), EYNI_EAUTH);
    assert_int_equal(eyni_register_authenticate(r, NULL, "x", &who, &err), EYNI_EAUTH);
    assert_int_equal(eyni_register_key_revoke(r, &admin, id, &err), 0);
    assert_int_equal(eyni_register_authenticate(r, token, "x", &who, &err), EYNI_EAUTH);
    assert_int_equal(eyni_register_key_revoke(r, &admin, id, &err), EYNI_ENOTFOUND);
    /* Bad agency or role codes, and non-admins, cannot create keys. */
    assert_int_equal(eyni_register_key_create(r, &admin, "dmx lower", "border", NULL, token,
                                              &info, &err),
                     EYNI_EFORMAT);
    assert_int_equal(eyni_register_key_create(r, &admin, "DMX", "operator", NULL, token, &info,
                                              &err),
                     EYNI_EFORMAT);
    eyni_actor reg = fixture_actor(EYNI_ROLE_REGISTRAR, "x");
    assert_int_equal(eyni_register_key_create(r, &reg, "DMX", "police", NULL, token, &info, &err),
                     EYNI_EPERM);
    json_t *list = NULL;
    assert_int_equal(eyni_register_key_list(r, &admin, &list, &err), 0);
    json_t *k = json_array_get(json_object_get(list, "keys"), 0);
    assert_non_null(json_object_get(k, "revoked_at"));
    assert_null(json_object_get(k, "secret_hash"));
    json_decref(list);
    eyni_register_close(r);
}

static void audit_chain_detects_tampering(void **state)
{
    eyni_register *r = fixture_open("acc-chain");
    for (int i = 0; i < 3; i++)
        free(make_person(r));
    eyni_actor aud = fixture_actor(EYNI_ROLE_AUDITOR, "");
    json_t *v = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_audit_verify(r, &aud, &v, &err), 0);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_int_equal(json_integer_value(json_object_get(v, "entries")), 3);
    json_decref(v);
    /* The database refuses edits of the log... */
    eyni_store *s = eyni_register_store(r);
    eyni_db *db;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "UPDATE audit SET actor = 'x' WHERE id = 2", &err), 0);
    assert_int_not_equal(eyni_db_exec(db, "DELETE FROM audit WHERE id = 2", &err), 0);
    /* ...and someone who removes that guard is still caught by the chain. */
    assert_int_equal(eyni_db_exec(db,
                                  fixture_on_pg() ? "DROP TRIGGER audit_keep_update ON audit"
                                                  : "DROP TRIGGER audit_keep_update",
                                  &err),
                     0);
    assert_int_equal(eyni_db_exec(db, "UPDATE audit SET actor = 'x' WHERE id = 2", &err), 0);
    eyni_store_release(s, db);
    assert_int_equal(eyni_register_audit_verify(r, &aud, &v, &err), 0);
    assert_true(json_is_false(json_object_get(v, "ok")));
    assert_int_equal(json_integer_value(json_object_get(v, "first_bad_id")), 2);
    json_decref(v);
    eyni_register_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles_decide_operations_and_fields),
        cmocka_unit_test(every_access_and_refusal_is_audited),
        cmocka_unit_test(keys_authenticate_until_revoked),
        cmocka_unit_test(audit_chain_detects_tampering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

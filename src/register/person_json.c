/* Validation of person fields arriving from outside, and the per-role view of a record. */
#include <string.h>

#include "register_int.h"

static const char *const person_fields[] = {
    "surname",     "given_name",     "patronymic",  "birth_date", "birth_place", "sex",
    "citizenship", "marital_status", "blood_group", "eye_colour", "height_cm",   "residence",
    "reason",      "version",        NULL};

/* A folded name holds a letter when it has a-z or a character of another script. */
static int has_letter(const char *folded)
{
    for (const unsigned char *p = (const unsigned char *)folded; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || *p >= 0x80)
            return 1;
    return 0;
}

static int check_name(const json_t *in, const char *key, int required, eyni_error *err)
{
    const char *s;
    int rc = eyni_json_get_string(in, key, EYNI_NAME_MAX, &s, err);
    if (rc)
        return rc;
    if (!s) {
        if (required)
            return eyni_error_set(err, EYNI_EFORMAT, "field '%s' is required", key);
        return 0;
    }
    char folded[4 * EYNI_NAME_MAX];
    if (eyni_text_fold(s, folded, sizeof folded, err) || !has_letter(folded) || strchr(s, '\n') ||
        strchr(s, '\t'))
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' must hold a name with letters", key);
    return 0;
}

static int check_text(const json_t *in, const char *key, size_t max, eyni_error *err)
{
    const char *s;
    int rc = eyni_json_get_string(in, key, max, &s, err);
    if (rc == 0 && s && !s[0])
        rc = eyni_error_set(err, EYNI_EFORMAT, "field '%s' is empty", key);
    return rc;
}

static int check_code(const json_t *in, const char *key, int (*valid)(const char *),
                      const char *expect, eyni_error *err)
{
    const char *s;
    int rc = eyni_json_get_string(in, key, 32, &s, err);
    if (rc == 0 && s && !valid(s))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field '%s' = '%.32s' is not %s", key, s, expect);
    return rc;
}

static int past_date(const char *s, const char *key, eyni_error *err)
{
    int rc = eyni_date_parse(s, NULL, NULL, NULL, err);
    if (rc)
        return eyni_error_prefix(err, "field '%s': ", key);
    char now[32];
    eyni_time_now_iso(now);
    if (strncmp(s, now, 10) > 0)
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' = '%s' is in the future", key, s);
    return 0;
}

static int sex_valid(const char *s)
{
    return strcmp(s, "M") == 0 || strcmp(s, "F") == 0 || strcmp(s, "X") == 0;
}

static int check_residence(const json_t *in, eyni_error *err)
{
    const json_t *r = json_object_get(in, "residence");
    if (!r || json_is_null(r))
        return 0;
    if (!json_is_object(r))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'residence' must be an object");
    static const char *const keys[] = {"address", "since", NULL};
    int rc = eyni_json_check_keys(r, keys, err);
    const char *addr = NULL, *since = NULL;
    if (rc == 0)
        rc = eyni_json_get_string(r, "address", EYNI_TEXT_MAX, &addr, err);
    if (rc == 0)
        rc = eyni_json_get_string(r, "since", 10, &since, err);
    if (rc == 0 && (!addr || !addr[0] || !since))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'residence' needs 'address' and 'since'");
    if (rc == 0)
        rc = past_date(since, "residence.since", err);
    return rc;
}

static int check_dates_and_numbers(const json_t *in, eyni_error *err)
{
    const char *bd;
    int rc = eyni_json_get_string(in, "birth_date", 10, &bd, err);
    if (rc == 0 && bd)
        rc = past_date(bd, "birth_date", err);
    const json_t *h = json_object_get(in, "height_cm");
    if (rc == 0 && h && !json_is_null(h) &&
        (!json_is_integer(h) || json_integer_value(h) < 30 || json_integer_value(h) > 260))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'height_cm' must be an integer 30..260");
    const json_t *v = json_object_get(in, "version");
    if (rc == 0 && v && !json_is_integer(v))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'version' must be an integer");
    return rc;
}

/* Fields that a record cannot lose once it has them. */
static int required_not_cleared(const json_t *in, eyni_error *err)
{
    static const char *const req[] = {"surname", "given_name", "birth_date", "sex", NULL};
    for (int i = 0; req[i]; i++) {
        const json_t *v = json_object_get(in, req[i]);
        if (v && json_is_null(v))
            return eyni_error_set(err, EYNI_EFORMAT, "field '%s' cannot be cleared", req[i]);
    }
    return 0;
}

int reg_person_validate(const json_t *in, int creating, eyni_error *err)
{
    if (!json_is_object(in))
        return eyni_error_set(err, EYNI_EFORMAT, "person must be a JSON object");
    int rc = eyni_json_check_keys(in, person_fields, err);
    if (rc == 0 && creating && json_object_get(in, "version"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'version' is set by the register");
    if (rc == 0)
        rc = required_not_cleared(in, err);
    if (rc == 0)
        rc = check_name(in, "surname", creating, err);
    if (rc == 0)
        rc = check_name(in, "given_name", creating, err);
    if (rc == 0)
        rc = check_name(in, "patronymic", 0, err);
    if (rc == 0 && creating && !json_object_get(in, "birth_date"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'birth_date' is required");
    if (rc == 0 && creating && !json_object_get(in, "sex"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'sex' is required");
    if (rc == 0)
        rc = check_dates_and_numbers(in, err);
    if (rc == 0)
        rc = check_code(in, "sex", sex_valid, "M, F or X", err);
    if (rc == 0)
        rc = check_code(in, "citizenship", reg_country_valid, "an ISO 3166-1 alpha-3 code", err);
    if (rc == 0)
        rc = check_code(in, "marital_status", reg_marital_valid,
                        "single, married, divorced or widowed", err);
    if (rc == 0)
        rc = check_code(in, "blood_group", reg_blood_valid, "a blood group like A+ or O-", err);
    if (rc == 0)
        rc = check_code(in, "eye_colour", reg_eye_valid, "a known eye colour", err);
    if (rc == 0)
        rc = check_text(in, "birth_place", EYNI_TEXT_MAX, err);
    if (rc == 0)
        rc = check_text(in, "reason", EYNI_TEXT_MAX, err);
    if (rc == 0)
        rc = check_residence(in, err);
    return rc;
}

/* Border officers see who the person is, not their private circumstances. */
static const char *const border_fields[] = {
    "fin",         "version",    "surname",   "given_name", "patronymic", "birth_date",
    "birth_place", "sex",        "citizenship", "eye_colour", "height_cm", "photo_ref",
    "status",      NULL};

json_t *reg_person_view(const json_t *record, eyni_role role)
{
    if (role != EYNI_ROLE_BORDER)
        return json_deep_copy(record);
    json_t *v = json_object();
    for (int i = 0; border_fields[i]; i++) {
        json_t *f = json_object_get(record, border_fields[i]);
        if (f)
            json_object_set(v, border_fields[i], f);
    }
    return v;
}

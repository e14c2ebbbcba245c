/* /v1/border/checks and /v1/border/crossings. The chip travels as {"EF_SOD.bin": base64,
 * "Datagroup1.bin": base64, ...}; it is written to a private temporary folder for passive
 * authentication and removed after the check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/border.h"
#include "server_int.h"

#define CHIP_FILES 20

static int safe_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 32 || n[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= 'a' && n[i] <= 'z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '.'))
            return 0;
    return 1;
}

/* Writes the chip files into dir (made here); the file names are checked so that no
 * request can write outside it. */
static int write_chip(const json_t *chip, char *dir, size_t cap, eyni_error *err)
{
    if (!json_is_object(chip) || json_object_size(chip) > CHIP_FILES)
        return eyni_error_set(err, EYNI_EFORMAT, "'chip' must map up to %d file names to base64",
                              CHIP_FILES);
    snprintf(dir, cap, "/tmp/eyni-chip-XXXXXX");
    if (!mkdtemp(dir))
        return eyni_error_set(err, EYNI_EIO, "cannot make a temporary folder for the chip");
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)chip, name, v)
    {
        const char *b64 = json_string_value(v);
        unsigned char *bytes = NULL;
        size_t n = 0;
        char path[4200];
        if (!safe_name(name) || !b64)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "chip file '%.32s' is not a plain file name "
                                  "with base64 content",
                                  name);
        int rc = eyni_base64_decode(b64, strlen(b64), &bytes, &n, err);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (rc == 0)
            rc = eyni_file_write_atomic(path, bytes, n, 0600, err);
        free(bytes);
        if (rc)
            return rc;
    }
    return 0;
}

static void remove_chip(const char *dir)
{
    char cmd[4200];
    if (!dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "eynid: could not remove %s\n", dir);
}

static int decode_b64(const json_t *v, unsigned char **out, size_t *len, const char *what,
                      eyni_error *err)
{
    const char *s = json_string_value(v);
    if (!s)
        return eyni_error_set(err, EYNI_EFORMAT, "'%s' must be base64 text", what);
    return eyni_base64_decode(s, strlen(s), out, len, err);
}

static int check_any(srv_request *rq, json_t **out, int field, eyni_error *err)
{
    static const char *const keys[] = {"mrz",        "chip",      "face",       "fingers", "plate",
                                       "checkpoint", "direction", "request_id", NULL};
    json_t *in = NULL;
    eyni_border_request r;
    memset(&r, 0, sizeof r);
    unsigned char *face = NULL, *fbuf[10] = {0};
    eyni_sample_in fingers[10];
    char dir[64] = "";
    int rc = rq->identity ? srv_body_json(rq, &in, err)
                          : eyni_error_set(err, EYNI_EMODEL, "biometric services are not loaded");
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0) {
        r.mrz = json_string_value(json_object_get(in, "mrz"));
        r.plate = json_string_value(json_object_get(in, "plate"));
        r.checkpoint = json_string_value(json_object_get(in, "checkpoint"));
        r.direction = json_string_value(json_object_get(in, "direction"));
        r.request_id = json_string_value(json_object_get(in, "request_id"));
    }
    if (rc == 0 && json_object_get(in, "face"))
        rc = decode_b64(json_object_get(in, "face"), &face, &r.face_len, "face", err);
    r.face = face;
    const json_t *fl = in ? json_object_get(in, "fingers") : NULL;
    if (rc == 0 && fl && (!json_is_array(fl) || json_array_size(fl) > 10))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'fingers' must list up to 10 fingers");
    for (size_t i = 0; rc == 0 && i < json_array_size(fl); i++) {
        const json_t *f = json_array_get(fl, i);
        rc = decode_b64(json_object_get(f, "image"), &fbuf[i], &fingers[i].len, "fingers[].image",
                        err);
        fingers[i].modality = "finger";
        fingers[i].position = (int)json_integer_value(json_object_get(f, "position"));
        fingers[i].data = fbuf[i];
        r.nfingers = (int)i + 1;
    }
    r.fingers = fingers;
    if (rc == 0 && json_object_get(in, "chip")) {
        rc = write_chip(json_object_get(in, "chip"), dir, sizeof dir, err);
        r.chip_dir = dir;
    }
    if (rc == 0)
        rc = field ? eyni_border_field_check(rq->identity, &rq->actor, &r, out, err)
                   : eyni_border_check(rq->identity, &rq->actor, &r, out, err);
    remove_chip(dir);
    free(face);
    for (int i = 0; i < 10; i++)
        free(fbuf[i]);
    json_decref(in);
    return rc;
}

static int check(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return check_any(rq, out, 0, err);
}

static int field_check(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return check_any(rq, out, 1, err);
}

static int flag(srv_request *rq, const char *name)
{
    const char *v = srv_query(rq, name);
    return v && !strcmp(v, "true");
}

static int crossings(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long limit;
    int rc = srv_query_int(rq, "limit", 100, 1, 1000, &limit, err);
    json_t *q = json_pack("{s:s?, s:s?, s:s?, s:s?, s:I, s:b, s:b, s:b}", "fin",
                          srv_query(rq, "fin"), "document", srv_query(rq, "document"), "checkpoint",
                          srv_query(rq, "checkpoint"), "day", srv_query(rq, "day"), "limit",
                          (json_int_t)limit, "in_country", flag(rq, "in_country"), "overstays",
                          flag(rq, "overstays"), "counts", flag(rq, "counts"));
    if (rc == 0)
        rc = eyni_border_crossings(rq->reg, &rq->actor, q, out, err);
    json_decref(q);
    return rc;
}

static int visa_issue(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in = NULL;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_border_visa_issue(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    if (rc == 0)
        *status = 201;
    return rc;
}

static int visa_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_border_visas(rq->reg, &rq->actor, srv_query(rq, "passport"),
                             srv_query(rq, "nationality"), srv_query(rq, "number"), out, err);
}

static int visa_revoke(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in = NULL;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_border_visa_revoke(rq->reg, &rq->actor, rq->params[0],
                                     json_string_value(json_object_get(in, "reason")), err);
    json_decref(in);
    if (rc == 0)
        *out = json_pack("{s:s, s:s}", "number", rq->params[0], "status", "revoked");
    return rc;
}

static int residence_add(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in = NULL;
    int rc = srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_border_residence_register(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    if (rc == 0)
        *status = 201;
    return rc;
}

static int residence_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_border_residences(rq->reg, &rq->actor, srv_query(rq, "fin"),
                                  srv_query(rq, "document"), out, err);
}

const srv_route srv_routes_border[] = {
    {"POST", "/v1/border/checks", check, 1},
    {"POST", "/v1/field/checks", field_check, 1},
    {"GET", "/v1/border/crossings", crossings, 1},
    {"POST", "/v1/visas", visa_issue, 1},
    {"GET", "/v1/visas", visa_list, 1},
    {"POST", "/v1/visas/{}/revoke", visa_revoke, 1},
    {"POST", "/v1/residences", residence_add, 1},
    {"GET", "/v1/residences", residence_list, 1},
    {NULL, NULL, NULL, 0},
};

/* Health, API keys and the audit log. */
#include "server_int.h"

static int health(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    *out = json_pack("{s:s, s:s}", "status", "ok", "store",
                     eyni_store_engine(eyni_register_store(rq->reg)));
    return 0;
}

/* Ready to take traffic: the store answers with the schema this program knows and the
 * biometric galleries are loaded. A load balancer sends requests only to ready nodes. */
static int ready(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    eyni_error why;
    int version = 0;
    const char *reason = NULL;
    if (eyni_store_version(eyni_register_store(rq->reg), &version, &why))
        reason = why.msg;
    else if (!rq->identity)
        reason = "identity service not loaded";
    *status = reason ? 503 : 200;
    *out = json_pack("{s:b, s:s, s:i}", "ready", !reason, "store",
                     eyni_store_engine(eyni_register_store(rq->reg)), "schema", version);
    if (reason)
        json_object_set_new(*out, "reason", json_string(reason));
    if (rq->identity)
        json_object_set_new(*out, "gallery", eyni_identity_stats(rq->identity));
    return 0;
}

static int key_create(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    static const char *const keys[] = {"agency", "role", "label", NULL};
    const char *agency = NULL, *role = NULL, *label = NULL;
    rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "agency", 32, &agency, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "role", 32, &role, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "label", 100, &label, err);
    char token[EYNI_KEY_TOKEN_MAX];
    json_t *info = NULL;
    if (rc == 0)
        rc = eyni_register_key_create(rq->reg, &rq->actor, agency, role, label, token, &info, err);
    json_decref(in);
    if (rc)
        return rc;
    *out = json_pack("{s:o, s:s}", "key", info, "token", token);
    *status = 201;
    return 0;
}

static int key_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_key_list(rq->reg, &rq->actor, out, err);
}

static int key_revoke(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    int rc = eyni_register_key_revoke(rq->reg, &rq->actor, rq->params[0], err);
    if (rc == 0)
        *out = json_pack("{s:s, s:b}", "id", rq->params[0], "revoked", 1);
    return rc;
}

static int audit_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long after, limit;
    int rc = srv_query_int(rq, "after", 0, 0, (long long)1 << 62, &after, err);
    if (rc == 0)
        rc = srv_query_int(rq, "limit", 100, 1, 1000, &limit, err);
    if (rc)
        return rc;
    eyni_audit_query q = {srv_query(rq, "actor"), srv_query(rq, "object"),
                          srv_query(rq, "action"), after, (int)limit};
    return eyni_register_audit_list(rq->reg, &rq->actor, &q, out, err);
}

static int audit_verify(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_audit_verify(rq->reg, &rq->actor, out, err);
}

const srv_route srv_routes_admin[] = {
    {"GET", "/health", health, 0},
    {"GET", "/ready", ready, 0},
    {"POST", "/v1/keys", key_create, 1},
    {"GET", "/v1/keys", key_list, 1},
    {"DELETE", "/v1/keys/{}", key_revoke, 1},
    {"GET", "/v1/audit", audit_list, 1},
    {"GET", "/v1/audit/verify", audit_verify, 1},
    {NULL, NULL, NULL, 0},
};

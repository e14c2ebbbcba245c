/* /v1/offices, /v1/blanks and /v1/documents: offices, blank stock and issued documents. */
#include <stdlib.h>

#include <string.h>

#include "eyni/border.h"
#include "server_int.h"

typedef int (*json_op)(eyni_register *, const eyni_actor *, const json_t *, json_t **,
                       eyni_error *);

static int with_body(srv_request *rq, json_op fn, json_t **out, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    rc = fn(rq->reg, &rq->actor, in, out, err);
    json_decref(in);
    return rc;
}

static int office_create(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    *status = 201;
    return with_body(rq, eyni_register_office_create, out, err);
}

static int office_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_office_list(rq->reg, &rq->actor, out, err);
}

static int batch_receive(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    *status = 201;
    return with_body(rq, eyni_register_blank_receive, out, err);
}

static int transfer_send(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    *status = 201;
    return with_body(rq, eyni_register_blank_send, out, err);
}

static int transfer_accept(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    char *end;
    long long id = strtoll(rq->params[0], &end, 10);
    if (*end || id <= 0)
        return eyni_error_set(err, EYNI_EFORMAT, "transfer id must be a positive number");
    json_t *in = NULL;
    int rc = rq->body_len ? srv_body_json(rq, &in, err) : 0;
    if (rc == 0)
        rc = eyni_register_blank_accept(rq->reg, &rq->actor, id, in, out, err);
    json_decref(in);
    return rc;
}

static int blank_get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_blank_get(rq->reg, &rq->actor, rq->params[0], out, err);
}

static int blank_state(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    static const char *const keys[] = {"state", "reason", NULL};
    const char *state = NULL, *reason = NULL;
    rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "state", 32, &state, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0)
        rc = eyni_register_blank_set_state(rq->reg, &rq->actor, rq->params[0], state, reason, out,
                                           err);
    json_decref(in);
    return rc;
}

static int reconcile(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long days;
    int rc = srv_query_int(rq, "overdue_days", 7, 1, 3650, &days, err);
    if (rc)
        return rc;
    return eyni_register_blank_reconcile(rq->reg, &rq->actor, srv_query(rq, "office"),
                                         srv_query(rq, "from"), srv_query(rq, "to"), (int)days,
                                         out, err);
}

static int doc_types(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    *out = eyni_register_doctypes_json();
    return 0;
}

/* With the applicant's live "face" and "fingers" the register is checked before issuing:
 * 201 with the document, or 202 with the adjudication case that now holds the application
 * (eyni_document_apply). "case" re-submits an application an adjudicator cleared. */
static int doc_issue(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in, *fields = NULL;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    eyni_application_live live;
    long long case_id = 0;
    rc = eyni_document_application_read(in, &fields, &live, &case_id, err);
    if (rc == 0 && live.n && !rq->identity)
        rc = eyni_error_set(err, EYNI_EMODEL, "biometric services are not loaded");
    if (rc == 0)
        rc = live.n ? eyni_document_apply(rq->identity, &rq->actor, fields, live.v, live.n, case_id,
                                          out, err)
                    : eyni_register_document_issue(rq->reg, &rq->actor, fields, out, err);
    const char *st = rc == 0 ? json_string_value(json_object_get(*out, "status")) : NULL;
    *status = st && !strcmp(st, "possible") ? 202 : 201;
    eyni_application_live_free(&live);
    json_decref(fields);
    json_decref(in);
    return rc;
}

static int doc_get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    return eyni_register_document_get(rq->reg, &rq->actor, rq->params[0], out, err);
}

static int doc_status(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *in;
    int rc = srv_body_json(rq, &in, err);
    if (rc)
        return rc;
    static const char *const keys[] = {"status", "reason", NULL};
    const char *st = NULL, *reason = NULL;
    rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "status", 32, &st, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0)
        rc = eyni_register_document_set_status(rq->reg, &rq->actor, rq->params[0], st, reason,
                                               out, err);
    json_decref(in);
    return rc;
}

const srv_route srv_routes_blank[] = {
    {"GET", "/v1/document-types", doc_types, 1},
    {"POST", "/v1/documents", doc_issue, 1},
    {"GET", "/v1/documents/{}", doc_get, 1},
    {"POST", "/v1/documents/{}/status", doc_status, 1},
    {"POST", "/v1/offices", office_create, 1},
    {"GET", "/v1/offices", office_list, 1},
    {"POST", "/v1/blanks/batches", batch_receive, 1},
    {"POST", "/v1/blanks/transfers", transfer_send, 1},
    {"POST", "/v1/blanks/transfers/{}/accept", transfer_accept, 1},
    {"GET", "/v1/blanks/reconciliation", reconcile, 1},
    {"GET", "/v1/blanks/{}", blank_get, 1},
    {"POST", "/v1/blanks/{}/state", blank_state, 1},
    {NULL, NULL, NULL, 0},
};

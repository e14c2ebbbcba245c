/* /v1/whoami: what the console needs to know about the key it signed in with. */
#include "server_int.h"

/* The key's role, agency and the operations its role may perform (the console shows only
 * those screens). Signing in is recorded in the audit log. */
static int whoami(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    json_t *actions = json_array();
    for (int op = 0; op < EYNI_OP_COUNT; op++)
        if (eyni_role_allows(rq->actor.role, (eyni_op)op))
            json_array_append_new(actions, json_string(eyni_op_name((eyni_op)op)));
    int rc = eyni_register_audit_event(rq->reg, &rq->actor, "session.whoami", rq->actor.id, "ok",
                                       NULL, err);
    if (rc) {
        json_decref(actions);
        return rc;
    }
    *out = json_pack("{s:s, s:s, s:s, s:o}", "id", rq->actor.id, "agency", rq->actor.agency, "role",
                     eyni_role_name(rq->actor.role), "actions", actions);
    return 0;
}

const srv_route srv_routes_console[] = {
    {"GET", "/v1/whoami", whoami, 1},
    {NULL, NULL, NULL, 0},
};

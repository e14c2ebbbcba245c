/* Opening the register, roles and their powers, and the transaction/authorisation glue
 * every operation goes through. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/pki.h"
#include "register_int.h"

static const char default_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* The document signer's certificate and key, the key unlocked with the passphrase file. */
static int load_signer(eyni_register *r, const eyni_register_opts *o, eyni_error *err)
{
    unsigned char *pass = NULL;
    size_t n = 0;
    int rc = o->ds_pass_file ? eyni_file_read(o->ds_pass_file, 1024, &pass, &n, err)
                             : eyni_error_set(err, EYNI_EINVAL, "pki.passphrase_file is not set");
    if (rc == 0) {
        pass[strcspn((char *)pass, "\r\n")] = '\0';
        rc = eyni_pki_key_load(o->ds_key, (const char *)pass, &r->ds_key, err);
        memset(pass, 0, n);
    }
    free(pass);
    if (rc == 0)
        rc = eyni_pki_cert_load(o->ds_cert, &r->ds_cert, err);
    return rc;
}

int eyni_register_open(const eyni_register_opts *o, eyni_register **out, eyni_error *err)
{
    if (!o || !o->store_uri)
        return eyni_error_set(err, EYNI_EINVAL, "register: no store configured");
    eyni_register *r = calloc(1, sizeof *r);
    if (!r)
        return eyni_error_set(err, EYNI_ENOMEM, "register: out of memory");
    r->log = o->log;
    r->fin_length = o->fin_length ? o->fin_length : 7;
    snprintf(r->fin_alphabet, sizeof r->fin_alphabet, "%s",
             o->fin_alphabet ? o->fin_alphabet : default_alphabet);
    int rc = 0;
    size_t alen = strlen(r->fin_alphabet);
    if (r->fin_length < 5 || r->fin_length > EYNI_FIN_MAX || alen < 10)
        rc = eyni_error_set(err, EYNI_EINVAL, "register: FIN format needs 5..%d characters "
                            "over an alphabet of at least 10", EYNI_FIN_MAX);
    for (size_t i = 0; rc == 0 && i < alen; i++)
        if (!((r->fin_alphabet[i] >= '0' && r->fin_alphabet[i] <= '9') ||
              (r->fin_alphabet[i] >= 'A' && r->fin_alphabet[i] <= 'Z')))
            rc = eyni_error_set(err, EYNI_EINVAL, "register: FIN alphabet may hold only 0-9 A-Z");
    snprintf(r->country, sizeof r->country, "%s", o->country ? o->country : "AZE");
    snprintf(r->chip_root, sizeof r->chip_root, "%s", o->chip_root ? o->chip_root : "documents");
    if (rc == 0 && !reg_country_valid(r->country))
        rc = eyni_error_set(err, EYNI_EINVAL, "country.code '%s' is not ISO 3166-1 alpha-3",
                            r->country);
    if (rc == 0 && o->ds_cert && o->ds_key)
        rc = load_signer(r, o, err);
    eyni_store_opts so = {o->pool_size, 0};
    if (rc == 0 && o->key_dir)
        rc = eyni_keyring_load(o->key_dir, o->key_id ? o->key_id : 1, &r->keys, err);
    if (rc == 0)
        rc = eyni_store_open(o->store_uri, &so, &r->store, err);
    int n = 0;
    const eyni_migration *m = reg_migrations(&n);
    if (rc == 0)
        rc = eyni_store_migrate(r->store, m, n, err);
    if (rc) {
        eyni_register_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int eyni_register_open_config(const eyni_config *cfg, eyni_log *log, eyni_register **out,
                              eyni_error *err)
{
    long long pool, finlen, key_id;
    int rc = eyni_config_get_int(cfg, "store.pool", 8, 2, EYNI_STORE_MAX_POOL, &pool, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "fin.length", 7, 5, EYNI_FIN_MAX, &finlen, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "crypto.key_id", 1, 1, 1000000, &key_id, err);
    if (rc)
        return rc;
    eyni_register_opts o = {eyni_config_get(cfg, "store.uri", NULL), (int)pool, (int)finlen,
                            eyni_config_get(cfg, "fin.alphabet", NULL), log,
                            eyni_config_get(cfg, "crypto.keydir", NULL), (unsigned)key_id,
                            eyni_config_get(cfg, "country.code", NULL),
                            eyni_config_get(cfg, "documents.dir", NULL),
                            eyni_config_get(cfg, "pki.ds_cert", NULL),
                            eyni_config_get(cfg, "pki.ds_key", NULL),
                            eyni_config_get(cfg, "pki.passphrase_file", NULL)};
    return eyni_register_open(&o, out, err);
}

void eyni_register_close(eyni_register *r)
{
    if (!r)
        return;
    eyni_store_close(r->store);
    eyni_keyring_free(r->keys);
    eyni_pki_cert_free(r->ds_cert);
    eyni_pki_key_free(r->ds_key);
    free(r);
}

eyni_store *eyni_register_store(eyni_register *r)
{
    return r->store;
}

static const char *const role_names[] = {"none",    "admin",       "registrar",
                                         "border",  "police",      "auditor",
                                         "adjudicator", "documents", "forensic",
                                         "node",    "operator"};

const char *eyni_role_name(eyni_role role)
{
    return role >= 0 && role <= EYNI_ROLE_OPERATOR ? role_names[role] : "none";
}

eyni_role eyni_role_parse(const char *name)
{
    for (int i = 1; name && i <= EYNI_ROLE_OPERATOR; i++)
        if (strcmp(name, role_names[i]) == 0)
            return (eyni_role)i;
    return EYNI_ROLE_NONE;
}

/* Powers by role (bit per role). Personal data stays with the roles whose legal duties
 * need it; administrators and auditors see keys and audit, not persons. */
#define R(x) (1u << EYNI_ROLE_##x)
static const unsigned powers[EYNI_OP_COUNT] = {
    [EYNI_OP_PERSON_CREATE] = R(REGISTRAR) | R(OPERATOR),
    [EYNI_OP_PERSON_READ] = R(REGISTRAR) | R(BORDER) | R(POLICE) | R(ADJUDICATOR) | R(OPERATOR),
    [EYNI_OP_PERSON_UPDATE] = R(REGISTRAR) | R(OPERATOR),
    [EYNI_OP_PERSON_SEARCH] = R(REGISTRAR) | R(BORDER) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_PERSON_HISTORY] = R(REGISTRAR) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_KEY_MANAGE] = R(ADMIN) | R(OPERATOR),
    [EYNI_OP_AUDIT_READ] = R(ADMIN) | R(AUDITOR) | R(OPERATOR),
    [EYNI_OP_OFFICE_MANAGE] = R(ADMIN) | R(OPERATOR),
    [EYNI_OP_BLANK_MANAGE] = R(DOCUMENTS) | R(OPERATOR),
    [EYNI_OP_BLANK_READ] = R(DOCUMENTS) | R(AUDITOR) | R(OPERATOR),
    [EYNI_OP_WATCH_MANAGE] = R(POLICE) | R(OPERATOR),
    [EYNI_OP_WATCH_READ] = R(POLICE) | R(BORDER) | R(OPERATOR),
    [EYNI_OP_BAN_MANAGE] = R(POLICE) | R(OPERATOR),
    [EYNI_OP_BAN_READ] = R(POLICE) | R(BORDER) | R(OPERATOR),
    [EYNI_OP_ENROL] = R(REGISTRAR) | R(DOCUMENTS) | R(OPERATOR),
    [EYNI_OP_MATCH] = R(REGISTRAR) | R(BORDER) | R(POLICE) | R(DOCUMENTS) | R(OPERATOR),
    [EYNI_OP_CASE_READ] = R(ADJUDICATOR) | R(REGISTRAR) | R(AUDITOR) | R(OPERATOR),
    [EYNI_OP_CASE_DECIDE] = R(ADJUDICATOR) | R(OPERATOR),
    [EYNI_OP_DOC_ISSUE] = R(DOCUMENTS) | R(OPERATOR),
    [EYNI_OP_DOC_STATUS] = R(DOCUMENTS) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_DOC_READ] = R(DOCUMENTS) | R(BORDER) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_BORDER_CHECK] = R(BORDER) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_CROSSING_READ] = R(BORDER) | R(POLICE) | R(AUDITOR) | R(OPERATOR),
    /* DNA: registrars take reference samples at registration; laboratories and police
     * handle case samples and searches. */
    [EYNI_OP_DNA_REFERENCE_ADD] = R(REGISTRAR) | R(FORENSIC) | R(OPERATOR),
    [EYNI_OP_DNA_FORENSIC_ADD] = R(POLICE) | R(FORENSIC) | R(OPERATOR),
    [EYNI_OP_DNA_SEARCH] = R(POLICE) | R(FORENSIC) | R(OPERATOR),
    [EYNI_OP_DNA_READ] = R(POLICE) | R(FORENSIC) | R(OPERATOR),
    [EYNI_OP_DNA_REMOVE] = R(FORENSIC) | R(OPERATOR),
    [EYNI_OP_VISA_MANAGE] = R(DOCUMENTS) | R(OPERATOR),
    [EYNI_OP_VISA_READ] = R(DOCUMENTS) | R(BORDER) | R(POLICE) | R(OPERATOR),
    [EYNI_OP_RESIDENCE_MANAGE] = R(REGISTRAR) | R(OPERATOR),
    [EYNI_OP_RESIDENCE_READ] = R(REGISTRAR) | R(BORDER) | R(POLICE) | R(OPERATOR),
    /* Only nodes search shards for each other; the person who asked is checked and audited
     * by the node that took the request. */
    [EYNI_OP_SHARD_SEARCH] = R(NODE),
    /* A re-capture is the registration office's work. An erasure (court order, legal
     * erasure) destroys evidence for good, so it is kept away from everyone who captures or
     * searches: only the administrator (or the local operator) carries it out. */
    [EYNI_OP_BIOMETRIC_UPDATE] = R(REGISTRAR) | R(OPERATOR),
    [EYNI_OP_BIOMETRIC_ERASE] = R(ADMIN) | R(OPERATOR),
};
#undef R

static const char *const op_names[EYNI_OP_COUNT] = {
    "person.create", "person.read", "person.update", "person.search",
    "person.history", "key.manage", "audit.read", "office.manage", "blank.manage",
    "blank.read", "watch.manage", "watch.read", "ban.manage", "ban.read", "enrol", "match",
    "case.read", "case.decide", "document.issue", "document.status", "document.read",
    "border.check", "crossing.read", "dna.reference.add", "dna.forensic.add", "dna.search",
    "dna.read", "dna.remove", "visa.manage", "visa.read", "residence.manage",
    "residence.read", "shard.search", "biometric.update", "biometric.erase"};

const char *eyni_op_name(eyni_op op)
{
    return op >= 0 && op < EYNI_OP_COUNT ? op_names[op] : "none";
}

int eyni_role_allows(eyni_role role, eyni_op op)
{
    if (op < 0 || op >= EYNI_OP_COUNT || role <= EYNI_ROLE_NONE || role > EYNI_ROLE_OPERATOR)
        return 0;
    return (powers[op] >> role) & 1u;
}

void eyni_actor_local(eyni_actor *a, const char *agency, const char *purpose)
{
    memset(a, 0, sizeof *a);
    struct passwd pw, *res = NULL;
    char buf[1024];
    const char *user = getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res
                           ? pw.pw_name
                           : "unknown";
    snprintf(a->id, sizeof a->id, "local:%s", user);
    snprintf(a->agency, sizeof a->agency, "%s", agency ? agency : "LOCAL");
    snprintf(a->purpose, sizeof a->purpose, "%s", purpose ? purpose : "");
    snprintf(a->origin, sizeof a->origin, "cli");
    a->role = EYNI_ROLE_OPERATOR;
}

int reg_write_tx(eyni_register *reg, reg_tx_fn fn, void *arg, eyni_error *err)
{
    eyni_db *db;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_begin(db, 1, err);
    if (rc == 0) {
        rc = fn(db, arg, err);
        if (rc == 0)
            rc = eyni_db_commit(db, err);
        else
            eyni_db_rollback(db);
    }
    eyni_store_release(reg->store, db);
    return rc;
}

/* Operations that reveal or record facts about persons need a stated purpose. */
static int personal(eyni_op op)
{
    return op <= EYNI_OP_PERSON_HISTORY || (op >= EYNI_OP_WATCH_MANAGE && op < EYNI_OP_COUNT);
}

int reg_require(eyni_register *reg, const eyni_actor *a, eyni_op op, const char *object,
                eyni_error *err)
{
    const char *why = NULL;
    int code = 0;
    if (!eyni_role_allows(a->role, op)) {
        code = eyni_error_set(err, EYNI_EPERM, "role '%s' of agency '%s' may not %s",
                              eyni_role_name(a->role), a->agency, op_names[op]);
        why = "role";
    } else if (personal(op) && !a->purpose[0]) {
        code = eyni_error_set(err, EYNI_EINVAL,
                              "state the purpose of this access to personal data");
        why = "no purpose";
    }
    if (!code)
        return 0;
    eyni_error aerr;
    if (eyni_register_audit_event(reg, a, op_names[op], object, "denied", why, &aerr))
        eyni_log_write(reg->log, EYNI_LOG_ERROR, "audit", "cannot record denial: %s", aerr.msg);
    return code;
}

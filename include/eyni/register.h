/*
 * eyni/register.h - the population register: persons keyed by FIN, their version history,
 * API keys, roles, and the tamper-evident audit log.
 *
 * Every operation on personal data takes the acting principal (eyni_actor), checks the
 * actor's role, and writes an audit entry in the same transaction as any change, so no
 * change exists without its audit line. Reads are audited before data is returned.
 * Persons travel as JSON objects (jansson); the register validates them, so every front
 * end shares one set of rules.
 */
#ifndef EYNI_REGISTER_H
#define EYNI_REGISTER_H

#include "eyni/base.h"
#include "eyni/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_FIN_MAX 16
#define EYNI_NAME_MAX 100    /* bytes of UTF-8 in one name field */
#define EYNI_TEXT_MAX 300    /* bytes in places, addresses, reasons, purposes */
#define EYNI_KEY_TOKEN_MAX 96
#define EYNI_SEARCH_MAX 100  /* persons returned by one search */

typedef enum eyni_role {
    EYNI_ROLE_NONE = 0,
    EYNI_ROLE_ADMIN,       /* manages keys; reads the audit log; no personal data */
    EYNI_ROLE_REGISTRAR,   /* registration offices: create, update, read, search */
    EYNI_ROLE_BORDER,      /* border officers: read and search identity fields only */
    EYNI_ROLE_POLICE,      /* police: read, search and history of all fields */
    EYNI_ROLE_AUDITOR,     /* reads and verifies the audit log; no personal data */
    EYNI_ROLE_ADJUDICATOR, /* decides de-duplication cases; reads persons */
    EYNI_ROLE_DOCUMENTS,   /* passport and ID offices: documents and blank stock */
    EYNI_ROLE_FORENSIC,    /* forensic DNA laboratory: DNA profiles and searches */
    EYNI_ROLE_NODE,        /* another eynid searching the gallery shards this node holds */
    EYNI_ROLE_OPERATOR     /* local operator with the data directory (the `eyni` CLI) */
} eyni_role;

typedef enum eyni_op {
    EYNI_OP_PERSON_CREATE,
    EYNI_OP_PERSON_READ,
    EYNI_OP_PERSON_UPDATE,
    EYNI_OP_PERSON_SEARCH,
    EYNI_OP_PERSON_HISTORY,
    EYNI_OP_KEY_MANAGE,
    EYNI_OP_AUDIT_READ,
    EYNI_OP_OFFICE_MANAGE,
    EYNI_OP_BLANK_MANAGE,
    EYNI_OP_BLANK_READ,
    EYNI_OP_WATCH_MANAGE,
    EYNI_OP_WATCH_READ,
    EYNI_OP_BAN_MANAGE,
    EYNI_OP_BAN_READ,
    EYNI_OP_ENROL,
    EYNI_OP_MATCH, /* verify and identify */
    EYNI_OP_CASE_READ,
    EYNI_OP_CASE_DECIDE,
    EYNI_OP_DOC_ISSUE,
    EYNI_OP_DOC_STATUS,
    EYNI_OP_DOC_READ,
    EYNI_OP_BORDER_CHECK,
    EYNI_OP_CROSSING_READ,
    EYNI_OP_DNA_REFERENCE_ADD, /* DNA profile of a registered person */
    EYNI_OP_DNA_FORENSIC_ADD,  /* DNA profile of an unknown sample (case) */
    EYNI_OP_DNA_SEARCH,        /* stringency and familial search, kinship, match statistics */
    EYNI_OP_DNA_READ,          /* a stored profile's alleles */
    EYNI_OP_DNA_REMOVE,        /* withdraws a stored profile (kept, marked removed) */
    EYNI_OP_VISA_MANAGE,      /* issue and revoke visas */
    EYNI_OP_VISA_READ,
    EYNI_OP_RESIDENCE_MANAGE, /* residence registration (a foreigner's residence permit) */
    EYNI_OP_RESIDENCE_READ,
    EYNI_OP_SHARD_SEARCH,     /* 1:N search of this node's gallery shards for a peer node */
    EYNI_OP_BIOMETRIC_UPDATE, /* re-capture: replace or add a person's samples */
    EYNI_OP_BIOMETRIC_ERASE,  /* legal erasure of a person's samples (templates and images) */
    EYNI_OP_COUNT
} eyni_op;

typedef struct eyni_actor {
    char id[48];        /* API key id, or "local:<user>" for the CLI */
    char agency[33];    /* agency code the key is bound to */
    eyni_role role;
    char purpose[EYNI_TEXT_MAX + 1]; /* stated purpose of this access */
    char origin[64];    /* client address, or "cli" */
} eyni_actor;

typedef struct eyni_register eyni_register;

typedef struct eyni_register_opts {
    const char *store_uri; /* "sqlite:PATH" or PATH */
    int pool_size;         /* store connections; 0 = 8 */
    int fin_length;        /* 0 = 7 */
    const char *fin_alphabet; /* NULL = digits and A-Z */
    eyni_log *log;         /* may be NULL */
    const char *key_dir;   /* data keys for biometric data at rest (data-<id>.key) */
    unsigned key_id;       /* the active data key */
    const char *country;   /* issuing state (ISO 3166-1 alpha-3); NULL = "AZE" */
    const char *chip_root; /* folder for personalisation files of issued documents */
    const char *ds_cert;   /* document signer certificate (PEM) */
    const char *ds_key;    /* document signer private key (encrypted PEM) */
    const char *ds_pass_file; /* file holding the key's passphrase (first line) */
} eyni_register_opts;

int eyni_register_open(const eyni_register_opts *opts, eyni_register **out, eyni_error *err);
void eyni_register_close(eyni_register *reg);
/* Reads store.uri, store.pool, fin.length, fin.alphabet, crypto.keydir, crypto.key_id,
 * country.code, documents.dir, pki.ds_cert, pki.ds_key and pki.passphrase_file. */
int eyni_register_open_config(const eyni_config *cfg, eyni_log *log, eyni_register **out,
                              eyni_error *err);
/* The store underneath (for engines that keep their own tables, e.g. galleries). */
eyni_store *eyni_register_store(eyni_register *reg);

const char *eyni_role_name(eyni_role role);
eyni_role eyni_role_parse(const char *name); /* EYNI_ROLE_NONE when unknown */
/* 1 when role may perform op. */
int eyni_role_allows(eyni_role role, eyni_op op);
/* Stable name of an operation ("person.create", "case.decide", ...), as in the audit log. */
const char *eyni_op_name(eyni_op op);
/* Fills a local CLI actor ("local:<user>", operator role). */
void eyni_actor_local(eyni_actor *a, const char *agency, const char *purpose);

/* ---- persons ---------------------------------------------------------------------- */

/*
 * in: {"surname", "given_name", "patronymic", "birth_date" (YYYY-MM-DD), "birth_place",
 *      "sex" (M|F|X), "citizenship" (ISO 3166-1 alpha-3), "marital_status"
 *      (single|married|divorced|widowed), "blood_group" (O+ ... AB-), "eye_colour",
 *      "height_cm", "residence": {"address", "since"}, "reason"}.
 * Unknown fields, bad codes and invalid dates are EFORMAT naming the field; nothing is
 * stored then. *out is the new person as the actor may see it (caller decrefs).
 */
int eyni_register_person_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err);
int eyni_register_person_get(eyni_register *reg, const eyni_actor *a, const char *fin,
                             json_t **out, eyni_error *err);
/* in holds the fields to change (null clears an optional one), "reason" (required) and
 * optionally "version": when given and not current, ECONFLICT (someone changed it). */
int eyni_register_person_update(eyni_register *reg, const eyni_actor *a, const char *fin,
                                const json_t *in, json_t **out, eyni_error *err);
/* Every version with who, when, why and the record as it was. */
int eyni_register_person_history(eyni_register *reg, const eyni_actor *a, const char *fin,
                                 json_t **out, eyni_error *err);

typedef struct eyni_person_query {
    const char *fin;        /* exact; or */
    const char *surname;    /* compared without case and diacritics */
    const char *given_name; /* optional, same comparison */
    const char *birth_date; /* optional, YYYY-MM-DD */
    int limit;              /* 1..EYNI_SEARCH_MAX, 0 = 20 */
    int offset;
} eyni_person_query;

/* *out = {"results": [...], "count": n, "limit", "offset"} */
int eyni_register_person_search(eyni_register *reg, const eyni_actor *a,
                                const eyni_person_query *q, json_t **out, eyni_error *err);

/* ---- API keys --------------------------------------------------------------------- */

/* Creates a key bound to agency and role; token (shown once, never stored) receives
 * "eyni_<id>_<secret>". *info describes the key (caller decrefs). */
int eyni_register_key_create(eyni_register *reg, const eyni_actor *a, const char *agency,
                             const char *role, const char *label,
                             char token[EYNI_KEY_TOKEN_MAX], json_t **info, eyni_error *err);
int eyni_register_key_revoke(eyni_register *reg, const eyni_actor *a, const char *key_id,
                             eyni_error *err);
int eyni_register_key_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                           eyni_error *err);
/* Checks a token; on success fills a->id, agency, role and origin (purpose is left for the
 * caller). EAUTH for unknown, malformed or revoked keys; the failure is audited. */
int eyni_register_authenticate(eyni_register *reg, const char *token, const char *origin,
                               eyni_actor *a, eyni_error *err);

/* ---- audit ------------------------------------------------------------------------ */

typedef struct eyni_audit_query {
    const char *actor;  /* optional filters */
    const char *object;
    const char *action;
    long long after_id; /* entries with id > after_id */
    int limit;          /* 1..1000, 0 = 100 */
} eyni_audit_query;

int eyni_register_audit_list(eyni_register *reg, const eyni_actor *a,
                             const eyni_audit_query *q, json_t **out, eyni_error *err);
/* Recomputes the hash chain; *out = {"ok": bool, "entries": n, "first_bad_id": id|null}. */
int eyni_register_audit_verify(eyni_register *reg, const eyni_actor *a, json_t **out,
                               eyni_error *err);
/* Writes one audit entry in its own transaction (for front ends recording events the
 * register does not see, e.g. a rejected request). */
int eyni_register_audit_event(eyni_register *reg, const eyni_actor *a, const char *action,
                              const char *object, const char *outcome, const char *detail,
                              eyni_error *err);

/* ---- offices and blank stock -------------------------------------------------------- */

#define EYNI_BLANK_BATCH_MAX 100000 /* serials registered by one delivery */

/* {"code" (A-Z0-9-_ up to 32), "name", "kind"}; kinds: central, passport, id, consulate,
 * border, printer. */
int eyni_register_office_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err);
int eyni_register_office_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                              eyni_error *err);

/*
 * A delivery from the printer: {"doc_type", "prefix", "first", "last", "digits", "office",
 * "printer", "reference"}. Serials are prefix + the number zero-padded to digits. Every
 * serial enters "in_stock" at the office; a serial that already exists anywhere refuses the
 * whole delivery (EEXIST).
 */
int eyni_register_blank_receive(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err);
/* {"from", "to", "serials": [...] or "first"/"last" serials of a range, "reference"}: all
 * must be in stock at from, else nothing moves (ECONFLICT naming the first). */
int eyni_register_blank_send(eyni_register *reg, const eyni_actor *a, const json_t *in,
                             json_t **out, eyni_error *err);
/* The receiving office confirms transfer id; {"missing": [serials]} become "lost" and
 * raise an alert; everything else enters its stock. */
int eyni_register_blank_accept(eyni_register *reg, const eyni_actor *a, long long transfer,
                               const json_t *in, json_t **out, eyni_error *err);
/* Takes the lowest-numbered blank of doc_type in stock at office for personalisation as
 * document_number. ENOTFOUND when the office has none. *serial receives it. */
int eyni_register_blank_take(eyni_register *reg, const eyni_actor *a, const char *office,
                             const char *doc_type, const char *document_number,
                             char serial[64], eyni_error *err);
/* State changes by hand: issued, spoiled, destroyed, lost, stolen (reason required). The
 * allowed moves are enforced by the database itself. */
int eyni_register_blank_set_state(eyni_register *reg, const eyni_actor *a, const char *serial,
                                  const char *state, const char *reason, json_t **out,
                                  eyni_error *err);
int eyni_register_blank_get(eyni_register *reg, const eyni_actor *a, const char *serial,
                            json_t **out, eyni_error *err);
/* Stock by state now, movements between from and to (YYYY-MM-DD, inclusive), transfers
 * overdue beyond overdue_days, and open alerts, for one office (or all when NULL). */
int eyni_register_blank_reconcile(eyni_register *reg, const eyni_actor *a, const char *office,
                                  const char *from, const char *to, int overdue_days,
                                  json_t **out, eyni_error *err);

/* ---- watchlists and entry/exit bans ------------------------------------------------- */

#define EYNI_WATCH_IMPORT_MAX 1000000 /* lines in one imported document list */

/*
 * A list: {"code", "name", "kind" (person|vehicle|document), "legal_basis", "handling",
 * "valid_from", "valid_to", "visible_to": ["AGENCY", ...] or ["*"]}. The owner is the
 * creating actor's agency; a list is seen by its owner and the agencies it names.
 */
int eyni_register_watchlist_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                   json_t **out, eyni_error *err);
int eyni_register_watchlist_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                                 eyni_error *err);
/* Entry by the list's kind. person: {"surname", "given_name", "variants": [names],
 * "birth_date", "nationality", "fin", "reason"}; vehicle: {"plate", "vin", "reason"};
 * document: {"number", "issuing_state", "doc_type", "status", "reason"}. */
int eyni_register_watch_add(eyni_register *reg, const eyni_actor *a, const char *list,
                            const json_t *in, json_t **out, eyni_error *err);
int eyni_register_watch_remove(eyni_register *reg, const eyni_actor *a, const char *list,
                               long long entry, const char *reason, eyni_error *err);
int eyni_register_watch_entries(eyni_register *reg, const eyni_actor *a, const char *list,
                                json_t **out, eyni_error *err);
/* A foreign or national invalid-document list as CSV with the header
 * "number,issuing_state,doc_type,status"; bad lines are reported, good ones added. */
int eyni_register_watch_import(eyni_register *reg, const eyni_actor *a, const char *list,
                               const char *csv, size_t len, json_t **out, eyni_error *err);
/*
 * Checks a traveller against every active entry of every list the actor may see that is
 * valid today: {"person": {"surname", "given_name", "birth_date", "fin"}, "vehicle":
 * {"plate", "vin"}, "document": {"number", "issuing_state"}} (any part may be absent).
 * *out = {"hits": [{"list", "kind", "entry", "score", "handling", "legal_basis", ...}]}.
 * Names match by a transliteration-tolerant phonetic key; score is 0..1.
 */
int eyni_register_watch_check(eyni_register *reg, const eyni_actor *a, const json_t *query,
                              json_t **out, eyni_error *err);

/* {"fin", "surname", "given_name", "birth_date", "nationality", "direction"
 * (entry|exit|both), "starts", "ends", "legal_basis", "authority"}. */
int eyni_register_ban_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                             json_t **out, eyni_error *err);
int eyni_register_ban_lift(eyni_register *reg, const eyni_actor *a, long long id,
                           const char *reason, eyni_error *err);
/* Bans newest first, optionally of one FIN and in one status (all, active, expired,
 * lifted), limit 1..500 from offset: *out = {"bans": [...], "count", "limit", "offset"};
 * each ban carries its "status" and, when lifted, who lifted it and why. Audited. */
int eyni_register_ban_list(eyni_register *reg, const eyni_actor *a, const char *fin,
                           const char *status, long long limit, long long offset, json_t **out,
                           eyni_error *err);
/* Bans in force on date (YYYY-MM-DD) for direction matching the person (by FIN, or by
 * name and birth date): *out = {"bans": [...]}. */
int eyni_register_ban_check(eyni_register *reg, const eyni_actor *a, const json_t *person,
                            const char *date, const char *direction, json_t **out,
                            eyni_error *err);

/* ---- enrolments and adjudication ----------------------------------------------------- */

/* An enrolment transaction as recorded: status unique|duplicate|possible|same|different,
 * the FIN issued (if any), the duplicate's FIN, the case, and the search result. */
int eyni_register_enrolment_get(eyni_register *reg, const eyni_actor *a, long long id,
                                json_t **out, eyni_error *err);
/* Adjudication cases: status "open" or "decided" (NULL for all), newest first. Each has
 * "kind": "enrolment" (with "enrolment") or "application" (a document application held
 * for review, with "application" and "fin", the FIN applied for). */
int eyni_register_case_list(eyni_register *reg, const eyni_actor *a, const char *status,
                            int limit, json_t **out, eyni_error *err);
int eyni_register_case_get(eyni_register *reg, const eyni_actor *a, long long id, json_t **out,
                           eyni_error *err);
/* The images of a case for side-by-side review: {"case", "applicant": [sample],
 * "candidates": {fin: [sample]}} (an application's case also "claimed": {fin: [sample]},
 * the samples of the FIN applied for), a sample being {"modality", "position", "image" (base64
 * of the file as captured), "points" (a finger's minutiae: x, y, angle in degrees, type)}. */
int eyni_register_case_samples(eyni_register *reg, const eyni_actor *a, long long id,
                               json_t **out, eyni_error *err);
/*
 * Decides an open case: decision "same" (the applicant is candidate same_fin, or the top
 * candidate when NULL: no FIN is issued) or "different" (a new person is registered with
 * the applicant's data and samples, and gets a FIN). Audited with the note; a case is
 * decided once. *out holds the enrolment as it now stands. A document application's case
 * ("kind": "application") registers nobody: "same" refuses the application for good and
 * records same_fin as the applicant's other identity, "different" clears it for one
 * re-submission (eyni_document_apply); *out is then the application.
 */
int eyni_register_case_decide(eyni_register *reg, const eyni_actor *a, long long id,
                              const char *decision, const char *same_fin, const char *note,
                              json_t **out, eyni_error *err);

/* ---- documents ------------------------------------------------------------------------ */

/* The national document types as JSON: {"types": [{"name", "code", "format", "years",
 * "holders", "description"}]}. */
json_t *eyni_register_doctypes_json(void);
/*
 * Issues a document: {"fin", "type", "office", "replace", "reason"}. Checks that the person
 * exists, may hold the type (citizen, stateless, foreigner) and holds no other valid one
 * (unless "replace": the old one is revoked), takes the office's next blank, assigns the
 * number, builds the MRZ (with the FIN as personal number) and the chip (DG1, DG2 from the
 * enrolled portrait, EF.COM, EF.SOD signed by the document signer) into chip_root/<number>.
 * *out: {"number", "type", "mrz", "chip_dir", "blank_serial", "expires", "status"}.
 */
int eyni_register_document_issue(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                 json_t **out, eyni_error *err);
/* Status: handed_over, revoked, lost, stolen, expired (reason required). Lost, stolen and
 * revoked documents are on the invalid-document list that checks consult. */
int eyni_register_document_set_status(eyni_register *reg, const eyni_actor *a,
                                      const char *number, const char *status,
                                      const char *reason, json_t **out, eyni_error *err);
int eyni_register_document_get(eyni_register *reg, const eyni_actor *a, const char *number,
                               json_t **out, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

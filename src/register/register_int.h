/* Module-private declarations of the population register. */
#ifndef EYNI_REGISTER_INT_H
#define EYNI_REGISTER_INT_H

#include "eyni/register.h"

struct eyni_register {
    eyni_store *store;
    int fin_length;
    char fin_alphabet[64];
    eyni_log *log;
    eyni_keyring *keys; /* NULL when no data key is configured */
    char country[4];    /* issuing state, ISO 3166-1 alpha-3 */
    char chip_root[4096]; /* where personalisation files of issued documents are written */
    struct eyni_pki_cert *ds_cert; /* document signer; NULL when none is configured */
    struct eyni_pki_key *ds_key;
};

/* schema.c */
const eyni_migration *reg_migrations(int *n);

/* codes.c: 1 when the value is one of the accepted codes. */
int reg_country_valid(const char *alpha3);
int reg_marital_valid(const char *s);
int reg_blood_valid(const char *s);
int reg_eye_valid(const char *s);

/* fin.c */
int reg_fin_allocate(eyni_register *reg, eyni_db *db, char fin[EYNI_FIN_MAX + 1],
                     eyni_error *err);
int reg_fin_wellformed(const eyni_register *reg, const char *fin);

/* audit.c: appends one entry inside the caller's open write transaction. */
int reg_audit_append(eyni_db *db, const eyni_actor *a, const char *action, const char *object,
                     const char *outcome, const char *detail, eyni_error *err);
/* Checks role (and purpose when personal data is touched); a refusal is audited and
 * returns EPERM or EINVAL with err set. */
int reg_require(eyni_register *reg, const eyni_actor *a, eyni_op op, const char *object,
                eyni_error *err);
/* Runs fn inside one write transaction on a pooled connection; commits when fn returns 0. */
typedef int (*reg_tx_fn)(eyni_db *db, void *arg, eyni_error *err);
int reg_write_tx(eyni_register *reg, reg_tx_fn fn, void *arg, eyni_error *err);

/* person.c: registers a person inside the caller's write transaction (FIN, record, first
 * version, audit); *rec receives the stored record (caller decrefs, also on failure). */
int reg_person_insert(eyni_register *reg, eyni_db *db, const eyni_actor *a, const json_t *in,
                      const char *reason, json_t **rec, int64_t *pid, eyni_error *err);

/* identity_store.c: samples sealed at rest, enrolment records, the gallery change log. */
typedef struct reg_sample {
    char modality[8];  /* face, finger, voice, dna */
    int position;      /* ISO/ANSI finger position 1..10; 0 for other modalities */
    unsigned char *tpl; /* engine template */
    size_t tlen;
    unsigned char *img; /* the captured image as received (may be NULL) */
    size_t ilen;
    int quality;       /* 0..100 from the engine's quality gate */
    char engine[32];   /* which engine and template format made tpl */
} reg_sample;

typedef struct reg_enrolment {
    const json_t *person;      /* validated biographic fields */
    const reg_sample *samples;
    int n;
    const char *status;        /* unique | duplicate | possible */
    const char *duplicate_of;  /* FIN, when duplicate */
    const json_t *result;      /* candidates with scores, kept with the enrolment */
} reg_enrolment;

/* One transaction: unique -> person, FIN, samples; duplicate -> the refused attempt with its
 * samples sealed for review; possible -> the sealed pending enrolment and an open case. */
int reg_enrolment_record(eyni_register *reg, const eyni_actor *a, const reg_enrolment *e,
                         long long *id, char fin[EYNI_FIN_MAX + 1], long long *case_id,
                         eyni_error *err);
/* Called for each sample: template bytes are decrypted and valid during the call only. A
 * change with op "remove" (a re-captured or erased sample) comes without template (NULL). */
typedef int (*reg_sample_fn)(long long change, const char *op, long long biometric,
                             const char *fin, const char *modality, int position,
                             const unsigned char *tpl, size_t tlen, void *ctx);
/* Replays the gallery change log after change id `after`, in order; *last gets the newest
 * id seen. Galleries built this way match the store exactly, after a crash too. */
/* keep (may be NULL) chooses the owners whose samples are opened and passed to fn. */
typedef int (*reg_keep_fn)(const char *fin, void *ctx);
int reg_changes_each(eyni_register *reg, long long after, reg_keep_fn keep, reg_sample_fn fn,
                     void *ctx, long long *last, eyni_error *err);
/* The current samples of one person (for 1:1 verification). */
int reg_samples_of(eyni_register *reg, const char *fin, const char *modality, reg_sample_fn fn,
                   void *ctx, eyni_error *err);
/* Stores samples of person pid inside the caller's transaction (used by decisions). */
int reg_samples_store(eyni_register *reg, eyni_db *db, const eyni_actor *a, int64_t pid,
                      const char *fin, const reg_sample *s, int n, eyni_error *err);
/* biometric_retire.c: takes samples of person pid out of force inside the caller's
 * transaction - those of modality (NULL: face, finger and voice) and finger position (0:
 * all) - each with a "remove" in the gallery change log and a tombstone naming the actor,
 * the time and the reason. erase also empties the sealed template and drops the image, of
 * samples replaced earlier too. removed counts the samples taken out of the galleries,
 * erased the rows cleared. */
typedef struct reg_retire {
    const char *modality;
    int position;
    const char *reason;
    int erase;
    int removed, erased;
} reg_retire;
int reg_samples_retire(eyni_db *db, const eyni_actor *a, int64_t pid, reg_retire *r,
                       eyni_error *err);
/* Sealed JSON form of a pending enrolment and back. */
int reg_pending_seal(eyni_register *reg, const reg_enrolment *e, unsigned char **blob,
                     size_t *len, eyni_error *err);
int reg_pending_open(eyni_register *reg, const unsigned char *blob, size_t len, json_t **person,
                     reg_sample **samples, int *n, eyni_error *err);
/* The same under other associated data, so that a sealed application cannot pass for an
 * enrolment or back (e->person then holds the application's request). */
#define REG_PENDING_ENROLMENT   "enrolment:pending"
#define REG_PENDING_APPLICATION "application:pending"
int reg_pending_seal_as(eyni_register *reg, const char *aad, const reg_enrolment *e,
                        unsigned char **blob, size_t *len, eyni_error *err);
int reg_pending_open_as(eyni_register *reg, const char *aad, const unsigned char *blob,
                        size_t len, json_t **person, reg_sample **samples, int *n,
                        eyni_error *err);
void reg_samples_free(reg_sample *s, int n);
/* cases.c: an open case's candidates (as decided on) and its applicant's sealed samples;
 * ENOTFOUND, or ECONFLICT when the case is already decided. */
/* For an application's case applied[] gets the FIN applied for (else ""). */
int reg_case_applicant(eyni_register *reg, long long id, json_t **candidates, reg_sample **s,
                       int *n, char applied[EYNI_FIN_MAX + 1], eyni_error *err);
/* Replaces an open case's candidates (new matches found since it was opened), audited as
 * case.recheck with detail. */
int reg_case_extend(eyni_register *reg, const eyni_actor *a, long long id,
                    const json_t *candidates, const char *detail, eyni_error *err);

/* applications.c: document applications held in an adjudication case. */
typedef struct reg_application {
    const char *fin;           /* the FIN applied for */
    const json_t *request;     /* {"fin", "type", "office", "replace", "reason"} */
    const reg_sample *samples; /* the live samples, sealed with the request */
    int n;
    const json_t *result;      /* {"candidates", "duplicate_at", "possible_at"} */
} reg_application;
/* One transaction: the sealed application, its open case, the audit entry. */
int reg_application_open(eyni_register *reg, const eyni_actor *a, const reg_application *ap,
                         long long *app, long long *case_id, eyni_error *err);
/* A re-submission naming case cid for fin: the case must be an application's case for fin,
 * decided "different" and not yet used (ENOTFOUND, EFORMAT or ECONFLICT saying which);
 * *cleared gets the candidates the adjudicator cleared. */
int reg_application_cleared(eyni_register *reg, long long cid, const char *fin, long long *app,
                            json_t **cleared, eyni_error *err);
/* ECONFLICT when an adjudicator found the applicant for fin to be another person too. */
int reg_application_flagged(eyni_register *reg, const char *fin, eyni_error *err);
int reg_application_get(eyni_register *reg, long long id, json_t **out, eyni_error *err);
/* Records a decision on application app inside the caller's transaction. */
int reg_application_close(eyni_db *db, long long app, const char *decision, const char *same_as,
                          const char *now, eyni_error *err);
/* documents.c: eyni_register_document_issue consuming cleared application app (0: none) in
 * the same transaction. */
int reg_document_issue_cleared(eyni_register *reg, const eyni_actor *a, const json_t *in,
                               long long app, json_t **out, eyni_error *err);

/* The current record and row id of a FIN; ENOTFOUND when there is none. */
int reg_person_load(eyni_db *db, const char *fin, int64_t *pid, json_t **rec, eyni_error *err);

/* documents.c */
typedef struct reg_doctype {
    const char *name;      /* API name, also the blank stock doc_type */
    const char *code;      /* MRZ document code; NULL: no MRZ and no chip */
    int format;            /* eyni_mrz_format */
    int years;             /* validity; minors (under 18) get half, at least one year */
    const char *prefix;    /* document number: prefix + zero-padded sequence, 9 characters */
    const char *holders;   /* "citizen", "stateless" or "foreigner" */
    const char *description;
} reg_doctype;
const reg_doctype *reg_doctype_find(const char *name);
const reg_doctype *reg_doctypes(void);

/* person_json.c */
int reg_person_validate(const json_t *in, int creating, eyni_error *err);
/* The view of a stored person record that a role may see (new reference). */
json_t *reg_person_view(const json_t *record, eyni_role role);

/* office.c */
int reg_code_valid(const char *s, int lower);
int reg_office_exists(eyni_db *db, const char *code, eyni_error *err);

/* blanks.c: inside the caller's write transaction (issuance uses it). */
int reg_blank_take(eyni_db *db, const eyni_actor *a, const char *office, const char *doc_type,
                   const char *document_number, char serial[64], eyni_error *err);

/* person.c: a validated change (with "reason") inside the caller's write transaction. */
int reg_person_update_in_tx(eyni_db *db, const eyni_actor *a, const char *fin, const json_t *in,
                            eyni_error *err);

/* stay.c: whether a foreign traveller may enter on the date (a valid visa with entries
 * left, or a residence permit) or, on exit, stayed beyond the permitted period. Appends
 * {"code", "severity", "message"} reasons to reasons; *stay describes the evidence. */
int reg_stay_check(eyni_register *reg, const char *document, const char *nationality,
                   const char *fin, const char *today, int exit, json_t *reasons, json_t **stay,
                   eyni_error *err);
/* Days from 1970-01-01 of a YYYY-MM-DD date (the caller has checked the form). */
long reg_day_number(const char *iso);

/* Associated data of a sealed watchlist biometric: entry, modality, position, part (t|i). */
#define REG_WATCH_AAD "watch:%lld:%s:%d:%c"
/* SQL condition of every watchlist read: the list (columns prefixed by P, e.g. "w.") is the
 * actor's agency's, or shown to it or to all, or the actor is an operator; binds the agency
 * twice and the role's name. */
#define REG_WATCH_VISIBLE_SQL(P)                                                                   \
    "(" P "owner_agency = ? OR instr(" P "visible_to, ',' || ? || ',') > 0"                        \
    " OR instr(" P "visible_to, ',*,') > 0 OR ? = 'operator')"

/* The gallery id of a watchlist entry's face is this plus the entry id (EYNI_DESK_WATCH_ID_BASE,
 * checked in video_wanted.c). */
#define REG_WATCH_ID_BASE_SQL "281474976710656"

/* A row of video_alerts the actor may see (eyni_desk_audience): an alert of a wanted face, or
 * of a watchlist entry whose list the actor's agency may read. Binds agency, agency, role. */
#define REG_ALERT_VISIBLE_SQL                                                                      \
    " (video_alerts.wanted_id < " REG_WATCH_ID_BASE_SQL " OR EXISTS (SELECT 1"                     \
    " FROM watch_entries e JOIN watchlists w ON w.id = e.list_id"                                  \
    " WHERE e.id = video_alerts.wanted_id - " REG_WATCH_ID_BASE_SQL " AND "                        \
    REG_WATCH_VISIBLE_SQL("w.") "))"

/* field.c: a small base64 JPEG of the register portrait of fin, or (fin NULL) of the
 * photo of watchlist entry; *b64 is malloc'd. */
int reg_thumbnail(eyni_register *reg, const char *fin, long long entry, char **b64,
                  eyni_error *err);

/* watchlist.c: adds one entry inside the caller's write transaction. */
int reg_watch_add_in_tx(eyni_db *db, const eyni_actor *a, const char *list, const json_t *in,
                        eyni_error *err);

/* namematch.c: phonetic key of a name, and similarity of two keys in 0..1. */
int reg_name_key(const char *name, char *out, size_t cap, eyni_error *err);
double reg_name_similarity(const char *key_a, const char *key_b);

/* The video desk keeps faces and snapshots only sealed: ECRYPTO without a data key. */
int reg_desk_need_keys(const eyni_register *reg, eyni_error *err);
/* A camera's whole stream address sealed under its name (video_cameras.c). */
int reg_desk_seal_url(eyni_register *reg, const char *name, const char *url, unsigned char **blob,
                      size_t *len, eyni_error *err);

/* Small statement helpers (stmt.c). */
int reg_bind_texts(eyni_stmt *st, int first, const char *const *vals, int n, eyni_error *err);
int reg_exec1(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err);
/* As reg_exec1, but says whether the statement gave a row: 1 (an UPDATE ... RETURNING that
 * changed one), 0 (none), or an error code. */
int reg_exec_row(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err);
/* Steps an INSERT ... RETURNING id and stores the id; ESTORE when no row came back. */
int reg_step_id(eyni_stmt *st, long long *id, eyni_error *err);
/* Builds one JSON value from the current row (NULL skips the row). */
typedef json_t *(*reg_row_fn)(eyni_stmt *st, void *ctx);
/* A reg_row_fn: the row's first column as a JSON integer (lists of ids). */
json_t *reg_row_int(eyni_stmt *st, void *ctx);
/* Steps st to its end, appending row(st) to list; 0 or an error code. */
int reg_collect(eyni_stmt *st, reg_row_fn row, void *ctx, json_t *list, eyni_error *err);
/* A whole read on a pooled connection: prepare sql, bind text parameters, collect rows. */
int reg_read_rows(eyni_register *reg, const char *sql, const char *const *vals, int n,
                  reg_row_fn row, void *ctx, json_t **out, eyni_error *err);

#endif

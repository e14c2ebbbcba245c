/*
 * eyni/border.h - the traveller check at a border checkpoint, and crossing records.
 *
 * A check reads the document (MRZ, and the chip when given), asks the register about the
 * document and its holder, compares the live face and fingers with the chip and the
 * register, runs every watchlist and ban the officer may see, and answers clear, refer or
 * deny with every reason. Every check is recorded once (a retried request with the same
 * request id returns the first answer). A check that cannot complete a step (a corrupt
 * chip, an image that does not decode) says so as a reason and is at least a refer: never
 * a silent clear.
 */
#ifndef EYNI_BORDER_H
#define EYNI_BORDER_H

#include "eyni/identity.h"
#include "eyni/register.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eyni_border_request {
    const char *mrz;              /* required: the lines, newline-separated or concatenated */
    const char *chip_dir;         /* chip files (EF_COM.bin, EF_SOD.bin, Datagroup<N>.bin) */
    const char *const *trust;     /* CSCA certificate files for passive authentication */
    size_t ntrust;
    const unsigned char *face;    /* live face image bytes (optional) */
    size_t face_len;
    const eyni_sample_in *fingers; /* live fingerprints (optional) */
    int nfingers;
    const char *plate;            /* vehicle registration plate (optional) */
    const char *checkpoint;       /* required */
    const char *direction;        /* "entry" or "exit" */
    const char *request_id;       /* client's id for the check: retries return the first answer */
} eyni_border_request;

/* *out = {"decision": "clear"|"refer"|"deny", "reasons": [{"code", "severity", "message"}],
 * "document": {...}, "holder": {...}, "crossing": id}. */
int eyni_border_check(eyni_identity *id, const eyni_actor *a, const eyni_border_request *r,
                      json_t **out, eyni_error *err);
/*
 * A document application (docs/identity.md, "Document applications"). With the applicant's
 * live samples s (at most one face and fingers 1..10; n = 0: nobody present, issued on the
 * record alone as eyni_register_document_issue does) they must match those enrolled for
 * in's "fin" (ECONFLICT otherwise), then are searched against the whole register with the
 * enrolment's fusion: another person from identity.duplicate_at refuses the application
 * (ECONFLICT naming that FIN, audited); another person from identity.possible_at opens an
 * adjudication case holding the application sealed and *out = {"status": "possible",
 * "fin", "case", "application", "candidates"} (nothing issued); otherwise the document is
 * issued (*out as eyni_register_document_issue, "status": "issued"). Never decided on a
 * partial search (ECONFLICT unless a duplicate was found). case_id (0: none) re-submits
 * the application of a case decided "different": the candidates it cleared no longer
 * count, and the document issued uses the case up. A FIN whose applicant an adjudicator
 * found to be another registered person too ("same") gets no document this way.
 */
#define EYNI_APPLICATION_MAX_SAMPLES 11 /* a face and ten fingers */
int eyni_document_apply(eyni_identity *id, const eyni_actor *a, const json_t *in,
                        const eyni_sample_in *s, int n, long long case_id, json_t **out,
                        eyni_error *err);

/* The live samples of an application, decoded from the request (owned buffers). */
typedef struct eyni_application_live {
    eyni_sample_in v[EYNI_APPLICATION_MAX_SAMPLES];
    unsigned char *bufs[EYNI_APPLICATION_MAX_SAMPLES];
    int n;
} eyni_application_live;
/* Reads a POST /v1/documents body: the issue fields plus "face" (base64 of an image file),
 * "fingers" ([{"position": 1..10, "image": base64}], each position once) and "case" (a
 * case number). *fields gets the issue fields alone (caller decrefs), live the samples
 * (eyni_application_live_free), *case_id the case or 0. EFORMAT naming what is wrong;
 * nothing to free then. */
int eyni_document_application_read(const json_t *in, json_t **fields, eyni_application_live *live,
                                   long long *case_id, eyni_error *err);
void eyni_application_live_free(eyni_application_live *live);

/*
 * The check for handheld terminals (POST /v1/field/checks): the same steps as a traveller
 * check (checkpoint defaults to "FIELD"; the stay is judged as on leaving today), audited as
 * field.check, no crossing recorded. *out = {"decision", "person_found", "fin", "name",
 * "birth_date", "wanted", "document_invalid", "stay_illegal", "alerts": [reasons that refer
 * or deny], "thumbnail" (base64 JPEG, 96 px wide), "thumbnail_of" (register|watchlist)}.
 */
int eyni_border_field_check(eyni_identity *id, const eyni_actor *a, const eyni_border_request *r,
                            json_t **out, eyni_error *err);

/* Crossings by {"fin", "document", "checkpoint", "day", "limit"}; "in_country": true lists the
 * persons whose last recorded crossing was a cleared entry. */
int eyni_border_crossings(eyni_register *reg, const eyni_actor *a, const json_t *query,
                          json_t **out, eyni_error *err);

/* Face and fingerprints of a person entry on a watchlist (the person need not be in the
 * register): samples pass the enrolment quality gate, are sealed at rest and join the
 * watchlist galleries every traveller check searches 1:N. ENOTFOUND for an entry not in
 * force on the list. *out = {"list", "entry", "added", "quality"}. */
int eyni_border_watch_biometrics_add(eyni_identity *id, const eyni_actor *a, const char *list,
                                     long long entry, const eyni_sample_in *samples, int n,
                                     json_t **out, eyni_error *err);

/* Load tests only: persons synthetic persons with one random face template each, and
 * listed synthetic entries with a random face template on person watchlist list - through
 * the real tables, sealing and change log. */
int eyni_border_bench_fill(eyni_register *reg, const eyni_actor *a, int persons,
                           const char *list, int listed, unsigned long long seed, eyni_error *err);

/* ---- visas and residence registration ------------------------------------------------ */

/*
 * A visa for a foreign traveller: {"number" (the sticker's, A-Z 0-9 up to 9), "type" (A
 * airport transit, C short stay, D long stay), "format" (MRV-A default, MRV-B),
 * "passport_number", "nationality", "surname", "given_name", "birth_date", "sex",
 * "valid_from", "valid_until", "entries" (0 = multiple), "stay_days"}. The MRZ is built with
 * the document code V + type; *out is the visa with "mrz". EEXIST for a known number.
 */
int eyni_border_visa_issue(eyni_register *reg, const eyni_actor *a, const json_t *in,
                           json_t **out, eyni_error *err);
int eyni_border_visa_revoke(eyni_register *reg, const eyni_actor *a, const char *number,
                            const char *reason, eyni_error *err);
/* Visas by passport (and nationality) or by visa number: {"visas": [...], "count"}. */
int eyni_border_visas(eyni_register *reg, const eyni_actor *a, const char *passport,
                      const char *nationality, const char *number, json_t **out,
                      eyni_error *err);
/*
 * Residence registration {"fin", "document_number", "nationality" (default: this country),
 * "surname", "given_name", "address", "since", "until", "reason"}. A citizen needs the FIN;
 * a foreigner needs the passport number, surname and until - the registration is the
 * residence permit. With a FIN the address becomes the person's current residence and
 * enters the register's residence history in the same transaction.
 */
int eyni_border_residence_register(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                   json_t **out, eyni_error *err);
int eyni_border_residences(eyni_register *reg, const eyni_actor *a, const char *fin,
                           const char *document, json_t **out, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

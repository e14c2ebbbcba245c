/* Module-private declarations of the population register. */
#ifndef EYNI_REGISTER_INT_H
#define EYNI_REGISTER_INT_H

#include "eyni/register.h"

struct eyni_register {
    eyni_store *store;
    int fin_length;
    char fin_alphabet[64];
    eyni_log *log;
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

/* watchlist.c: adds one entry inside the caller's write transaction. */
int reg_watch_add_in_tx(eyni_db *db, const eyni_actor *a, const char *list, const json_t *in,
                        eyni_error *err);

/* namematch.c: phonetic key of a name, and similarity of two keys in 0..1. */
int reg_name_key(const char *name, char *out, size_t cap, eyni_error *err);
double reg_name_similarity(const char *key_a, const char *key_b);

/* Small statement helpers (stmt.c). */
int reg_bind_texts(eyni_stmt *st, int first, const char *const *vals, int n, eyni_error *err);
int reg_exec1(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err);
/* Builds one JSON value from the current row (NULL skips the row). */
typedef json_t *(*reg_row_fn)(eyni_stmt *st, void *ctx);
/* Steps st to its end, appending row(st) to list; 0 or an error code. */
int reg_collect(eyni_stmt *st, reg_row_fn row, void *ctx, json_t *list, eyni_error *err);
/* A whole read on a pooled connection: prepare sql, bind text parameters, collect rows. */
int reg_read_rows(eyni_register *reg, const char *sql, const char *const *vals, int n,
                  reg_row_fn row, void *ctx, json_t **out, eyni_error *err);

#endif

/*
 * eyni/exchange.h - ANSI/NIST-ITL transactions in and out of the register.
 *
 * Import turns a tenprint or face transaction into an enrolment, with its de-duplication:
 * Type-10 faces and Type-4/14 fingerprints at positions 1..10 become samples, Type-2 fields
 * (EBTS layout: 2.018 name "SURNAME,GIVEN", 2.022 birth date YYYYMMDD, 2.024 sex) give the
 * person unless the caller states the fields. Export writes a person as Type-1, Type-2 (the
 * same fields and 2.015 = FIN), Type-10 (face, JPEG) and Type-14 (fingers, WSQ 0.75).
 */
#ifndef EYNI_EXCHANGE_H
#define EYNI_EXCHANGE_H

#include "eyni/identity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* person may be NULL or hold fields that override the transaction's Type-2 values. *out is
 * the enrolment answer plus "samples": what was taken from which record. */
int eyni_exchange_import(eyni_identity *id, const eyni_actor *a, const unsigned char *buf,
                         size_t len, const json_t *person, json_t **out, eyni_error *err);
/* The transaction bytes (caller frees *buf); audited as exchange.export. */
int eyni_exchange_export(eyni_identity *id, const eyni_actor *a, const char *fin,
                         const char *ori, unsigned char **buf, size_t *len, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

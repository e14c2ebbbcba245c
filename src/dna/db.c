/*
 * The in-memory profile database. Each profile is one 16-bit key per locus: two indices into
 * a per-locus allele dictionary (0 = untyped, 255 = drop-out "F"), stored column by column so
 * a search streams only the loci it tests; a million profiles take 60 MB of keys. References
 * and forensic samples live in separate partitions with their own id index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define DICT_CODES 0x4003u /* allele codes are below EYNI_DNA_ALLELE_Y + 1 */

static uint64_t hash_id(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

eyni_dna_db *eyni_dna_db_new(void)
{
    eyni_dna_db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->index_of = calloc((size_t)EYNI_DNA_NLOCI * DICT_CODES, 1);
    if (!db->index_of) {
        free(db);
        return NULL;
    }
    return db;
}

static void part_free(db_part *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->meta[i].extra);
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        free(p->cols[l]);
    free(p->meta);
    free(p->slots);
}

void eyni_dna_db_free(eyni_dna_db *db)
{
    if (!db)
        return;
    part_free(&db->parts[0]);
    part_free(&db->parts[1]);
    free(db->index_of);
    free(db);
}

size_t eyni_dna_db_count(const eyni_dna_db *db, eyni_dna_kind kind)
{
    return kind == EYNI_DNA_FORENSIC || kind == EYNI_DNA_REFERENCE ? db->parts[kind].n : 0;
}

/* Slot holding id, or the empty slot where it would go. */
static size_t slot_find(const db_part *p, const char *id, int *found)
{
    size_t mask = p->nslots - 1, s = (size_t)hash_id(id) & mask;
    while (p->slots[s]) {
        if (strcmp(p->meta[p->slots[s] - 1].id, id) == 0) {
            *found = 1;
            return s;
        }
        s = (s + 1) & mask;
    }
    *found = 0;
    return s;
}

static int slots_grow(db_part *p, size_t need)
{
    if (need * 2 <= p->nslots)
        return 0;
    size_t ns = p->nslots ? p->nslots : 1024;
    while (need * 2 > ns)
        ns *= 2;
    uint32_t *old = p->slots;
    size_t on = p->nslots;
    p->slots = calloc(ns, sizeof *p->slots);
    if (!p->slots) {
        p->slots = old;
        return -1;
    }
    p->nslots = ns;
    for (size_t i = 0; i < on; i++) {
        if (!old[i])
            continue;
        int found;
        p->slots[slot_find(p, p->meta[old[i] - 1].id, &found)] = old[i];
    }
    free(old);
    return 0;
}

static int part_reserve(db_part *p, size_t cap)
{
    if (cap <= p->cap)
        return 0;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        uint16_t *c = realloc(p->cols[l], cap * sizeof *c);
        if (!c)
            return -1;
        p->cols[l] = c;
    }
    db_meta *meta = realloc(p->meta, cap * sizeof *meta);
    if (!meta)
        return -1;
    p->meta = meta;
    p->cap = cap;
    return 0;
}

int eyni_dna_db_reserve(eyni_dna_db *db, size_t n, eyni_error *err)
{
    if (n > EYNI_DNA_MAX_PROFILES)
        return eyni_error_set(err, EYNI_ELIMIT, "DNA database: %zu profiles over the limit %u", n,
                              EYNI_DNA_MAX_PROFILES);
    for (int k = 0; k < 2; k++)
        if (part_reserve(&db->parts[k], db->parts[k].n + n) ||
            slots_grow(&db->parts[k], db->parts[k].n + n))
            return eyni_error_set(err, EYNI_ENOMEM, "DNA database: out of memory for %zu", n);
    return 0;
}

/* Dictionary index of an allele at a locus, adding it when new; 0 when full. */
static uint8_t dict_index(eyni_dna_db *db, int l, eyni_dna_allele a)
{
    if (a == EYNI_DNA_ALLELE_DROPOUT)
        return DB_DROPOUT;
    uint8_t *ix = &db->index_of[(size_t)l * DICT_CODES + a];
    if (*ix)
        return *ix;
    if (db->dict_n[l] >= DB_DICT_MAX)
        return 0;
    db->dict[l][++db->dict_n[l]] = a;
    *ix = (uint8_t)db->dict_n[l];
    return *ix;
}

/* Encodes a profile's genotypes into column keys; ELIMIT when a dictionary is full. */
static int encode_row(eyni_dna_db *db, const eyni_dna_profile *p, uint16_t *row, eyni_error *err)
{
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        eyni_dna_genotype g = p->loci[l];
        row[l] = 0;
        if (!g.a)
            continue;
        uint8_t x = dict_index(db, l, g.a), y = dict_index(db, l, g.b);
        if (!x || !y)
            return eyni_error_set(err, EYNI_ELIMIT, "DNA database: more than %d alleles at %s",
                                  DB_DICT_MAX, eyni_dna_locus_name(l));
        row[l] = (uint16_t)(x < y ? x << 8 | y : y << 8 | x);
    }
    return 0;
}

int eyni_dna_db_add(eyni_dna_db *db, const eyni_dna_profile *p, eyni_error *err)
{
    if (eyni_dna_profile_validate(p, err))
        return err ? err->code : EYNI_EFORMAT;
    if (!p->id[0])
        return eyni_error_set(err, EYNI_EINVAL, "DNA database: profile without id");
    db_part *part = &db->parts[p->kind];
    if (part->n + db->parts[!p->kind].n >= EYNI_DNA_MAX_PROFILES)
        return eyni_error_set(err, EYNI_ELIMIT, "DNA database: full (%u profiles)",
                              EYNI_DNA_MAX_PROFILES);
    if ((part->n == part->cap && part_reserve(part, part->cap ? part->cap * 2 : 1024)) ||
        slots_grow(part, part->n + 1))
        return eyni_error_set(err, EYNI_ENOMEM, "DNA database: out of memory");
    int found;
    size_t s = slot_find(part, p->id, &found);
    if (found)
        return eyni_error_set(err, EYNI_EEXIST, "DNA database: %s profile '%s' already present",
                              dna_kind_name(p->kind), p->id);
    uint16_t row[EYNI_DNA_NLOCI];
    if (encode_row(db, p, row, err))
        return err ? err->code : EYNI_ELIMIT;
    db_meta m;
    memset(&m, 0, sizeof m);
    memcpy(m.id, p->id, sizeof m.id);
    memcpy(m.population, p->population, sizeof m.population);
    if (p->case_id[0] || p->scene[0]) {
        size_t a = strlen(p->case_id), b = strlen(p->scene);
        if (!(m.extra = malloc(a + b + 2)))
            return eyni_error_set(err, EYNI_ENOMEM, "DNA database: out of memory");
        memcpy(m.extra, p->case_id, a + 1);
        memcpy(m.extra + a + 1, p->scene, b + 1);
    }
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        part->cols[l][part->n] = row[l];
    part->meta[part->n] = m;
    part->n++;
    part->slots[s] = (uint32_t)part->n;
    return 0;
}

/* Backward-shift deletion keeps linear probing free of tombstones. */
static void slot_delete(db_part *p, size_t s)
{
    size_t mask = p->nslots - 1, i = s, j = s;
    for (;;) {
        p->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!p->slots[j])
                return;
            size_t home = (size_t)hash_id(p->meta[p->slots[j] - 1].id) & mask;
            /* j may move to i only when its home is not cyclically in (i, j]. */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                break;
        }
        p->slots[i] = p->slots[j];
        i = j;
    }
}

int eyni_dna_db_remove(eyni_dna_db *db, eyni_dna_kind kind, const char *id, eyni_error *err)
{
    if (kind != EYNI_DNA_REFERENCE && kind != EYNI_DNA_FORENSIC)
        return eyni_error_set(err, EYNI_EINVAL, "DNA database: unknown kind");
    db_part *p = &db->parts[kind];
    int found = 0;
    size_t s = p->nslots ? slot_find(p, id, &found) : 0;
    if (!found)
        return eyni_error_set(err, EYNI_ENOTFOUND, "DNA database: no %s profile '%s'",
                              dna_kind_name(kind), id);
    size_t row = p->slots[s] - 1, last = p->n - 1;
    slot_delete(p, s);
    free(p->meta[row].extra);
    if (row != last) {
        /* The last row fills the hole; its slot now points at the new place. */
        for (int l = 0; l < EYNI_DNA_NLOCI; l++)
            p->cols[l][row] = p->cols[l][last];
        p->meta[row] = p->meta[last];
        size_t ls = slot_find(p, p->meta[row].id, &found);
        p->slots[ls] = (uint32_t)(row + 1);
    }
    p->n--;
    return 0;
}

void db_row_decode(const eyni_dna_db *db, eyni_dna_kind kind, size_t row, eyni_dna_profile *out)
{
    const db_part *p = &db->parts[kind];
    const db_meta *m = &p->meta[row];
    eyni_dna_profile_init(out);
    out->kind = kind;
    memcpy(out->id, m->id, sizeof out->id);
    memcpy(out->population, m->population, sizeof out->population);
    if (m->extra) {
        snprintf(out->case_id, sizeof out->case_id, "%s", m->extra);
        snprintf(out->scene, sizeof out->scene, "%s", m->extra + strlen(m->extra) + 1);
    }
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        unsigned key = p->cols[l][row];
        if (!key)
            continue;
        /* Keys order a pair by dictionary index; profiles order it by allele code. */
        out->loci[l] = dna_genotype_make(db_code(db, l, (uint8_t)(key >> 8)),
                                         db_code(db, l, (uint8_t)(key & 0xFF)));
    }
}

eyni_dna_allele db_code(const eyni_dna_db *db, int l, uint8_t ix)
{
    return ix == DB_DROPOUT ? EYNI_DNA_ALLELE_DROPOUT : db->dict[l][ix];
}

int eyni_dna_db_get(const eyni_dna_db *db, eyni_dna_kind kind, const char *id,
                    eyni_dna_profile *out, eyni_error *err)
{
    if (kind != EYNI_DNA_REFERENCE && kind != EYNI_DNA_FORENSIC)
        return eyni_error_set(err, EYNI_EINVAL, "DNA database: unknown kind");
    const db_part *p = &db->parts[kind];
    int found = 0;
    size_t s = p->nslots ? slot_find(p, id, &found) : 0;
    if (!found)
        return eyni_error_set(err, EYNI_ENOTFOUND, "DNA database: no %s profile '%s'",
                              dna_kind_name(kind), id);
    db_row_decode(db, kind, p->slots[s] - 1, out);
    return 0;
}

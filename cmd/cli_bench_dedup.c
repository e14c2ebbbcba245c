/* `eyni bench dedup DATA`: FIN-uniqueness (de-duplication) accuracy on an evaluation set
 * composed from real data, as the identity issue describes. Person k is LFW identity k (of
 * those with at least two images, by name) with FVC2002 finger k (DB1..DB3, 30 fingers) as
 * the right index finger (position 2). The first half of the persons are enrolled with
 * their first image and impression; then each re-applies under a new name with their
 * second image and impression, mixed with the other half, who were never enrolled.
 * FNIR = re-applications not flagged; FPIR = new persons flagged. Run three times: face
 * alone, finger alone, and both fused, each in a fresh register.
 *
 * --gallery N: one fused pass whose galleries also hold N distractors per modality (faces:
 * random unit vectors; fingers: eyni_finger_synthesize modelled on the 60 FVC impressions
 * in turn, at the right index position), built on two threads; the timed enrolments then
 * de-duplicate against N + the enrolled persons: ms per enrolment and persons per minute.
 * The resident size of the process (/proc/self/statm) is read before and after each
 * modality's distractors go in: "memory" gives the measured bytes per gallery entry. With
 * --voice-model M --voice-ref R (a reference from `eyni voice enrol`), N copies of that
 * reference are loaded as the identity service holds them: bytes per voice reference. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "eyni/face.h"
#include "eyni/identity.h"
#include "eyni/voice.h"

#define PERSONS 30

typedef struct subject {
    char face[2][4200];
    char finger[2][4200];
} subject;

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The two lowest-numbered images of one identity's folder; 0 when it has fewer. */
static int two_images(const char *dir, char out[2][4200])
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char *files[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (strstr(e->d_name, ".jpg"))
            files[n++] = strdup(e->d_name);
    closedir(d);
    qsort(files, (size_t)n, sizeof *files, cmpstr);
    for (int i = 0; i < 2 && i < n; i++)
        snprintf(out[i], 4200, "%s/%s", dir, files[i]);
    for (int i = 0; i < n; i++)
        free(files[i]);
    return n >= 2;
}

/* The first PERSONS LFW identities (by name) that have two images. */
static int pick_faces(const char *root, subject *s, eyni_error *err)
{
    char dir[4200], person[4400];
    snprintf(dir, sizeof dir, "%s/lfw-a-gray-dev/images", root);
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: not readable", dir);
    char *names[8192];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 8192)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmpstr);
    int k = 0;
    for (int i = 0; i < n && k < PERSONS; i++) {
        snprintf(person, sizeof person, "%s/%s", dir, names[i]);
        k += two_images(person, s[k].face);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    return k == PERSONS ? 0
                        : eyni_error_set(err, EYNI_ENOTFOUND,
                                         "%s: fewer than %d identities "
                                         "with two images",
                                         dir, PERSONS);
}

static void pick_fingers(const char *root, subject *s)
{
    for (int k = 0; k < PERSONS; k++)
        for (int i = 0; i < 2; i++)
            snprintf(s[k].finger[i], sizeof s[k].finger[i],
                     "%s/fvc2002-b-real/DB%d_B/images/%d_%d.tif", root, k / 10 + 1, 101 + k % 10,
                     i + 1);
}

static int load(const char *path, eyni_sample_in *out, const char *modality, int position,
                eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, 1 << 24, &buf, &len, err);
    if (rc == 0)
        *out = (eyni_sample_in){modality, position, buf, len};
    return rc;
}

/* One enrolment with face and/or finger of subject k, impression i; *status receives the
 * outcome ("unique", "possible", "duplicate"). */
static int enrol_one(eyni_identity *id, const subject *s, int k, int i, int mods,
                     const char *surname, char status[16], long long *case_id, eyni_error *err)
{
    eyni_sample_in in[2];
    int n = 0, rc = 0;
    if ((mods & 1) && (rc = load(s[k].face[i], &in[n], "face", 0, err)) == 0)
        n++;
    if (rc == 0 && (mods & 2) && (rc = load(s[k].finger[i], &in[n], "finger", 2, err)) == 0)
        n++;
    json_t *person = json_pack("{s:s, s:s, s:s, s:s}", "surname", surname, "given_name", "Bench",
                               "birth_date", "1980-01-01", "sex", "X");
    eyni_actor a;
    eyni_actor_local(&a, "BENCH", "de-duplication benchmark");
    json_t *out = NULL;
    if (rc == 0)
        rc = eyni_identity_enrol(id, &a, person, in, n, &out, err);
    if (rc == 0) {
        snprintf(status, 16, "%s", json_string_value(json_object_get(out, "status")));
        *case_id = json_integer_value(json_object_get(out, "case"));
    }
    for (int j = 0; j < n; j++)
        free((void *)in[j].data);
    json_decref(person);
    json_decref(out);
    return rc;
}

static void remove_tree(const char *dir)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "eyni bench dedup: could not remove %s\n", dir);
}

/* ---- distractors (--gallery N) ------------------------------------------------------ */

#define BATCH 256

typedef struct filler {
    eyni_identity *id;
    eyni_finger_template **models;
    int n_models;
    size_t from, to;
    int rc;
    eyni_error err;
} filler;

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A random direction: normalised standard normal coordinates (Box-Muller). */
static void random_unit(uint64_t *s, float *v)
{
    double n2 = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        double u = ((double)(mix(s) >> 11) + 1) / 9007199254740993.0;
        double w = (double)(mix(s) >> 11) / 9007199254740992.0;
        v[i] = (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * w));
        n2 += (double)v[i] * v[i];
    }
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        v[i] = (float)(v[i] / sqrt(n2));
}

/* Distractor fingers from..to, synthesised and added in batches. */
static void *fill_fingers(void *arg)
{
    filler *f = arg;
    eyni_finger_template *batch[BATCH];
    for (size_t at = f->from; at < f->to && f->rc == 0; at += BATCH) {
        size_t n = f->to - at < BATCH ? f->to - at : BATCH, made = 0;
        for (; made < n && f->rc == 0; made++)
            f->rc = eyni_finger_synthesize(at + made + 1, f->models[(at + made) % f->n_models],
                                           &batch[made], &f->err);
        made -= f->rc != 0;
        if (f->rc == 0)
            f->rc = eyni_identity_add_distractors(f->id, at, NULL, 0, batch, n, 2, &f->err);
        for (size_t i = 0; i < made; i++)
            eyni_finger_template_free(batch[i]);
    }
    return NULL;
}

/* The 60 FVC impressions of the persons as models for the synthetic fingers. */
static int finger_models(const subject *s, eyni_finger_template **m, eyni_error *err)
{
    for (int k = 0; k < PERSONS; k++)
        for (int i = 0; i < 2; i++) {
            eyni_image *img = NULL;
            int rc = eyni_image_load(s[k].finger[i], 1, &img, err);
            eyni_finger_opts o = {k / 10 == 1 ? 569.0 : 500.0, 2}; /* DB2: SOURCE.md */
            if (rc == 0)
                rc = eyni_finger_extract(img, &o, &m[2 * k + i], NULL, err);
            eyni_image_free(img);
            if (rc)
                return rc;
        }
    return 0;
}

/* Resident set size of this process in bytes; 0 when /proc cannot tell. */
static long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lld %lld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static int add_distractors(eyni_identity *id, const subject *s, size_t n, json_t *memory,
                           eyni_error *err)
{
    eyni_finger_template *models[2 * PERSONS] = {0};
    float *faces = malloc(sizeof(float) * EYNI_FACE_DIM * (n ? n : 1));
    int rc =
        faces ? finger_models(s, models, err) : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    uint64_t seed = 1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        random_unit(&seed, faces + i * EYNI_FACE_DIM);
    long long rss0 = rss_bytes();
    if (rc == 0)
        rc = eyni_identity_add_distractors(id, 0, faces, n, NULL, 0, 0, err);
    long long rss1 = rss_bytes();
    filler f[2] = {{id, models, 2 * PERSONS, 0, n / 2, 0, {0}},
                   {id, models, 2 * PERSONS, n / 2, n, 0, {0}}};
    if (rc == 0) {
        pthread_t t;
        int threaded = pthread_create(&t, NULL, fill_fingers, &f[1]) == 0;
        fill_fingers(&f[0]);
        if (threaded)
            pthread_join(t, NULL);
        else
            fill_fingers(&f[1]);
        for (int i = 0; i < 2 && rc == 0; i++)
            if (f[i].rc)
                *err = f[i].err, rc = f[i].rc;
    }
    long long rss2 = rss_bytes();
    if (rc == 0 && n) {
        json_object_set_new(memory, "rss_bytes_before", json_integer(rss0));
        json_object_set_new(memory, "face_bytes_per_entry", json_real((double)(rss1 - rss0) / n));
        json_object_set_new(memory, "finger_bytes_per_entry", json_real((double)(rss2 - rss1) / n));
        json_object_set_new(memory, "rss_bytes_after", json_integer(rss2));
    }
    for (int i = 0; i < 2 * PERSONS; i++)
        eyni_finger_template_free(models[i]);
    free(faces);
    return rc;
}

/* CPU time of the whole process (all threads): with the machine shared, CPU time / 2 is
 * what an enrolment would take on two idle cores. */
static double process_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One pass with the given modalities: {"fnir", "fpir", "duplicates", "new", ...}. */
/* n copies of one stored voice reference, loaded as the identity service keeps them. */
static int voice_memory(const char *model, const char *ref, size_t n, json_t *memory,
                        eyni_error *err)
{
    eyni_voice_model *m = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    eyni_voice_ref **refs = calloc(n ? n : 1, sizeof *refs);
    int rc = refs ? eyni_voice_model_read(model, &m, err)
                  : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = eyni_file_read(ref, 16u << 20, &buf, &len, err);
    long long rss0 = rss_bytes();
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = eyni_voice_ref_load(m, buf, len, ref, &refs[i], err);
    long long rss1 = rss_bytes();
    if (rc == 0)
        json_object_set_new(memory, "voice_bytes_per_reference",
                            json_real((double)(rss1 - rss0) / (double)n));
    for (size_t i = 0; refs && i < n; i++)
        eyni_voice_ref_free(refs[i]);
    free(refs);
    free(buf);
    eyni_voice_model_free(m);
    return rc;
}

static int run_pass(const subject *s, int mods, size_t distractors, json_t **out, eyni_error *err)
{
    char dir[64], status[16], name[32];
    eyni_register *reg = NULL;
    eyni_identity *id = NULL;
    int rc = cmd_bench_register("dedup", 2, dir, sizeof dir, &reg, err);
    if (rc == 0)
        rc = eyni_identity_open(reg, NULL, &id, err);
    double build_ms = eyni_time_ms();
    json_t *memory = json_object();
    if (rc == 0 && distractors)
        rc = add_distractors(id, s, distractors, memory, err);
    build_ms = eyni_time_ms() - build_ms;
    int half = PERSONS / 2, missed = 0, false_flags = 0, dup = 0, possible = 0;
    int enrolled[PERSONS] = {0}, fte = 0, reapplied = 0, newcomers = 0, timed = 0, cases0 = 0;
    long long case_id = 0;
    eyni_actor adj;
    eyni_actor_local(&adj, "BENCH", "adjudication with ground truth");
    /* A sample the quality gate refuses is a failure to enrol: that person leaves the set.
     * A first enrolment that opens a case is decided "different" from the ground truth, as
     * an adjudicator would, so every enrolled person is in the register. */
    for (int k = 0; rc == 0 && k < half; k++) {
        snprintf(name, sizeof name, "Enrolled%c%c", 'a' + k / 26, 'a' + k % 26);
        rc = enrol_one(id, s, k, 0, mods, name, status, &case_id, err);
        enrolled[k] = rc == 0;
        if (rc == EYNI_EQUALITY)
            fte++, rc = 0;
        if (rc == 0 && enrolled[k] && strcmp(status, "unique") != 0) {
            json_t *o = NULL;
            cases0++;
            rc = strcmp(status, "possible")
                     ? eyni_error_set(err, EYNI_EINTERNAL, "%s refused as a duplicate", name)
                     : eyni_register_case_decide(reg, &adj, case_id, "different", NULL,
                                                 "ground truth", &o, err);
            json_decref(o);
            if (rc == 0)
                rc = eyni_identity_sync(id, err);
        }
    }
    double t0 = eyni_time_ms(), worst = 0, c0 = process_cpu_ms();
    for (int k = 0; rc == 0 && k < PERSONS; k++) {
        int again = k < half;
        if (again && !enrolled[k])
            continue;
        snprintf(name, sizeof name, "%s%c%c", again ? "Alias" : "Newcomer", 'a' + k / 26,
                 'a' + k % 26);
        double t1 = eyni_time_ms();
        rc = enrol_one(id, s, k, again ? 1 : 0, mods, name, status, &case_id, err);
        if (rc == EYNI_EQUALITY) {
            fte++, rc = 0;
            continue;
        }
        t1 = eyni_time_ms() - t1;
        worst = t1 > worst ? t1 : worst;
        timed++;
        int flagged = strcmp(status, "unique") != 0;
        reapplied += again;
        newcomers += !again;
        missed += again && !flagged;
        false_flags += !again && flagged;
        dup += !strcmp(status, "duplicate");
        possible += !strcmp(status, "possible");
    }
    double ms = eyni_time_ms() - t0, cpu = process_cpu_ms() - c0;
    if (rc == 0)
        *out = json_pack("{s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, "
                         "s:I, s:f, s:f}",
                         "fnir", reapplied ? (double)missed / reapplied : 0.0, "fpir",
                         newcomers ? (double)false_flags / newcomers : 0.0, "re_applications",
                         reapplied, "newcomers", newcomers, "missed", missed, "false_flags",
                         false_flags, "decided_duplicate", dup, "opened_cases", possible,
                         "failure_to_enrol", fte, "cases_among_enrolled", cases0,
                         "ms_per_enrolment", timed ? ms / timed : 0.0, "ms_worst_enrolment", worst,
                         "persons_per_minute", ms > 0 ? timed * 60000.0 / ms : 0.0,
                         "distractors_per_modality", (json_int_t)distractors, "distractor_build_s",
                         build_ms / 1000, "cpu_ms_per_enrolment", timed ? cpu / timed : 0.0);
    if (rc == 0 && distractors)
        json_object_set(*out, "memory", memory);
    json_decref(memory);
    eyni_identity_close(id);
    eyni_register_close(reg);
    remove_tree(dir);
    return rc;
}

int cli_bench_dedup(int argc, char **argv)
{
    static const char usage[] = "eyni bench dedup DATA_ROOT (the shared data folder) "
                                "[--gallery N [--voice-model M --voice-ref R]] [--json]";
    if (argc < 2)
        return cli_usage(usage);
    int json = 0;
    long gallery = 0;
    const char *voice_model = NULL, *voice_ref = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--gallery") && i + 1 < argc)
            gallery = atol(argv[++i]);
        else if (!strcmp(argv[i], "--voice-model") && i + 1 < argc)
            voice_model = argv[++i];
        else if (!strcmp(argv[i], "--voice-ref") && i + 1 < argc)
            voice_ref = argv[++i];
        else
            return cli_usage(usage);
    }
    if (gallery < 0 || gallery > 10000000)
        return cli_usage("--gallery 0..10000000");
    if (!voice_model != !voice_ref || (voice_model && !gallery))
        return cli_usage(usage);
    subject *s = calloc(PERSONS, sizeof *s);
    eyni_error err;
    int rc = s ? pick_faces(argv[1], s, &err) : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        pick_fingers(argv[1], s);
    static const char *const names[] = {"face", "finger", "fused"};
    json_t *out = json_object();
    /* With distractors, the fused pass alone: it is the enrolment the register runs. */
    for (int m = gallery ? 2 : 0; rc == 0 && m < 3; m++) {
        json_t *pass = NULL;
        fprintf(stderr, "eyni bench dedup: %s...\n", names[m]);
        rc = run_pass(s, m + 1, (size_t)gallery, &pass, &err);
        if (rc == 0)
            json_object_set_new(out, names[m], pass);
    }
    if (rc == 0 && voice_model) {
        fprintf(stderr, "eyni bench dedup: voice references...\n");
        rc = voice_memory(voice_model, voice_ref, (size_t)gallery,
                          json_object_get(json_object_get(out, "fused"), "memory"), &err);
    }
    free(s);
    if (rc) {
        json_decref(out);
        return cli_fail(&err);
    }
    json_object_set_new(out, "protocol",
                        json_string("30 persons: LFW identity k + FVC2002 finger k; 15 enrolled, "
                                    "15 re-apply under a new name with their other image and "
                                    "impression, 15 newcomers; thresholds as configured"));
    return cli_emit(out, json);
}

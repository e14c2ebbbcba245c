/*
 * `eyni bench voice DIR`: speaker verification accuracy and speed on DIR/<speaker>/<files>.
 *
 * Roles of the recordings. FSDD names (<digit>_<speaker>_<index>.wav) follow the upstream
 * split: indices 0-4 are test recordings (scored, never trained on); of the others, the
 * first --enrol per speaker in (index, digit) order enrol that speaker (20 = every digit
 * twice) and the rest, capped at --ubm-per-speaker, train the UBM and its calibration.
 * Other names: every tenth file in name order is a test file, then enrolment, then UBM.
 *
 * Protocols: "split" trains one model on every speaker's UBM recordings and scores every
 * test recording against every speaker reference. "loso" trains, for each speaker, a model
 * on the other speakers only, enrols that speaker and scores all test recordings against
 * it: the target was never seen by the UBM or the calibration. "disjoint" splits the
 * speakers into two halves and evaluates each half with the model of the other, so every
 * scored speaker, target or impostor, is unseen.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cli.h"
#include "cli_voice.h"
#include "eyni/onnx.h"

enum { ROLE_TEST, ROLE_ENROL, ROLE_UBM, ROLE_UNUSED };

typedef struct bopts {
    const char *dir, *protocol, *vad;
    int json, components, enrol, ubm_per_speaker, generalisation;
    int ceps, deltas, cmvn, top_c, scoring, nap, ivec, cohort;
    double relevance;
    unsigned long long seed;
} bopts;

typedef struct results {
    double *gen, *imp;
    size_t ng, ni, cap_g, cap_i;
    size_t rank_ok, rank_n;        /* closed-set rank-1 identification */
    size_t false_match, false_non; /* decisions at each model's calibrated threshold */
    double ms, seconds;            /* probe processing time and audio duration */
    double train_seconds;
    size_t ubm_recordings;
    /* Where rank-1 identification errs: by spoken digit (FSDD), by speech duration
     * (< 0.3 s, 0.3-0.5 s, > 0.5 s) and by the speaker wrongly ranked first. */
    size_t digit_n[10], digit_err[10], dur_n[3], dur_err[3];
    size_t *confusion; /* n_speakers x n_speakers, [true][ranked first] */
} results;

static const char *usage_text =
    "eyni bench voice DIR [--protocol split|loso|disjoint] [--generalisation] "
    "[--components K] [--enrol N] [--ubm-per-speaker N] [--seed S] [--ceps N] [--deltas 0-2] "
    "[--cmvn 0-2] [--top-c C] [--relevance R] [--scoring llr|sv|ivec] [--nap N] [--ivec R] "
    "[--cohort N] [--vad energy|silero] "
    "[--json] "
    "[--data DIR]";

/* ---- roles -------------------------------------------------------------------------- */

typedef struct item {
    size_t i;
    int index, digit;
} item;

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->index != y->index)
        return x->index - y->index;
    if (x->digit != y->digit)
        return x->digit - y->digit;
    return (x->i > y->i) - (x->i < y->i);
}

static int fsdd_name(const char *file, int *digit, int *index)
{
    char spk[256];
    char tail[16];
    return sscanf(file, "%d_%255[^_]_%d%15s", digit, spk, index, tail) == 4 &&
           strcmp(tail, ".wav") == 0;
}

static void roles_for_speaker(const cli_voice_set *s, int sp, const bopts *o, int *role, item *tmp)
{
    size_t n = 0;
    int fsdd = 1;
    for (size_t i = 0; i < s->n; i++)
        if (s->speaker[i] == sp) {
            int dg = 0, ix = 0;
            if (!fsdd_name(s->file[i], &dg, &ix))
                fsdd = 0;
            tmp[n++] = (item){i, ix, dg};
        }
    if (fsdd) {
        for (size_t j = 0; j < n; j++)
            role[tmp[j].i] = tmp[j].index < 5 ? ROLE_TEST : ROLE_UNUSED;
        qsort(tmp, n, sizeof *tmp, cmp_item);
    } else {
        for (size_t j = 0; j < n; j++)
            role[tmp[j].i] = j % 10 == 0 ? ROLE_TEST : ROLE_UNUSED;
    }
    int ne = 0, nu = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = tmp[j].i;
        if (role[i] == ROLE_TEST)
            continue;
        if (ne < o->enrol) {
            role[i] = ROLE_ENROL;
            ne++;
        } else if (o->ubm_per_speaker <= 0 || nu < o->ubm_per_speaker) {
            role[i] = ROLE_UBM;
            nu++;
        }
    }
}

/* ---- scores ------------------------------------------------------------------------- */

static int push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        double *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rate where false non-matches (genuine below t) equal false matches (impostor >= t). */
static double eer(double *g, size_t ng, double *im, size_t ni)
{
    if (!ng || !ni)
        return NAN;
    qsort(g, ng, sizeof *g, cmp_double);
    qsort(im, ni, sizeof *im, cmp_double);
    double best = 2, out = 0.5;
    size_t gi = 0, ii = 0;
    for (;;) {
        double frr = (double)gi / (double)ng, far = (double)(ni - ii) / (double)ni;
        if (fabs(frr - far) < best) {
            best = fabs(frr - far);
            out = (frr + far) / 2;
        }
        if (gi == ng && ii == ni)
            break;
        if (ii == ni || (gi < ng && g[gi] <= im[ii]))
            gi++;
        else
            ii++;
    }
    return out;
}

/* ---- one fold ----------------------------------------------------------------------- */

typedef struct fold {
    const unsigned char *train_spk, *target_spk, *probe_spk;
} fold;

static void train_opts(const bopts *o, eyni_voice_train_opts *to)
{
    eyni_voice_train_opts_default(to);
    if (o->components)
        to->components = o->components;
    if (o->ceps)
        to->n_ceps = o->ceps;
    if (o->deltas >= 0)
        to->deltas = o->deltas;
    if (o->cmvn >= 0)
        to->cmvn = o->cmvn;
    if (o->top_c)
        to->top_c = o->top_c;
    if (o->relevance > 0)
        to->relevance = o->relevance;
    if (o->scoring >= 0)
        to->scoring = o->scoring;
    if (o->nap >= 0)
        to->nap_rank = o->nap;
    if (o->ivec > 0)
        to->ivec_dim = o->ivec;
    if (o->cohort >= 0)
        to->cohort = o->cohort;
    to->seed = o->seed;
}

static int train_fold(const cli_voice_set *s, const int *role, const fold *f, const bopts *o,
                      eyni_voice_model **m, results *r, eyni_error *err)
{
    const eyni_voice_audio **a = malloc(s->n * sizeof *a);
    int *lab = malloc(s->n * sizeof *lab);
    size_t n = 0;
    if (!a || !lab) {
        free(a);
        free(lab);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n; i++)
        if (role[i] == ROLE_UBM && f->train_spk[s->speaker[i]]) {
            a[n] = s->audio[i];
            lab[n++] = s->speaker[i];
        }
    eyni_voice_train_opts to;
    train_opts(o, &to);
    double t0 = eyni_time_ms();
    int rc = eyni_voice_train(a, lab, n, &to, m, err);
    r->train_seconds += (eyni_time_ms() - t0) / 1000;
    r->ubm_recordings += n;
    fprintf(stderr, "bench voice: model trained on %zu recordings\n", n);
    free(a);
    free(lab);
    return rc;
}

static int enrol_fold(const cli_voice_set *s, const int *role, const fold *f,
                      const eyni_voice_model *m, eyni_voice_ref **refs, eyni_error *err)
{
    const eyni_voice_audio **a = malloc(s->n * sizeof *a);
    if (!a)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t sp = 0; sp < s->n_speakers && rc == 0; sp++) {
        if (!f->target_spk[sp])
            continue;
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
            if (role[i] == ROLE_ENROL && s->speaker[i] == (int)sp)
                a[n++] = s->audio[i];
        rc = eyni_voice_enrol(m, a, n, &refs[sp], err);
        if (rc)
            eyni_error_prefix(err, "enrolling %s: ", s->speakers[sp]);
    }
    free(a);
    return rc;
}

static void tally_rank1(const cli_voice_set *s, size_t i, int best_sp, double speech, results *r)
{
    int ok = best_sp == s->speaker[i], dg, ix;
    r->rank_n++;
    r->rank_ok += ok;
    if (fsdd_name(s->file[i], &dg, &ix) && dg >= 0 && dg <= 9) {
        r->digit_n[dg]++;
        r->digit_err[dg] += !ok;
    }
    int b = speech < 0.3 ? 0 : speech <= 0.5 ? 1 : 2;
    r->dur_n[b]++;
    r->dur_err[b] += !ok;
    if (r->confusion && !ok)
        r->confusion[(size_t)s->speaker[i] * s->n_speakers + (size_t)best_sp]++;
}

/* Reads, extracts and scores one test recording against every target; timed. */
static int score_probe(const cli_voice_set *s, size_t i, const fold *f, const eyni_voice_model *m,
                       eyni_voice_ref **refs, results *r, eyni_error *err)
{
    double t0 = eyni_time_ms();
    eyni_voice_audio *a = NULL;
    eyni_voice_probe *p = NULL;
    int rc = eyni_voice_audio_read_vad(s->path[i], s->vad, &a, NULL, err);
    if (rc == 0)
        rc = eyni_voice_probe_new(m, a, &p, err);
    double thr = eyni_voice_model_threshold(m, 0);
    double best = -INFINITY;
    int best_sp = -1;
    for (size_t sp = 0; rc == 0 && sp < s->n_speakers; sp++) {
        if (!refs[sp])
            continue;
        double sc;
        if ((rc = eyni_voice_score(m, refs[sp], p, &sc, err)) != 0)
            break;
        if (sc > best) {
            best = sc;
            best_sp = (int)sp;
        }
        int genuine = s->speaker[i] == (int)sp;
        if (push(genuine ? &r->gen : &r->imp, genuine ? &r->ng : &r->ni,
                 genuine ? &r->cap_g : &r->cap_i, sc))
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
        if (genuine && sc < thr)
            r->false_non++;
        if (!genuine && sc >= thr)
            r->false_match++;
    }
    r->ms += eyni_time_ms() - t0;
    if (rc == 0) {
        r->seconds += eyni_voice_audio_seconds(a);
        if (f->target_spk[s->speaker[i]] && best_sp >= 0)
            tally_rank1(s, i, best_sp, eyni_voice_audio_speech_seconds(a), r);
    }
    eyni_voice_probe_free(p);
    eyni_voice_audio_free(a);
    return rc;
}

static int run_fold(const cli_voice_set *s, const int *role, const fold *f, const bopts *o,
                    results *r, eyni_error *err)
{
    eyni_voice_model *m = NULL;
    eyni_voice_ref **refs = calloc(s->n_speakers, sizeof *refs);
    if (!refs)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    int rc = train_fold(s, role, f, o, &m, r, err);
    if (rc == 0)
        rc = enrol_fold(s, role, f, m, refs, err);
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        if (role[i] == ROLE_TEST && f->probe_spk[s->speaker[i]])
            rc = score_probe(s, i, f, m, refs, r, err);
    for (size_t sp = 0; sp < s->n_speakers; sp++)
        eyni_voice_ref_free(refs[sp]);
    free(refs);
    eyni_voice_model_free(m);
    return rc;
}

static int run_protocol(const cli_voice_set *s, const int *role, const char *proto, const bopts *o,
                        results *r, eyni_error *err)
{
    size_t ns = s->n_speakers;
    unsigned char *a = malloc(ns), *b = malloc(ns), *c = malloc(ns);
    int rc = 0;
    if (!a || !b || !c) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
        goto done;
    }
    if (strcmp(proto, "split") == 0) {
        memset(a, 1, ns);
        fold f = {a, a, a};
        rc = run_fold(s, role, &f, o, r, err);
    } else if (strcmp(proto, "loso") == 0) {
        memset(c, 1, ns);
        for (size_t k = 0; k < ns && rc == 0; k++) {
            for (size_t j = 0; j < ns; j++) {
                a[j] = j != k;
                b[j] = j == k;
            }
            fold f = {a, b, c};
            rc = run_fold(s, role, &f, o, r, err);
        }
    } else if (strcmp(proto, "disjoint") == 0) {
        for (int half = 0; half < 2 && rc == 0; half++) {
            for (size_t j = 0; j < ns; j++) {
                a[j] = (j < ns / 2) == (half == 0);
                b[j] = !a[j];
            }
            fold f = {a, b, b};
            rc = run_fold(s, role, &f, o, r, err);
        }
    } else {
        rc = eyni_error_set(err, EYNI_EINVAL, "unknown protocol '%s'", proto);
    }
done:
    free(a);
    free(b);
    free(c);
    return rc;
}

static json_t *rank1_errors(const cli_voice_set *s, const results *r)
{
    json_t *o = json_object(), *dg = json_object(), *du = json_object(), *cf = json_object();
    char key[16];
    for (int d = 0; d < 10; d++)
        if (r->digit_n[d]) {
            snprintf(key, sizeof key, "%d", d);
            json_object_set_new(
                dg, key,
                json_pack("[I,I]", (json_int_t)r->digit_err[d], (json_int_t)r->digit_n[d]));
        }
    const char *dn[3] = {"under_0.3s", "0.3-0.5s", "over_0.5s"};
    for (int b = 0; b < 3; b++)
        json_object_set_new(du, dn[b],
                            json_pack("[I,I]", (json_int_t)r->dur_err[b], (json_int_t)r->dur_n[b]));
    for (size_t a = 0; r->confusion && a < s->n_speakers; a++)
        for (size_t b = 0; b < s->n_speakers; b++)
            if (r->confusion[a * s->n_speakers + b]) {
                char k2[512];
                snprintf(k2, sizeof k2, "%s->%s", s->speakers[a], s->speakers[b]);
                json_object_set_new(cf, k2,
                                    json_integer((json_int_t)r->confusion[a * s->n_speakers + b]));
            }
    json_object_set_new(o, "by_digit", dg);
    json_object_set_new(o, "by_speech_duration", du);
    json_object_set_new(o, "confusions", cf);
    return o;
}

static json_t *report(const char *proto, results *r)
{
    size_t ng = r->ng, ni = r->ni;
    double e = eer(r->gen, ng, r->imp, ni);
    json_t *j = json_pack("{s:s,s:f,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:I}", "protocol", proto, "eer", e,
                          "trials", (json_int_t)(ng + ni), "genuine", (json_int_t)ng, "impostor",
                          (json_int_t)ni, "fmr_at_threshold",
                          ni ? (double)r->false_match / (double)ni : 0.0, "fnmr_at_threshold",
                          ng ? (double)r->false_non / (double)ng : 0.0, "ms_per_second_of_audio",
                          r->seconds > 0 ? r->ms / r->seconds : 0.0, "train_seconds",
                          r->train_seconds, "ubm_recordings", (json_int_t)r->ubm_recordings);
    if (j && r->rank_n && strcmp(proto, "loso") != 0)
        json_object_set_new(j, "rank1_identification",
                            json_real((double)r->rank_ok / (double)r->rank_n));
    return j;
}

static void results_free(results *r)
{
    free(r->confusion);
    free(r->gen);
    free(r->imp);
}

static int scoring_named(const char *s)
{
    return strcmp(s, "llr") == 0    ? EYNI_VOICE_SCORE_LLR
           : strcmp(s, "ivec") == 0 ? EYNI_VOICE_SCORE_IVEC
                                    : EYNI_VOICE_SCORE_SV;
}

static int parse(int argc, char **argv, bopts *o)
{
    memset(o, 0, sizeof *o);
    o->protocol = "split";
    o->enrol = 20;
    o->seed = 1;
    o->deltas = -1;
    o->cmvn = -1;
    o->scoring = -1;
    o->nap = -1;
    o->cohort = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--generalisation") == 0)
            o->generalisation = 1;
        else if (strcmp(a, "--protocol") == 0 && more)
            o->protocol = argv[++i];
        else if (strcmp(a, "--vad") == 0 && more)
            o->vad = argv[++i];
        else if (strcmp(a, "--components") == 0 && more)
            o->components = atoi(argv[++i]);
        else if (strcmp(a, "--enrol") == 0 && more)
            o->enrol = atoi(argv[++i]);
        else if (strcmp(a, "--ubm-per-speaker") == 0 && more)
            o->ubm_per_speaker = atoi(argv[++i]);
        else if (strcmp(a, "--seed") == 0 && more)
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--ceps") == 0 && more)
            o->ceps = atoi(argv[++i]);
        else if (strcmp(a, "--deltas") == 0 && more)
            o->deltas = atoi(argv[++i]);
        else if (strcmp(a, "--cmvn") == 0 && more)
            o->cmvn = atoi(argv[++i]);
        else if (strcmp(a, "--top-c") == 0 && more)
            o->top_c = atoi(argv[++i]);
        else if (strcmp(a, "--scoring") == 0 && more)
            o->scoring = scoring_named(argv[++i]);
        else if (strcmp(a, "--cohort") == 0 && more)
            o->cohort = atoi(argv[++i]);
        else if (strcmp(a, "--ivec") == 0 && more)
            o->ivec = atoi(argv[++i]);
        else if (strcmp(a, "--nap") == 0 && more)
            o->nap = atoi(argv[++i]);
        else if (strcmp(a, "--relevance") == 0 && more)
            o->relevance = strtod(argv[++i], NULL);
        else if (strcmp(a, "--data") == 0 && more)
            i++;
        else if (a[0] == '-' && a[1] == '-')
            return -1;
        else if (!o->dir)
            o->dir = a;
        else
            return -1;
    }
    return o->dir && o->enrol >= 1 ? 0 : -1;
}

static json_t *recipe(const bopts *o)
{
    eyni_voice_train_opts to;
    train_opts(o, &to);
    const char *sc = to.scoring == EYNI_VOICE_SCORE_LLR    ? "llr"
                     : to.scoring == EYNI_VOICE_SCORE_IVEC ? "ivec"
                                                           : "sv";
    return json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:f,s:i,s:i,s:i,s:I}", "scoring", sc, "components",
                     to.components, "cepstra", to.n_ceps, "deltas", to.deltas, "cmvn", to.cmvn,
                     "top_c", to.top_c, "relevance", to.relevance, "nap_rank", to.nap_rank,
                     "ivec_dim", to.scoring == EYNI_VOICE_SCORE_IVEC ? to.ivec_dim : 0, "cohort",
                     to.cohort, "seed", (json_int_t)to.seed);
}

static json_t *protocol_text(const bopts *o)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "FSDD indices 0-4 scored against every target reference; references enrolled "
             "on the first %d other recordings per speaker in (index, digit) order; UBM and "
             "threshold calibration on the remaining recordings%s",
             o->enrol, o->ubm_per_speaker > 0 ? " (capped per speaker)" : "");
    return json_string(buf);
}

int cli_bench_voice(int argc, char **argv)
{
    bopts o;
    if (parse(argc, argv, &o) != 0)
        return cli_usage(usage_text);
    /* The speed target is per core: keep OpenBLAS from spreading small products over
     * threads (the library itself never changes this process-wide setting). */
    openblas_set_num_threads(1);
    eyni_error err = {0};
    cli_voice_set s;
    eyni_onnx_env *env = NULL;
    eyni_voice_vad *vad = NULL;
    if (cli_voice_vad_open(o.vad, &env, &vad, &err) != 0)
        return cli_fail(&err);
    if (cli_voice_set_load(o.dir, vad, &s, &err) != 0) {
        cli_voice_vad_close(env, vad);
        return cli_fail(&err);
    }
    int *role = malloc(s.n * sizeof *role);
    item *tmp = malloc(s.n * sizeof *tmp);
    results r = {0};
    int rc = role && tmp ? 0 : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    for (size_t sp = 0; rc == 0 && sp < s.n_speakers; sp++)
        roles_for_speaker(&s, (int)sp, &o, role, tmp);
    if (rc == 0 && !(r.confusion = calloc(s.n_speakers * s.n_speakers, sizeof *r.confusion)))
        rc = eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = run_protocol(&s, role, o.protocol, &o, &r, &err);
    json_t *out = rc == 0 ? report(o.protocol, &r) : NULL;
    if (out && r.rank_n && strcmp(o.protocol, "loso") != 0)
        json_object_set_new(out, "rank1_errors", rank1_errors(&s, &r));
    if (out) {
        json_object_set_new(out, "speakers", json_integer((json_int_t)s.n_speakers));
        json_object_set_new(out, "recordings", json_integer((json_int_t)s.n));
        json_object_set_new(out, "rejected", json_integer((json_int_t)s.rejected));
        json_object_set_new(out, "enrol_per_speaker", json_integer(o.enrol));
        json_object_set_new(out, "ubm_per_speaker", json_integer(o.ubm_per_speaker));
        json_object_set_new(out, "protocol_text", protocol_text(&o));
        json_object_set_new(out, "timing_text",
                            json_string("ms_per_second_of_audio: wall time to read, decode, "
                                        "check, extract and score each test recording against "
                                        "every reference, one BLAS thread, divided by the "
                                        "recordings' duration"));
        json_object_set_new(out, "recipe", recipe(&o));
        json_object_set_new(json_object_get(out, "recipe"), "vad",
                            json_string(vad ? "silero" : "energy"));
    }
    if (rc == 0 && out && o.generalisation) {
        json_t *gen = json_object();
        const char *protos[] = {"loso", "disjoint"};
        for (int k = 0; k < 2 && rc == 0; k++) {
            results g = {0};
            rc = run_protocol(&s, role, protos[k], &o, &g, &err);
            if (rc == 0)
                json_object_set_new(gen, protos[k], report(protos[k], &g));
            results_free(&g);
        }
        json_object_set_new(out, "generalisation", gen);
    }
    int code = rc ? cli_fail(&err) : cli_emit(out, o.json);
    if (rc)
        json_decref(out);
    results_free(&r);
    free(role);
    free(tmp);
    cli_voice_set_free(&s);
    cli_voice_vad_close(env, vad);
    return code;
}

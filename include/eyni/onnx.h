/*
 * eyni/onnx.h - the shared ONNX Runtime wrapper (face, voice activity, video).
 *
 * One eyni_onnx_env per process, created by the caller and passed explicitly; it owns the
 * runtime environment. Sessions are opened once from a model file whose SHA-256 is checked
 * against a pin before the bytes reach the runtime, then reused: eyni_onnx_run may be called
 * from several threads on the same session at once (ONNX Runtime's Run is thread-safe).
 * Every OrtStatus the runtime returns becomes an eyni_error (EYNI_EMODEL) naming the model.
 */
#ifndef EYNI_ONNX_H
#define EYNI_ONNX_H

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_ONNX_MAX_RANK        8
#define EYNI_ONNX_MAX_IO          16
#define EYNI_ONNX_MAX_MODEL_BYTES (512u * 1024 * 1024)

typedef struct eyni_onnx_env eyni_onnx_env;
typedef struct eyni_onnx_session eyni_onnx_session;

typedef struct eyni_onnx_opts {
    int intra_threads; /* threads inside one operator; 0 = 1 */
    int inter_threads; /* threads across operators; 0 = 1 */
    int spin;          /* 1 lets idle worker threads spin (lower latency, burns CPU) */
} eyni_onnx_opts;

typedef enum eyni_onnx_type { EYNI_ONNX_FLOAT = 1, EYNI_ONNX_INT64 = 7 } eyni_onnx_type;

/*
 * A tensor in caller memory. For inputs, data holds count elements of type with the given
 * shape. For outputs, data is a buffer of count elements the run fills; on return shape,
 * rank and count describe what the model produced (ELIMIT when the buffer is too small).
 */
typedef struct eyni_onnx_tensor {
    const char *name; /* graph input/output name */
    eyni_onnx_type type;
    void *data;
    size_t count;
    int64_t shape[EYNI_ONNX_MAX_RANK];
    size_t rank;
} eyni_onnx_tensor;

/* Creates the runtime environment (log_id tags the runtime's own log lines). */
int eyni_onnx_env_new(const char *log_id, eyni_onnx_env **out, eyni_error *err);
/* Frees the environment; every session opened from it must be freed first. */
void eyni_onnx_env_free(eyni_onnx_env *env);

/*
 * Opens a model. sha256_hex (64 lower-case hex digits) is required: the file is read
 * whole, hashed and compared before the runtime sees it (ECRYPTO on mismatch). opts may
 * be NULL for one thread of each kind.
 */
int eyni_onnx_session_open(eyni_onnx_env *env, const char *path, const char *sha256_hex,
                           const eyni_onnx_opts *opts, eyni_onnx_session **out, eyni_error *err);
void eyni_onnx_session_free(eyni_onnx_session *s);

/* Number and names of the graph's inputs/outputs; names live as long as the session. */
size_t eyni_onnx_session_input_count(const eyni_onnx_session *s);
size_t eyni_onnx_session_output_count(const eyni_onnx_session *s);
const char *eyni_onnx_session_input_name(const eyni_onnx_session *s, size_t i);
const char *eyni_onnx_session_output_name(const eyni_onnx_session *s, size_t i);

/* Runs the model once. Thread-safe for concurrent calls on one session. */
int eyni_onnx_run(eyni_onnx_session *s, const eyni_onnx_tensor *in, size_t n_in,
                  eyni_onnx_tensor *out, size_t n_out, eyni_error *err);

/* The model directory: $EYNI_MODEL_DIR, else $EYNI_CACHE/models, else
 * $HOME/.cache/eyni/models. Writes into buf[cap]; ELIMIT when it does not fit. */
int eyni_onnx_model_dir(char *buf, size_t cap, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* bootstrap.h: few-shot optimisation as DSPy does it (BootstrapFewShot and
 * BootstrapFewShotWithRandomSearch, dspy/teleprompt/bootstrap.py and
 * random_search.py), plus the choice of training and validation sets.
 *
 * No SQL, no curses, no network: the program is run through a predict
 * callback the caller implements (the CLI with the scorer and the pool, the
 * unit tests with a fake). A call runs a batch, so the caller may use
 * concurrency; results are always consumed in training-set order, so the
 * outcome is exactly DSPy's sequential traversal.
 *
 * Matched DSPy behaviour (3.x; BootstrapFewShot):
 *  - teacher = the zero-shot student plus LabeledFewShot(k=max_labeled):
 *    a seeded sample of min(k, n) training examples as labeled demos
 *    (DSPy: random.Random(0).sample(trainset, k)); none when k = 0.
 *  - the training set is walked in order (BootstrapFewShot never shuffles),
 *    stopping once max_bootstrapped demos are accepted; each example gets
 *    up to max_rounds attempts (round r > 0 is asked at temperature
 *    0.7 + 0.001 r, to get past the cache); while it runs, the teacher's
 *    demos are filtered so it never sees the example being bootstrapped.
 *  - acceptance: with a non-zero threshold, value >= threshold; otherwise
 *    the metric value's truthiness (value != 0), as `if metric_threshold:`
 *    in DSPy treats 0 as "no threshold".
 *  - a failed prediction is an error, not a rejection by the metric; once
 *    max_errors errors have happened the compile fails (DSPy re-raises).
 *  - final demos: the accepted (augmented) demos in order, then labeled
 *    demos filling up to max_labeled: a seeded sample of the examples that
 *    were not bootstrapped (shuffled first, as DSPy's self.validation).
 * Random search (candidates K > 0) builds programs for seeds -3 (zero-shot),
 * -2 (labeled only), -1 (unshuffled BootstrapFewShot) and 0..K-1 (training
 * set shuffled by the seed, max_bootstrapped drawn in [1, max]), evaluates
 * each on the validation set and keeps the first best (strictly higher
 * wins, so ties go to the earlier candidate).
 * Where DSPy seeds Python's random.Random with a constant (0, or the
 * candidate seed), curate derives an independent stream from --seed and a
 * tag: the same seed gives the same program. */
#ifndef CURATE_BOOTSTRAP_H
#define CURATE_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "metric.h"
#include "program.h"
#include "rubric.h"

/* ---- training / validation sets ---- */

/* A reviewed conversation as the selection sees it. */
typedef struct {
    const char *conv_id;
    double overall;          /* the human overall score */
    int edge;                /* a curated edge case */
} bs_item;

typedef struct {
    size_t edge;             /* edge cases to take (at most) */
    size_t sample;           /* stratified training examples */
    size_t val;              /* validation examples (>= 1) */
    uint64_t seed;
    double lo, hi;           /* range of the overall score (the bins) */
    /* The validation ids an earlier run used (may be NULL): they stay in
     * validation (the set only grows), new members come by hash. */
    const char *const *prev_val;
    size_t nprev_val;
} bs_select_opts;

#define BS_BINS 3            /* low / mid / high thirds of [lo, hi] */

typedef struct {
    size_t *train, ntrain;   /* indices into the items, in training order:
                                the edge cases first, then the sample
                                interleaved low, mid, high, low, ... */
    size_t *val, nval;       /* indices, ascending */
    size_t n_edge;           /* edge cases at the front of train */
    size_t bin_avail[BS_BINS];  /* sampling pool per bin */
    size_t bin_taken[BS_BINS];  /* sampled per bin */
    size_t missing;          /* when selection fails for lack of labels:
                                how many more reviewed examples are needed */
} bs_split;

/* Bin of an overall score: 0 low, 1 mid, 2 high. */
int bs_bin_of(double v, double lo, double hi);

/* Chooses the sets. Validation: every non-edge reviewed example that an
 * earlier run validated on (prev_val), topped up to `val` with the others
 * of lowest seeded hash of their id (hash_fnv1a(id, seed)): membership is
 * decided per conversation, so a new label never moves an old one, and
 * the set does not move when --edge or --sample change. Training: every edge case up to `edge` (a seeded choice
 * when there are more), then `sample` examples from the rest (non-edge
 * examples outside the validation set, and edge cases beyond `edge`),
 * spread evenly over the bins; a bin short of examples gives its share to
 * the others. Fails (-1, err, out->missing > 0) when there are fewer
 * reviewed examples than val + sample. Free with bs_split_clear(). */
int bs_select(const bs_item *items, size_t n, const bs_select_opts *o,
              bs_split *out, char *err);
void bs_split_clear(bs_split *s);

/* ---- examples and predictions ---- */

/* A labeled example: the model's inputs and the human label. The caller
 * owns the strings (the CLI fills inputs with prompt_inputs_for_convo). */
typedef struct {
    char *conv_id;
    char *inputs[RUBRIC_MAX_FIELDS];  /* by field index; inputs only */
    scoreset gold;                    /* the current human label */
    char *rationale;                  /* its rationale (the reviewer's, else
                                         the model's) for the first text
                                         output, or NULL */
} bs_example;

/* One call of a batch: run program pg (never NULL; no demos = zero-shot)
 * on example ex. Calls of one batch that share pg and round may run
 * together (the teacher without the example itself is its own program). */
typedef struct {
    const program *pg;
    const bs_example *ex;
    int round;               /* 0; DSPy's retry round r > 0 is asked at
                                temperature 0.7 + 0.001 r */
} bs_call;

/* What the caller returns for one call. ok = 1 only when every score field
 * parsed (a partial answer is a failure, as a DSPy adapter parse error):
 * then scores holds the validated scores and d the demo as the model wrote
 * it (inputs, reasoning, raw output strings; see prompt_demo_from_answer).
 * ok = 0: error says why (malloc'd, may be NULL). Cleared by the core. */
typedef struct {
    int ok;
    scoreset scores;
    demo d;
    char *error;
} bs_prediction;

void bs_prediction_clear(bs_prediction *p);

/* Runs n calls (out[] is zeroed by the core). Returns 0 (individual
 * failures go in out[i].ok/error) or -1 + err to abort the whole job
 * (cancelled, endpoint unusable). */
typedef int (*bs_predict_fn)(void *ctx, const bs_call *calls, size_t n,
                             bs_prediction *out, char *err);

/* ---- progress ---- */

typedef enum {
    BS_EV_CANDIDATE,         /* a candidate program is being built */
    BS_EV_ATTEMPT,           /* one bootstrap attempt was judged */
    BS_EV_BUILT,             /* the candidate's demos are chosen */
    BS_EV_EVALUATED          /* random search: a candidate's val score */
} bs_event_kind;

typedef struct {
    bs_event_kind kind;
    int cand_seed;           /* -3 zero-shot, -2 labeled only,
                                -1 unshuffled bootstrap, >= 0 shuffled */
    size_t max_bootstrapped; /* CANDIDATE: this candidate's limit */
    /* ATTEMPT */
    size_t example;          /* position in this candidate's training order */
    const char *conv_id;
    int round;
    int failed;              /* the prediction failed (an error) */
    int accepted;
    double value;            /* metric value when !failed */
    const char *error;       /* when failed */
    size_t n_teacher_demos;  /* demos the teacher saw for this example */
    /* BUILT */
    size_t n_augmented, n_labeled;
    /* EVALUATED */
    const metric_report *report;
} bs_event;

typedef void (*bs_log_fn)(void *ctx, const bs_event *ev);

/* ---- compile ---- */

typedef struct {
    size_t max_bootstrapped;   /* default 8 */
    size_t max_labeled;        /* default 5 */
    size_t max_rounds;         /* default 1 */
    size_t max_errors;         /* default 10 (dspy.settings.max_errors) */
    double threshold;          /* 0 = none: any non-zero value passes */
    metric_kind metric;
    size_t candidates;         /* 0 = BootstrapFewShot; K = random search
                                  over seeds -3..K-1 */
    uint64_t seed;
    size_t lookahead;          /* calls per batch at least (speculative
                                  attempts past the stopping point are
                                  computed but ignored); 0 = none */
    int (*cancel)(void *ctx);  /* optional: non-zero stops between batches */
} bs_options;

void bs_options_init(bs_options *o);       /* the defaults above */

/* Whether a metric value passes (DSPy's threshold semantics). */
int bs_metric_passes(double value, double threshold);

typedef struct {
    program *pg;             /* the chosen program (caller frees) */
    int cand_seed;           /* which candidate it is */
    size_t n_augmented, n_labeled;
    /* totals over every candidate built */
    size_t attempts, accepted, rejected, errors, calls;
    int evaluated;           /* random search: val holds pg's report */
    metric_report val;
} bs_result;

void bs_result_clear(bs_result *res);

/* Compiles a program from the training set. With candidates > 0 every
 * candidate is evaluated on val (the training set when nval == 0, as
 * DSPy's `valset or trainset`). Returns 0 and *res, or -1 + err (too many
 * errors, predict aborted, cancelled, empty training set). */
int bs_compile(const rubric *r, const bs_options *o,
               const bs_example *train, size_t ntrain,
               const bs_example *val, size_t nval,
               bs_predict_fn predict, bs_log_fn log, void *ctx,
               bs_result *res, char *err);

/* Runs pg (NULL = zero-shot) on every example of set in one batch and
 * computes the report (failed predictions score 0). Returns 0 or -1 + err
 * when predict aborts. */
int bs_evaluate(const rubric *r, metric_kind m, const program *pg,
                const bs_example *set, size_t n, bs_predict_fn predict,
                void *ctx, metric_report *rep, char *err);

/* bs_evaluate that also fills values[0..n) with each example's metric
 * value (a failed prediction 0), for a paired comparison. */
int bs_evaluate_each(const rubric *r, metric_kind m, const program *pg,
                     const bs_example *set, size_t n, bs_predict_fn predict,
                     void *ctx, metric_report *rep, double *values, char *err);

/* Paired comparison of two programs on the same n examples: the mean of
 * cand[i] - base[i] and its standard error (sample sd / sqrt(n); 0 when
 * n < 2). */
void bs_paired_gain(const double *cand, const double *base, size_t n,
                    double *gain, double *se);

/* A labeled demo for ex: its inputs and the human label's scores written
 * as a person would ("8.0", "7.25"), its rationale (when it has one) under
 * the first text output; no reasoning, not augmented. Free
 * with demo_clear(). */
void bs_labeled_demo(const rubric *r, const bs_example *ex, demo *d);

#endif

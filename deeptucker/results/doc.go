// Package results keeps small results (a run's summary, a history, a
// timing) durably on disk, keyed by the content of the settings that
// produced them, so that a notebook re-run recomputes exactly what changed
// and nothing else. GoNB runs every notebook cell as a new process: results
// cross cells, kernel restarts and cluster jobs only through these files.
//
// # Stores
//
// Store[T] is a JSON-lines file of keyed rows, appended in one write per
// batch and synced. A failed append (full disk, file size limit) cuts the
// file back to its size before the append; a torn last line left by a killed
// process is moved aside to <file>.torn-<unix nanoseconds> and cut off when
// the store is next opened (or appended to), before anything is appended. An
// unreadable line elsewhere is an error naming the file and the line. A
// store that cannot be opened for writing (a read-only file, or a read-only
// mount) is still read, as long as it needs no repair.
//
// # How results are keyed
//
// Key(schema, settings) is the first 32 hex digits of the SHA-256 of the
// schema version and the canonical JSON of the settings (encoding/json:
// struct fields in declaration order, map keys sorted, floats in the
// shortest form that reads back to the same bits). Everything that
// determines a result belongs in its settings: model, training (optimizer
// and all its parameters, steps, tolerance, dtype, ...), run (seed, learning
// rate, init std) and a Fingerprint of the data and masks. Settings JSON
// cannot hold faithfully (funcs, channels, NaN in a plain float, non-zero
// unexported fields, ...) are refused with an error naming the field; fields
// tagged `json:"-"` are deliberately left out. Bump the schema version when
// the code computing the results changes what it returns.
//
// Memo[S, R] stores results R under settings S: Remember computes on a miss
// and stores, Missing and PutBatch serve batched sweeps. Each row holds the
// key, the schema, the settings as readable JSON, a signature of R's
// structure (a row of an older result type counts as missing), the result,
// the time and the compute seconds.
//
// # Where results live, and how to clear them
//
// Dir(notebook) is $DEEPTUCKER_RESULTS_DIR/<profile>/<notebook>, or, when
// the variable is unset, <repo>/notebooks/results/full/<notebook> (committed
// beside the executed notebooks) or <repo>/build/results/ci/<notebook>; the
// profile is DEEPTUCKER_PROFILE ("ci" or "full", unset meaning "full"; any
// other value is an error). Results are never cleared automatically, and
// stale rows are harmless (their keys are never asked for again). To clear
// them, delete the folder (everything of a notebook) or one file (one
// store); a Memo's rows can also be removed line by line.
//
// # Shards
//
// A sweep splits over processes by key: Shard.Owns(key) gives each key to
// exactly one of Count shards, each shard writes its own file
// (Shard.File("runs.jsonl") = "runs.shard-i-of-n.jsonl"), and Merge joins
// the files into the store one process would have written. ShardFromEnv
// reads DEEPTUCKER_SHARD=i/n, a Slurm job array or a Kubernetes indexed Job
// (an index outside 0..n-1, or a count below 1, is an error):
//
//	sbatch --array=0-2 sweep.sh      # Slurm: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT
//	kubectl apply -f sweep-job.yaml  # Kubernetes: completionMode: Indexed, completions: 3,
//	                                 # and env DEEPTUCKER_SHARD_COUNT=3
//	DEEPTUCKER_SHARD=1/3 ./sweep     # by hand
//
// where the sweep program opens its Memo at Dir(...)/shard.File("runs.jsonl")
// and computes only the settings whose key the shard owns; afterwards
// Merge(dst, ShardFiles(dir, "runs.jsonl", 3)...) joins the shards. A key
// holding different results in two files is refused (a *ConflictError),
// leaving dst as it was.
package results

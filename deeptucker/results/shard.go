package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Environment variables ShardFromEnv reads.
const (
	// ShardEnv is "i/n": this process is shard i (0-based) of n.
	ShardEnv = "DEEPTUCKER_SHARD"
	// ShardCountEnv gives n beside Kubernetes' JOB_COMPLETION_INDEX (an Indexed Job's completions).
	ShardCountEnv = "DEEPTUCKER_SHARD_COUNT"
)

// Shard is the part of a sweep one process computes: the settings whose key
// Owns picks, out of Count parts. The zero Shard and Shard{0, 1} own
// everything.
type Shard struct {
	Index, Count int
}

// ShardFromEnv returns this process's shard, from the first of:
//   - DEEPTUCKER_SHARD=i/n;
//   - a Slurm job array: SLURM_ARRAY_TASK_ID, less SLURM_ARRAY_TASK_MIN if set,
//     of SLURM_ARRAY_TASK_COUNT (sbatch --array=0-2 gives 3 shards);
//   - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX of DEEPTUCKER_SHARD_COUNT;
//
// and Shard{0, 1} (everything) when none is set. A malformed or out-of-range
// value is an error naming the variable.
func ShardFromEnv() (Shard, error) {
	if v, ok := os.LookupEnv(ShardEnv); ok && v != "" {
		i, n, found := strings.Cut(v, "/")
		if !found {
			return Shard{}, fmt.Errorf("results: %s=%q must be i/n, e.g. 0/3", ShardEnv, v)
		}
		return newShard(ShardEnv, i, n)
	}
	if id := os.Getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		count := os.Getenv("SLURM_ARRAY_TASK_COUNT")
		if count == "" {
			return Shard{}, fmt.Errorf("results: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; submit with sbatch --array=0-<n-1>, or set %s=i/n", ShardEnv)
		}
		if lo := os.Getenv("SLURM_ARRAY_TASK_MIN"); lo != "" {
			idn, err1 := strconv.Atoi(id)
			lon, err2 := strconv.Atoi(lo)
			if err1 != nil || err2 != nil {
				return Shard{}, fmt.Errorf("results: SLURM_ARRAY_TASK_ID=%q and SLURM_ARRAY_TASK_MIN=%q must be integers", id, lo)
			}
			id = strconv.Itoa(idn - lon)
		}
		return newShard("SLURM_ARRAY_TASK_ID", id, count)
	}
	if idx := os.Getenv("JOB_COMPLETION_INDEX"); idx != "" {
		count := os.Getenv(ShardCountEnv)
		if count == "" {
			return Shard{}, fmt.Errorf("results: JOB_COMPLETION_INDEX is set but %s is not; set it to the Job's completions", ShardCountEnv)
		}
		return newShard("JOB_COMPLETION_INDEX", idx, count)
	}
	return Shard{Index: 0, Count: 1}, nil
}

func newShard(from, i, n string) (Shard, error) {
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("results: shard from %s: index %q and count %q must be integers", from, i, n)
	}
	if cnt < 1 {
		// Shard{0, 0} would read as the zero Shard (everything): a count of 0 is a mistake, not "no sharding".
		return Shard{}, fmt.Errorf("results: shard %d of %d (from %s): the count must be at least 1; give i/n with 0 <= i < n, or unset the variable to compute everything in one process", idx, cnt, from)
	}
	s := Shard{Index: idx, Count: cnt}
	if err := s.Validate(); err != nil {
		return Shard{}, fmt.Errorf("%w (from %s)", err, from)
	}
	return s, nil
}

// Validate checks 0 <= Index < Count (the zero Shard counts as Shard{0, 1}).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("results: shard %d of %d: want 0 <= index < count", s.Index, s.Count)
	}
	return nil
}

// Whole reports whether s owns everything (one process, no sharding).
func (s Shard) Whole() bool { return s.Count <= 1 }

// String writes s as DEEPTUCKER_SHARD takes it, "i/n".
func (s Shard) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Owns reports whether key falls in this shard: the first 8 bytes of
// SHA-256(key), modulo Count. Every key has exactly one owner among the
// shards 0..Count-1, in every process.
func (s Shard) Owns(key string) bool {
	if s.Whole() {
		return true
	}
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(s.Count)) == s.Index
}

// File names this shard's file for a store named name: "runs.jsonl" becomes
// "runs.shard-0-of-3.jsonl"; a whole shard keeps name.
func (s Shard) File(name string) string {
	if s.Whole() {
		return name
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s.shard-%d-of-%d%s", strings.TrimSuffix(name, ext), s.Index, s.Count, ext)
}

// ShardFiles lists the files of all count shards of a store named name, in
// the folder dir: Merge's sources. A count below 1 lists none (callers that
// take a count from a user check it first, see study.Notebook.Merge).
func ShardFiles(dir, name string, count int) []string {
	if count < 1 {
		return nil
	}
	out := make([]string, count)
	for i := range count {
		out[i] = filepath.Join(dir, Shard{Index: i, Count: count}.File(name))
	}
	return out
}

// mergeHook, if set, runs between Merge's reading and its writing (tests).
var mergeHook func()

// ConflictError is Merge's refusal of one key holding different rows in two
// files: which of two results a store should keep is the user's call.
type ConflictError struct {
	Key           string
	File, Other   string // the file read first, and the one conflicting with it
	Row, OtherRow Row
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("results: key %s holds different results in %s and %s (%s against %s); delete the wrong one and merge again", e.Key, e.File, e.Other, e.Row.Result, e.OtherRow.Result)
}

// Merge writes to dst the rows of the memo files dst (if it exists) and srcs,
// one per key, sorted by key: the same rows, in the same order, as Memo.Rows
// of one process that computed them all. A missing source is an error (a
// shard that did not run). The same key in two files must hold the same
// schema, settings, result type and result, else Merge refuses, naming the
// key and the files (a *ConflictError); the row kept is that of the first file. dst is replaced
// atomically (written beside it, synced, renamed), and stays locked from reading to renaming, so that a row
// another process appends to it meanwhile waits and lands in the merged file.
func Merge(dst string, srcs ...string) (err error) {
	type origin struct {
		row  Row
		file string
	}
	merged := map[string]origin{}
	add := func(file string, rows []Row) error {
		for _, r := range rows {
			if r.Key == "" {
				return fmt.Errorf("results: %s is not a memo file (a row without a key); Merge joins the files of a Memo", file)
			}
			if o, ok := merged[r.Key]; ok {
				if o.row.Schema != r.Schema || o.row.ResultType != r.ResultType ||
					!bytes.Equal(o.row.Settings, r.Settings) || !bytes.Equal(o.row.Result, r.Result) {
					return &ConflictError{Key: r.Key, File: o.file, Other: file, Row: o.row, OtherRow: r}
				}
				continue
			}
			merged[r.Key] = origin{r, file}
		}
		return nil
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// dst stays locked from reading it to renaming the merge over it, so that a row another process appends
	// meanwhile is neither left in the replaced file nor appended to it (appends re-check the file they locked).
	dstRows, created, release, err := readLocked(dst)
	if err != nil {
		return err
	}
	defer release()
	if created {
		defer func() {
			if err != nil {
				os.Remove(dst) // a refused merge leaves no file where there was none (still locked: no writer used it)
			}
		}()
	}
	removeStaleMerges(dst)
	if err := add(dst, dstRows); err != nil {
		return err
	}
	dstInfo, _ := os.Stat(dst)
	for _, src := range srcs {
		srcInfo, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("results: merging into %s: %w (did that shard run?)", dst, err)
		}
		if dstInfo != nil && os.SameFile(srcInfo, dstInfo) {
			continue // read above, under its lock (locking it again here would wait for ourselves)
		}
		st, err := OpenStore(src, rowKey)
		if err != nil {
			return err
		}
		if err := add(src, st.Rows()); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if mergeHook != nil {
		mergeHook()
	}
	var buf bytes.Buffer
	for _, k := range keys {
		if err := encodeLine(&buf, merged[k].row); err != nil {
			return err
		}
	}
	tmp := dst + ".merge-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := writeSynced(tmp, buf.Bytes()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("results: writing the merge of %s: %w (%s is unchanged; free disk space and merge again)", dst, err, dst)
	}
	if !lockAcrossRename {
		release() // Windows cannot rename over an open file (and has no lock to hold)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("results: writing the merge of %s: %w (%s is unchanged; check its folder is writable and merge again)", dst, err, dst)
	}
	syncDir(dir)
	return nil
}

// removeStaleMerges deletes the temporary files of merges into dst that a kill left between writing and renaming
// (dst.merge-<nanoseconds>): in a committed results folder they would be committed too. The caller holds
// dst's lock, so where locks exist no other merge into dst is writing one; elsewhere only those over an hour
// old go. Failures are ignored (the next merge retries).
func removeStaleMerges(dst string) {
	// Listed, not globbed: a folder or file name holding [, * or ? would make a pattern of dst.
	entries, _ := os.ReadDir(filepath.Dir(dst))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(dst)+".merge-") {
			continue
		}
		p := filepath.Join(filepath.Dir(dst), e.Name())
		if info, err := os.Lstat(p); err == nil && info.Mode().IsRegular() && (lockAcrossRename || time.Since(info.ModTime()) > time.Hour) {
			os.Remove(p)
		}
	}
}

// readLocked reads the rows of the memo file path (none if it does not exist) and keeps it locked until release
// is called. A torn last line is set aside as OpenStore does; a read-only file is read without the lock.
func readLocked(path string) (rows []Row, created bool, release func(), err error) {
	f, err := openLocked(path, os.O_RDWR)
	if errors.Is(err, os.ErrNotExist) {
		// Lock a new, empty file: a writer creating path meanwhile would otherwise append to a file the merge
		// then replaces.
		f, err = openLocked(path, os.O_RDWR|os.O_CREATE)
		created = err == nil
	}
	if isReadOnly(err) {
		st, err := OpenStore(path, rowKey)
		if err != nil {
			return nil, false, nil, err
		}
		return st.Rows(), false, func() {}, nil
	}
	if err != nil {
		return nil, false, nil, fmt.Errorf("results: opening %s: %w", path, err)
	}
	var once sync.Once
	release = func() { once.Do(func() { unlock(f); f.Close() }) }
	st := &Store[Row]{path: path, key: rowKey, keys: map[string]int{}}
	if err := st.read(f, false); err != nil {
		release()
		return nil, false, nil, err
	}
	return st.Rows(), created, release, nil
}

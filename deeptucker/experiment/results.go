package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ResultsEnv names the environment variable that overrides the base folder of
// the results (see ResultsDir).
const ResultsEnv = "DEEPTUCKER_RESULTS_DIR"

// ProfileEnv is the variable that selects the notebooks' workload, "ci" or
// "full" (the same variable as package kernel reads).
const ProfileEnv = "DEEPTUCKER_PROFILE"

// Profile returns "ci" when DEEPTUCKER_PROFILE is "ci" and "full" otherwise,
// as kernel.Profile does (this package does not import the display code).
func Profile() string {
	if os.Getenv(ProfileEnv) == "ci" {
		return "ci"
	}
	return "full"
}

// modulePath identifies this repository's go.mod.
const modulePath = "module github.com/deeptucker/deeptucker"

// RepoRoot returns the nearest folder at or above dir whose go.mod declares
// this module, or an error naming dir if there is none.
func RepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.TrimSpace(line) == modulePath {
					return d, nil
				}
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("experiment: no go.mod declaring %q at or above %s", modulePath, abs)
		}
	}
}

// ResultsDir returns (and creates) the folder of a notebook's results:
// $DEEPTUCKER_RESULTS_DIR/<profile>/<notebook> if the variable is set, else
// <repo>/build/results/<profile>/<notebook>, <repo> being found from the
// working directory.
func ResultsDir(notebook string) (string, error) {
	if notebook == "" || strings.ContainsAny(notebook, `/\`) {
		return "", fmt.Errorf("experiment: notebook name %q must be non-empty and hold no path separator", notebook)
	}
	base := os.Getenv(ResultsEnv)
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		root, err := RepoRoot(wd)
		if err != nil {
			return "", fmt.Errorf("%w (set %s to choose where results go)", err, ResultsEnv)
		}
		base = filepath.Join(root, "build", "results")
	}
	dir := filepath.Join(base, Profile(), notebook)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("experiment: cannot create results folder: %w", err)
	}
	return dir, nil
}

// Store is a JSON-lines file of rows of type T, each with a key: rows are
// appended (and synced) as they come, so that nothing finished is lost when
// the process dies, and Has tells a re-run what to skip. A torn last line (a
// write cut short) is ignored on reading; any other bad line is an error.
type Store[T any] struct {
	Path string
	key  func(T) string
	rows []T
	keys map[string]int // key -> index in rows
}

// OpenStore reads the rows already in path (none if the file does not exist)
// and returns a store that appends to it. key gives each row's identity; a
// later row with the same key replaces an earlier one.
func OpenStore[T any](path string, key func(T) string) (*Store[T], error) {
	if key == nil {
		return nil, errors.New("experiment: OpenStore needs a key function")
	}
	s := &Store[T]{Path: path, key: key, keys: map[string]int{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var row T
		if err := json.Unmarshal(line, &row); err != nil {
			if i == len(lines)-1 { // torn last line: the write that was cut short
				break
			}
			return nil, fmt.Errorf("experiment: %s line %d: %w", path, i+1, err)
		}
		s.put(row)
	}
	return s, nil
}

func (s *Store[T]) put(row T) {
	k := s.key(row)
	if i, ok := s.keys[k]; ok {
		s.rows[i] = row
		return
	}
	s.keys[k] = len(s.rows)
	s.rows = append(s.rows, row)
}

// Has reports whether a row with this key is stored.
func (s *Store[T]) Has(key string) bool {
	_, ok := s.keys[key]
	return ok
}

// Get returns the row stored under key.
func (s *Store[T]) Get(key string) (T, bool) {
	i, ok := s.keys[key]
	if !ok {
		var zero T
		return zero, false
	}
	return s.rows[i], true
}

// Rows returns the stored rows in the order first stored.
func (s *Store[T]) Rows() []T { return append([]T(nil), s.rows...) }

// Len is the number of stored rows.
func (s *Store[T]) Len() int { return len(s.rows) }

// Append writes rows to the file, one JSON line each, and syncs it.
func (s *Store[T]) Append(rows ...T) error {
	if len(rows) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, row := range rows {
		b, err := json.Marshal(row)
		if err != nil {
			return fmt.Errorf("experiment: encoding a row for %s: %w", s.Path, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(s.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if _, err := w.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, row := range rows {
		s.put(row)
	}
	return nil
}

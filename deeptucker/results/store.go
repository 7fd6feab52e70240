package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Store is a JSON-lines file of rows of type T, each with a key: rows are
// appended (and synced) as they come, so that nothing finished is lost when
// the process dies, and Has tells a re-run what to skip. A later row with the
// same key replaces an earlier one.
//
// Durability: every Append writes its whole batch in one write and syncs it;
// if the write fails (full disk, size limit) the file is cut back to its size
// before the append, so a failed Append leaves nothing behind. A process
// killed mid-write can still leave a torn last line: OpenStore (and the next
// Append, if the tear happened after opening) moves that fragment aside to
// <file>.torn-<unix nanoseconds> and cuts the file back to its last complete
// line before anything is appended. Any other unreadable line is an error
// naming the file and the line. A Store is safe for use by several
// goroutines; several processes may share a file (appends are serialised by
// an advisory lock), though each Store only sees the rows present when it
// was opened plus its own.
type Store[T any] struct {
	path string
	key  func(T) string

	mu   sync.Mutex
	rows []T
	keys map[string]int // key -> index in rows
	torn []string
}

// OpenStore reads the rows already in path (none if the file does not exist)
// and returns a store that appends to it. key gives each row's identity.
func OpenStore[T any](path string, key func(T) string) (*Store[T], error) {
	if key == nil {
		return nil, errors.New("results: OpenStore needs a key function")
	}
	if path == "" {
		return nil, errors.New("results: OpenStore needs a file path")
	}
	s := &Store[T]{path: path, key: key, keys: map[string]int{}}
	f, err := openLocked(path, os.O_RDWR)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	readOnly := false
	if isReadOnly(err) {
		// A store shipped read-only (file mode, or a read-only mount) can still be read, as long as it needs
		// no repair; appending to it is what fails, with an error naming it.
		f, err = openFile(path, os.O_RDONLY, 0)
		readOnly = true
	}
	if err != nil {
		return nil, fmt.Errorf("results: opening %s: %w", path, err)
	}
	defer f.Close()
	if !readOnly {
		defer unlock(f)
	}
	if err := s.read(f, readOnly); err != nil {
		return nil, err
	}
	return s, nil
}

// read puts the rows of the store's open file into s (a later row replaces an earlier one with its key),
// moving a torn last line aside, which needs f writable and locked.
func (s *Store[T]) read(f *os.File, readOnly bool) error {
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("results: reading %s: %w", s.path, err)
	}
	rows, good, err := parseRows[T](s.path, b)
	if err != nil {
		return err
	}
	if good < len(b) {
		if readOnly {
			return fmt.Errorf("results: %s ends in a torn line (%d bytes) and is read-only, so it cannot be repaired; make it writable or delete it", s.path, len(b)-good)
		}
		aside, err := cutTail(f, s.path, b, good)
		if err != nil {
			return err
		}
		s.torn = append(s.torn, aside)
	}
	for _, row := range rows {
		s.put(row)
	}
	return nil
}

// openFile is os.OpenFile; tests replace it to simulate file systems they cannot mount.
var openFile = os.OpenFile

// isReadOnly reports whether opening a store for writing failed because it can only be read: the file's
// mode (permission denied) or a read-only file system (EROFS).
func isReadOnly(err error) bool {
	return err != nil && (errors.Is(err, os.ErrPermission) || isErrReadOnlyFS(err))
}

// parseRows decodes the complete lines of b and returns the rows and the
// length of the good prefix: everything after it (a fragment without its
// newline, or an unreadable last line) is a torn write.
func parseRows[T any](path string, b []byte) ([]T, int, error) {
	end := bytes.LastIndexByte(b, '\n') + 1 // complete lines are b[:end]
	var rows []T
	good, lineNo := 0, 0
	for start := 0; start < end; {
		nl := start + bytes.IndexByte(b[start:end], '\n')
		line := b[start:nl]
		lineNo++
		if len(bytes.TrimSpace(line)) > 0 {
			var row T
			if err := json.Unmarshal(line, &row); err != nil {
				if nl+1 == end && end == len(b) { // the very last line: a torn write
					return rows, good, nil
				}
				return nil, 0, fmt.Errorf("results: %s line %d: %w (only a last line can be a torn write; remove this line or delete the file to recompute)", path, lineNo, err)
			}
			rows = append(rows, row)
		}
		start = nl + 1
		good = start
	}
	return rows, good, nil
}

// cutTail saves b[good:] to a new file beside path and truncates f (path,
// locked by the caller) to good bytes. It returns the fragment's file, or a
// note saying it was dropped when it could not be saved (a full disk).
func cutTail(f *os.File, path string, b []byte, good int) (string, error) {
	aside := path + ".torn-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := writeSynced(aside, b[good:]); err != nil {
		// A full disk must not keep the store from opening: the fragment never was a complete row.
		os.Remove(aside)
		aside = fmt.Sprintf("(%d torn bytes dropped: saving them aside failed: %v)", len(b)-good, err)
	} else {
		syncDir(filepath.Dir(path))
	}
	if err := f.Truncate(int64(good)); err != nil {
		return "", fmt.Errorf("results: cutting the torn line off %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("results: cutting the torn line off %s: %w", path, err)
	}
	return aside, nil
}

// writeSynced creates path (which must not exist) holding b, synced.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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

// Path is the store's file.
func (s *Store[T]) Path() string { return s.path }

// Torn lists the files that torn last lines of this store were moved to
// since it was opened (usually none), or notes of fragments dropped for
// lack of space. Their rows were never completed.
func (s *Store[T]) Torn() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.torn...)
}

// Has reports whether a row with this key is stored.
func (s *Store[T]) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.keys[key]
	return ok
}

// Get returns the row stored under key.
func (s *Store[T]) Get(key string) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.keys[key]
	if !ok {
		var zero T
		return zero, false
	}
	return s.rows[i], true
}

// Rows returns the stored rows in the order first stored.
func (s *Store[T]) Rows() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.rows...)
}

// Len is the number of stored rows (one per key).
func (s *Store[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

// Append writes rows to the file, one JSON line each, in one write, and
// syncs it. On error nothing of this call is stored: the file is cut back to
// its size before the call.
func (s *Store[T]) Append(rows ...T) error {
	if len(rows) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, row := range rows {
		if err := encodeLine(&buf, row); err != nil {
			return fmt.Errorf("results: encoding a row for %s: %w", s.path, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	aside, err := appendDurably(s.path, buf.Bytes())
	if aside != "" {
		s.torn = append(s.torn, aside)
	}
	if err != nil {
		return err
	}
	for _, row := range rows {
		s.put(row)
	}
	return nil
}

// appendDurably appends b to path under the file lock: it first repairs a
// torn tail another writer may have left since the store was opened, and on
// a failed write or sync cuts the file back to its size before the append.
func appendDurably(path string, b []byte) (aside string, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results: creating the folder of %s: %w", path, err)
	}
	f, err := openLocked(path, os.O_CREATE|os.O_RDWR|os.O_APPEND)
	if err != nil {
		return "", fmt.Errorf("results: opening %s to append: %w", path, err)
	}
	defer f.Close()
	defer unlock(f)
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return "", fmt.Errorf("results: reading the end of %s: %w", path, err)
		}
		if last[0] != '\n' {
			all, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			good := bytes.LastIndexByte(all, '\n') + 1
			if aside, err = cutTail(f, path, all, good); err != nil {
				return "", err
			}
			size = int64(good)
		}
	}
	if _, werr := f.Write(b); werr != nil {
		return aside, rollback(f, path, size, len(b), werr)
	}
	if serr := f.Sync(); serr != nil {
		return aside, rollback(f, path, size, len(b), serr)
	}
	if size == 0 { // a new file: make its directory entry durable too
		syncDir(dir)
	}
	return aside, nil
}

// syncDir makes a new or renamed entry of dir durable. Errors are ignored: some platforms and file
// systems (Windows among them) cannot sync a folder, and the file's data is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// openLocked opens path and takes its lock, retrying when the file was replaced while it waited for the lock
// (Merge renames a new file over the one it locked): a lock on the replaced file guards nothing, and rows
// appended to it would be lost.
func openLocked(path string, flag int) (*os.File, error) {
	for {
		f, err := openFile(path, flag, 0o644)
		if err != nil {
			return nil, err
		}
		if err := lock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking: %w", err)
		}
		locked, err := f.Stat()
		if err != nil {
			unlock(f)
			f.Close()
			return nil, err
		}
		if named, err := os.Stat(path); errors.Is(err, os.ErrNotExist) || err == nil && !os.SameFile(locked, named) {
			unlock(f)
			f.Close()
			continue // replaced or removed meanwhile: open what is at path now
		}
		return f, nil
	}
}

func rollback(f *os.File, path string, size int64, n int, cause error) error {
	if terr := f.Truncate(size); terr != nil {
		return fmt.Errorf("results: appending %d bytes to %s: %w; cutting it back to %d bytes also failed (%v): the next OpenStore will set the torn line aside", n, path, cause, size, terr)
	}
	f.Sync()
	return fmt.Errorf("results: appending %d bytes to %s: %w (nothing of this append was kept; free space or raise the limit and retry)", n, path, cause)
}

// encodeLine appends v's JSON and a newline to buf. HTML escaping is off, so
// that raw JSON inside a row (a Memo's settings) is written byte for byte as
// given; JSON never holds a raw newline, so each row is one line.
func encodeLine(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	n := buf.Len()
	if err := enc.Encode(v); err != nil {
		buf.Truncate(n)
		return err
	}
	return nil
}

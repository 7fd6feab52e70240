package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// EnvDataDir names the environment variable that points at a directory holding the data files.
// When it is set, that directory is the only place looked: a file missing there is an error,
// never a silent download. A relative path is resolved against the working directory.
const EnvDataDir = "DEEPTUCKER_DATA_DIR"

// UpstreamBaseURL is the pinned upstream folder of the data files: TensorLy's repository at a
// fixed commit, where both files are byte-identical to every TensorLy release since 0.8.0.
const UpstreamBaseURL = "https://raw.githubusercontent.com/tensorly/tensorly/acc439e9f9662c2b10ccdb53e5e88a0a40090525/tensorly/datasets/data"

// File describes one data file: its name, its size in bytes and its SHA-256 digest (hex).
type File struct {
	Name   string
	Size   int64
	SHA256 string
}

// The data files with their sizes and SHA-256 digests, as published at UpstreamBaseURL.
var (
	IL2File     = File{Name: "IL2_Response_Tensor.npy", Size: 40064, SHA256: "c8a8df301c943683104345fc4155061c7fc303d6ccdbad18ca1ce472ee82d7d1"}
	COVID19File = File{Name: "COVID19_data.npy", Size: 231392, SHA256: "b1e2f72e0211f556c6c32cd66368a9a3c4ee521aed116d195fdadb07bf498aad"}
)

// Source says where data files are found. The zero value is not useful; start from
// DefaultSource, which reads EnvDataDir.
//
// Order of search: Dir if set (and nothing else); otherwise CacheDir, and if the file is not
// there (or fails its checksum), a download from BaseURL verified by SHA-256 and written
// atomically (temporary file, then rename) into CacheDir.
type Source struct {
	// Dir, if not empty, is the only directory looked in.
	Dir string
	// CacheDir is the per-user cache; DefaultSource sets os.UserCacheDir()/deeptucker/datasets.
	CacheDir string
	// BaseURL is the folder the files are downloaded from; empty means UpstreamBaseURL.
	BaseURL string
	// Client makes the download; nil means a client with a two-minute timeout.
	Client *http.Client
	// Offline forbids downloads: a file absent from the cache is then an error.
	Offline bool
}

// DefaultSource returns the source used by LoadIL2 and LoadCOVID19: Dir from EnvDataDir
// (resolved to an absolute path), the per-user cache, and the pinned upstream address.
func DefaultSource() Source {
	s := Source{BaseURL: UpstreamBaseURL}
	if dir := os.Getenv(EnvDataDir); dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		s.Dir = dir
	}
	if cache, err := os.UserCacheDir(); err == nil {
		s.CacheDir = filepath.Join(cache, "deeptucker", "datasets")
	}
	return s
}

// Path returns the path of a verified copy of f, downloading it into the cache if needed.
func (s Source) Path(f File) (string, error) {
	p, _, err := s.fetch(f)
	return p, err
}

// fetch finds f as Source describes and returns its path and verified bytes.
func (s Source) fetch(f File) (string, []byte, error) {
	if s.Dir != "" {
		// A variable naming one of the files, or a directory that is not there, is the slip to
		// report; reading f inside it would blame the file.
		if info, err := os.Stat(s.Dir); err != nil || !info.IsDir() {
			what := "is not a directory"
			if errors.Is(err, fs.ErrNotExist) {
				what = "does not exist"
			} else if err != nil {
				what = "cannot be read: " + err.Error()
			}
			return "", nil, fmt.Errorf("datasets: %s (set by %s or Source.Dir) %s: set %s to the directory holding %s and %s, or unset it to use the cache and download",
				s.Dir, EnvDataDir, what, EnvDataDir, IL2File.Name, COVID19File.Name)
		}
		p := filepath.Join(s.Dir, f.Name)
		raw, err := readVerified(p, f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", nil, fmt.Errorf("datasets: %s not found in %s (set by %s or Source.Dir): copy it there from %s, or unset %s to use the cache and download",
					f.Name, s.Dir, EnvDataDir, s.url(f), EnvDataDir)
			}
			return "", nil, fmt.Errorf("%w; replace it with the file from %s", err, s.url(f))
		}
		return p, raw, nil
	}
	if s.CacheDir == "" {
		return "", nil, fmt.Errorf("datasets: no cache directory for %s (os.UserCacheDir failed?): set %s to a directory holding the file from %s",
			f.Name, EnvDataDir, s.url(f))
	}
	p := filepath.Join(s.CacheDir, f.Name)
	raw, err := readVerified(p, f)
	if err == nil {
		return p, raw, nil
	}
	if s.Offline {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("datasets: %s not in cache %s and downloads are off: download it from %s into %s, or set %s",
				f.Name, s.CacheDir, s.url(f), s.CacheDir, EnvDataDir)
		}
		return "", nil, fmt.Errorf("%w; downloads are off: delete it, or replace it with the file from %s", err, s.url(f))
	}
	// Absent, or a stale or corrupt cache entry: the cache is ours, so fetch a fresh copy over it.
	raw, err = s.download(f, p)
	if err != nil {
		return "", nil, err
	}
	return p, raw, nil
}

func (s Source) url(f File) string {
	base := s.BaseURL
	if base == "" {
		base = UpstreamBaseURL
	}
	return base + "/" + f.Name
}

// readVerified reads the file at p and checks its size and SHA-256.
// A missing file gives an error wrapping fs.ErrNotExist.
func readVerified(p string, f File) ([]byte, error) {
	// Check the size before reading: a wrong file of any size must not be read whole into memory.
	if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Size() != f.Size {
		return nil, fmt.Errorf("datasets: %s has %d bytes, want %d (truncated or wrong file)", p, info.Size(), f.Size)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("datasets: reading %s: %w", p, err)
	}
	if err := checkBytes(p, raw, f); err != nil {
		return nil, err
	}
	return raw, nil
}

func checkBytes(where string, raw []byte, f File) error {
	if int64(len(raw)) != f.Size {
		return fmt.Errorf("datasets: %s has %d bytes, want %d (truncated or wrong file)", where, len(raw), f.Size)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return fmt.Errorf("datasets: %s has SHA-256 %s, want %s (corrupt or wrong file)", where, got, f.SHA256)
	}
	return nil
}

// UnavailableError reports a data file that is neither in the cache nor downloadable (no
// network, a proxy, a server error). Its message is one sentence with the remedy; Unwrap gives
// the underlying network error for programs that want it.
type UnavailableError struct {
	File   File
	Cache  string // the cache directory looked in
	URL    string // the address tried
	Reason string // short: "no connection to the server", "HTTP 404 Not Found", ...
	Err    error  // the underlying error, if any
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("datasets: %s is not in the cache %s and could not be downloaded from %s (%s): set %s to a directory holding %s, or allow network access and the loader will download it into that cache",
		e.File.Name, e.Cache, e.URL, e.Reason, EnvDataDir, e.File.Name)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// staleTempAge is how old a temporary download file must be before a later download deletes
// it: younger ones may belong to a download running in another process.
const staleTempAge = time.Hour

// removeStaleTemps deletes temporary files that writeAtomic left for the file name in dir when a
// process died between creating and renaming them: only names of our own pattern (name + ".*.tmp"),
// and only those older than staleTempAge. Failures are ignored (the next write retries).
func removeStaleTemps(dir string, name string) {
	matches, err := filepath.Glob(filepath.Join(dir, tempPattern(name)))
	if err != nil {
		return
	}
	for _, p := range matches {
		if info, err := os.Lstat(p); err == nil && info.Mode().IsRegular() && time.Since(info.ModTime()) > staleTempAge {
			os.Remove(p)
		}
	}
}

// tempPattern is the name pattern of writeAtomic's temporary files for name (os.CreateTemp and
// filepath.Glob both read '*' as "anything").
func tempPattern(name string) string { return name + ".*.tmp" }

// download fetches f, verifies it in memory (the files are small) and writes it to dst atomically.
func (s Source) download(f File, dst string) ([]byte, error) {
	url := s.url(f)
	remedy := fmt.Sprintf("download it by hand from %s into a directory and set %s to it", url, EnvDataDir)
	unavailable := func(reason string, err error) error {
		return &UnavailableError{File: f, Cache: filepath.Dir(dst), URL: url, Reason: reason, Err: err}
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := client.Get(url)
	if err != nil {
		reason := "no connection to the server"
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			reason = "the connection timed out"
		}
		return nil, unavailable(reason, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable("HTTP "+resp.Status, nil)
	}
	// Read one byte more than expected so that an oversized answer is caught, not cut.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		return nil, unavailable(fmt.Sprintf("the connection broke after %d of %d bytes", len(raw), f.Size), err)
	}
	if int64(len(raw)) > f.Size {
		return nil, fmt.Errorf("datasets: download of %s is longer than the expected %d bytes (wrong file); nothing was written to the cache; %s", url, f.Size, remedy)
	}
	if err := checkBytes("download of "+url, raw, f); err != nil {
		return nil, fmt.Errorf("%w; nothing was written to the cache; %s", err, remedy)
	}
	if err := writeAtomic(dst, raw); err != nil {
		return nil, fmt.Errorf("datasets: caching %s: %w; or set %s to a directory holding the file", f.Name, err, EnvDataDir)
	}
	return raw, nil
}

// writeAtomic writes data to a temporary file beside dst, syncs it and renames it over dst, then
// syncs the folder, so that a concurrent reader sees either no file or the whole file and a crash
// or power loss leaves the old file or the new one. On any error (a full disk, say) the temporary
// file is removed, dst is left as it was, and the error names dst and what to do.
func writeAtomic(dst string, data []byte) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("writing %s: %w (any previous %s is unchanged; free disk space, or check the folder exists and is writable, and retry)", dst, err, filepath.Base(dst))
		}
	}()
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	removeStaleTemps(dir, filepath.Base(dst)) // a killed earlier write's (downloads and WriteNPY alike)
	tmp, err := os.CreateTemp(dir, tempPattern(filepath.Base(dst)))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed: the error is moot
			os.Remove(tmp.Name())
		}
	}()
	if _, err = writeTemp(tmp, data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// writeTemp writes writeAtomic's temporary file; tests replace it to simulate a full disk.
var writeTemp = func(f *os.File, data []byte) (int, error) { return f.Write(data) }

// syncDir makes a rename in dir durable. Errors are ignored: some platforms and file systems
// (Windows among them) cannot sync a folder, and the file itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// load finds f and decodes it.
func (s Source) load(f File) (*multilinear.Tensor, error) {
	_, raw, err := s.fetch(f)
	if err != nil {
		return nil, err
	}
	return decodeNPY(f.Name, raw, dataNPYRemedy)
}

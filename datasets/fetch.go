package datasets

import (
	"bytes"
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

// The data files and their checksums, from SOURCES.md.
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

// download fetches f, verifies it in memory (the files are small) and writes it to dst atomically.
func (s Source) download(f File, dst string) ([]byte, error) {
	url := s.url(f)
	remedy := fmt.Sprintf("download it by hand from %s into a directory and set %s to it", url, EnvDataDir)
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("datasets: downloading %s: %w; %s", f.Name, err, remedy)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("datasets: downloading %s from %s: HTTP %s; %s", f.Name, url, resp.Status, remedy)
	}
	// Read one byte more than expected so that an oversized answer is caught, not cut.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		return nil, fmt.Errorf("datasets: downloading %s from %s: connection failed after %d of %d bytes: %w; %s", f.Name, url, len(raw), f.Size, err, remedy)
	}
	if int64(len(raw)) > f.Size {
		return nil, fmt.Errorf("datasets: download of %s is longer than the expected %d bytes (wrong file); nothing was written to the cache; %s", url, f.Size, remedy)
	}
	if err := checkBytes("download of "+url, raw, f); err != nil {
		return nil, fmt.Errorf("%w; nothing was written to the cache; %s", err, remedy)
	}
	if err := writeAtomic(dst, raw); err != nil {
		return nil, fmt.Errorf("datasets: caching %s: %w; set %s to a directory holding the file instead", f.Name, err, EnvDataDir)
	}
	return raw, nil
}

// writeAtomic writes data to a temporary file beside dst and renames it over dst, so that a
// concurrent reader sees either no file or the whole file.
func writeAtomic(dst string, data []byte) (err error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, bytes.NewReader(data)); err != nil {
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
	return os.Rename(tmp.Name(), dst)
}

// load finds f and decodes it.
func (s Source) load(f File) (*multilinear.Tensor, error) {
	_, raw, err := s.fetch(f)
	if err != nil {
		return nil, err
	}
	return decodeNPY(f.Name, raw)
}

package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeFile is a small .npy file served by the test servers, with its descriptor.
func fakeFile(t *testing.T) (File, []byte) {
	t.Helper()
	raw := makeNPY("<f8", false, []int{2, 2}, []float64{1, 2, 3, 4})
	sum := sha256.Sum256(raw)
	return File{Name: "fake.npy", Size: int64(len(raw)), SHA256: hex.EncodeToString(sum[:])}, raw
}

// serve starts a server that answers every request with handler and counts the requests.
func serve(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	t.Log(err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q should contain %q", err, p)
		}
	}
}

func TestDownloadGood(t *testing.T) {
	f, raw := fakeFile(t)
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/"+f.Name {
			http.NotFound(w, r)
			return
		}
		w.Write(raw)
	})
	cache := filepath.Join(t.TempDir(), "cache", "nested")
	s := Source{CacheDir: cache, BaseURL: srv.URL + "/data", Client: srv.Client()}
	p, err := s.Path(f)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(cache, f.Name) {
		t.Errorf("path = %s, want it in the cache %s", p, cache)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("cached file differs from the served one (err %v)", err)
	}
	// No temporary file is left beside it.
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want only %s", len(entries), f.Name)
	}
	// The second load comes from the cache.
	values, err := s.load(f)
	if err != nil {
		t.Fatal(err)
	}
	if values.At(1, 0) != 3 {
		t.Errorf("At(1,0) = %v, want 3", values.At(1, 0))
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server hit %d times, want 1 (the second load must use the cache)", n)
	}
}

func TestDownloadFailures(t *testing.T) {
	f, raw := fakeFile(t)
	corrupt := append([]byte(nil), raw...)
	corrupt[len(corrupt)-1] ^= 0xff
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
	}{
		{"corrupted", func(w http.ResponseWriter, r *http.Request) { w.Write(corrupt) }, []string{"SHA-256", f.SHA256, "nothing was written"}},
		{"oversized", func(w http.ResponseWriter, r *http.Request) { w.Write(append(raw, raw...)) }, []string{"longer than the expected", "nothing was written"}},
		{"404", http.NotFound, []string{"404", "/" + f.Name, EnvDataDir}},
		{"closed mid-body", func(w http.ResponseWriter, r *http.Request) {
			// Promise the whole file, send half of it, then drop the connection.
			w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
			w.Write(raw[:len(raw)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, []string{"connection broke", "of " + strconv.Itoa(len(raw)) + " bytes", EnvDataDir}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := serve(t, c.handler)
			cache := t.TempDir()
			s := Source{CacheDir: cache, BaseURL: srv.URL, Client: srv.Client()}
			_, err := s.Path(f)
			wantErr(t, err, append(c.want, f.Name)...)
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("cache holds %d entries after a failed download, want none", len(entries))
			}
		})
	}
}

func TestDownloadUnreachable(t *testing.T) {
	f, _ := fakeFile(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cache := t.TempDir()
	s := Source{CacheDir: cache, BaseURL: url}
	_, err := s.Path(f)
	// First contact without network: one sentence naming the file, the cache, the variable to
	// set and the download that would happen; not a chain of wrapped network errors.
	wantErr(t, err, f.Name+" is not in the cache "+cache, "could not be downloaded", "no connection", EnvDataDir, "download it into that cache")
	msg := err.Error()
	if strings.Contains(msg, "dial tcp") || strings.Contains(msg, "connection refused") || strings.Count(msg, ": ") > 2 || strings.Contains(msg, "\n") {
		t.Errorf("error is a chain, not one sentence: %q", msg)
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Err == nil {
		t.Errorf("error %T does not unwrap to *UnavailableError with its cause", err)
	}
}

// TestStaleTempsRemoved: a crash between writing and renaming a download leaves
// <name>.<random>.tmp in the cache; the next download removes ours when older than an hour,
// and leaves a fresh one (another process may be writing it) and other files alone.
func TestStaleTempsRemoved(t *testing.T) {
	f, raw := fakeFile(t)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { w.Write(raw) })
	cache := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	write := func(name string, mtime time.Time) string {
		p := filepath.Join(cache, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := write(f.Name+".123456.tmp", old)
	fresh := write(f.Name+".654321.tmp", time.Now())
	other := write("other.npy.123456.tmp", old)
	notTemp := write(f.Name+".bak", old)

	s := Source{CacheDir: cache, BaseURL: srv.URL, Client: srv.Client()}
	if _, err := s.Path(f); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file %s survived the download (stat err %v)", stale, err)
	}
	for _, p := range []string{fresh, other, notTemp} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: only our own temporary files older than an hour may be (%v)", p, err)
		}
	}
}

func TestDirIsExclusive(t *testing.T) {
	f, raw := fakeFile(t)
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) { w.Write(raw) })
	dir := t.TempDir()
	s := Source{Dir: dir, CacheDir: t.TempDir(), BaseURL: srv.URL, Client: srv.Client()}

	// Missing in Dir: an error naming the directory, and no download.
	_, err := s.Path(f)
	wantErr(t, err, "not found in "+dir, EnvDataDir)
	if hits.Load() != 0 {
		t.Errorf("a file missing from Dir triggered a download")
	}

	// Wrong content in Dir: a checksum error naming the file and the remedy.
	p := filepath.Join(dir, f.Name)
	if err := os.WriteFile(p, append([]byte(nil), raw[:len(raw)-1]...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Path(f)
	wantErr(t, err, p, "truncated", "replace it")

	// The right file in Dir is used as is.
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := s.Path(f)
	if err != nil || got != p {
		t.Errorf("Path = %q, %v; want %q", got, err, p)
	}
}

func TestCacheCorruptIsReplaced(t *testing.T) {
	f, raw := fakeFile(t)
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) { w.Write(raw) })
	cache := t.TempDir()
	p := filepath.Join(cache, f.Name)
	bad := append([]byte(nil), raw...)
	bad[20] ^= 1
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}

	offline := Source{CacheDir: cache, Offline: true}
	_, err := offline.Path(f)
	wantErr(t, err, "SHA-256", "downloads are off")

	s := Source{CacheDir: cache, BaseURL: srv.URL, Client: srv.Client()}
	if _, err := s.Path(f); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(raw) || hits.Load() != 1 {
		t.Errorf("corrupt cache entry was not replaced by one download (hits %d)", hits.Load())
	}
}

func TestOfflineMissing(t *testing.T) {
	f, _ := fakeFile(t)
	cache := t.TempDir()
	_, err := Source{CacheDir: cache, Offline: true}.Path(f)
	wantErr(t, err, "not in cache "+cache, "downloads are off")
}

func TestDefaultSourceReadsEnv(t *testing.T) {
	t.Setenv(EnvDataDir, "relative/dir")
	s := DefaultSource()
	wd, _ := os.Getwd()
	if s.Dir != filepath.Join(wd, "relative/dir") {
		t.Errorf("Dir = %q, want the relative path resolved against %s", s.Dir, wd)
	}
	if s.BaseURL != UpstreamBaseURL {
		t.Errorf("BaseURL = %q, want the pinned upstream", s.BaseURL)
	}
	t.Setenv(EnvDataDir, "")
	if s := DefaultSource(); s.Dir != "" {
		t.Errorf("Dir = %q with %s empty, want none", s.Dir, EnvDataDir)
	}
}

// TestDirNotADirectory: DEEPTUCKER_DATA_DIR pointing at one of the files (a common slip) or at a
// directory that does not exist. The error said "not a directory; replace it with the file from
// <URL>" (the file was fine) or that the file was missing from a directory that is not there: it
// must say that the variable itself is wrong, and what it should name.
func TestDirNotADirectory(t *testing.T) {
	f, raw := fakeFile(t)
	file := filepath.Join(t.TempDir(), f.Name)
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Source{Dir: file}.Path(f)
	wantErr(t, err, file, "is not a directory", EnvDataDir, "directory holding")
	if strings.Contains(err.Error(), "replace it") {
		t.Errorf("error %q tells to replace a file that is fine", err)
	}
	absent := filepath.Join(t.TempDir(), "nowhere")
	_, err = Source{Dir: absent}.Path(f)
	wantErr(t, err, absent, "does not exist", EnvDataDir, "directory holding")
}

package results

import (
	"bufio"
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type row struct {
	K string
	V Num
}

func rowK(r row) string { return r.K }

func TestStoreAppendReopenReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "rows.jsonl")
	s, err := OpenStore(path, rowK)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(row{"a", 1}, row{"b", Num(math.NaN())}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(row{"a", 3}); err != nil { // replaces a
		t.Fatal(err)
	}
	s2, err := OpenStore(path, rowK)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 2 || !s2.Has("a") || !s2.Has("b") || s2.Has("c") {
		t.Fatalf("reopened store holds %+v, want keys a, b", s2.Rows())
	}
	if a, _ := s2.Get("a"); a.V != 3 {
		t.Errorf("a = %v, want the later value 3", a.V)
	}
	if b, _ := s2.Get("b"); !math.IsNaN(float64(b.V)) {
		t.Errorf("b = %v, want NaN back from null", b.V)
	}
	if rows := s2.Rows(); rows[0].K != "a" || rows[1].K != "b" {
		t.Errorf("rows %+v are not in the order first stored", rows)
	}
}

// A torn end (a write cut short) is moved aside whole and cut off the file
// before anything is appended, so the next append and every later open work.
func TestStoreMovesTornTailAsideBeforeAppend(t *testing.T) {
	good := "{\"K\":\"a\",\"V\":1}\n{\"K\":\"b\",\"V\":2}\n"
	for name, tail := range map[string]string{
		"fragment":             `{"K":"c","V":`,
		"complete JSON, no LF": `{"K":"c","V":3}`,
		"garbled last line":    "{\"K\":\"c\",\"V\n",
		"zeros after a crash":  "\x00\x00\x00\x00",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rows.jsonl")
			os.WriteFile(path, []byte(good+tail), 0o644)
			s, err := OpenStore(path, rowK)
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != 2 || s.Has("c") {
				t.Fatalf("opened %+v, want rows a and b only", s.Rows())
			}
			torn := s.Torn()
			if len(torn) != 1 || !strings.HasPrefix(torn[0], path+".torn-") {
				t.Fatalf("Torn() = %v, want one %s.torn-* file", torn, path)
			}
			if b, _ := os.ReadFile(torn[0]); string(b) != tail {
				t.Errorf("set aside %q, want the torn tail %q", b, tail)
			}
			if b, _ := os.ReadFile(path); string(b) != good {
				t.Errorf("file after opening = %q, want the complete lines only %q", b, good)
			}
			if err := s.Append(row{"d", 4}); err != nil {
				t.Fatal(err)
			}
			again, err := OpenStore(path, rowK)
			if err != nil {
				t.Fatalf("reopening after an append: %v", err)
			}
			if again.Len() != 3 || !again.Has("d") || len(again.Torn()) != 0 {
				t.Errorf("reopened %+v (torn %v), want a, b, d and nothing torn", again.Rows(), again.Torn())
			}
		})
	}
}

// A tear left by another writer after this store was opened is repaired by
// the next Append, not written onto.
func TestStoreAppendRepairsTearLeftAfterOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	s, _ := OpenStore(path, rowK)
	if err := s.Append(row{"a", 1}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"K":"x","V":`) // another process died mid-write
	f.Close()
	if err := s.Append(row{"b", 2}); err != nil {
		t.Fatal(err)
	}
	if len(s.Torn()) != 1 {
		t.Errorf("Torn() = %v, want the fragment set aside", s.Torn())
	}
	again, err := OpenStore(path, rowK)
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() != 2 || !again.Has("a") || !again.Has("b") {
		t.Errorf("reopened %+v, want a and b", again.Rows())
	}
}

func TestStoreRejectsCorruptMiddleLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte("{\"K\":\"a\"}\nnot json\n{\"K\":\"b\"}\n"), 0o644)
	_, err := OpenStore(path, rowK)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v, want one naming %s and line 2", err, path)
	}
	// An unreadable line followed by a fragment is not a torn write either.
	os.WriteFile(path, []byte("{\"K\":\"a\"}\nnot json\n{\"K\":"), 0o644)
	if _, err := OpenStore(path, rowK); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v, want one naming line 2", err)
	}
}

// checkStore reopens path and checks it holds every key of want (and, if
// exact, nothing else), then that an append and a reopen still work.
func checkStore(t *testing.T, path string, want []string, exact bool) *Store[padRow] {
	t.Helper()
	s, err := OpenStore(path, padKey)
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	for _, k := range want {
		if !s.Has(k) {
			t.Fatalf("completed row %s is lost (%d rows stored)", k, s.Len())
		}
	}
	if exact && s.Len() != len(want) {
		t.Fatalf("store holds %d rows, want exactly the %d completed ones", s.Len(), len(want))
	}
	if err := s.Append(padRow{K: "after-" + strconv.Itoa(s.Len())}); err != nil {
		t.Fatalf("append after reopening: %v", err)
	}
	again, err := OpenStore(path, padKey)
	if err != nil {
		t.Fatalf("reopening after the append: %v", err)
	}
	if again.Len() != s.Len() || len(again.Torn()) != 0 {
		t.Fatalf("after the append: %d rows (torn %v), want %d and nothing torn", again.Len(), again.Torn(), s.Len())
	}
	return s
}

// A writer killed (SIGKILL) at random moments loses no row whose Append had
// returned, and the file always reopens and takes further appends.
// On /dev/shm (a tmpfs, where sync costs nothing) most of the writer's time
// is spent writing, so kills tear lines more often than on disk.
func TestStoreSurvivesKillMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writers")
	}
	t.Run("disk", func(t *testing.T) { killRounds(t, t.TempDir()) })
	t.Run("shm", func(t *testing.T) {
		dir, err := os.MkdirTemp("/dev/shm", "results-test-")
		if err != nil {
			t.Skipf("no /dev/shm: %v", err)
		}
		defer os.RemoveAll(dir)
		killRounds(t, dir)
	})
}

const killRoundsN = 4

// waitMidWrite polls path until it ends in something other than a newline
// (a write in progress) or the timeout passes.
func waitMidWrite(path string, timeout time.Duration) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	last := make([]byte, 1)
	for end := time.Now().Add(timeout); time.Now().Before(end); {
		st, err := f.Stat()
		if err == nil && st.Size() > 0 {
			if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				return true
			}
		}
	}
	return false
}

func killRounds(t *testing.T, dir string) {
	path := filepath.Join(dir, "rows.jsonl")
	os.WriteFile(path, nil, 0o644) // so that the first round can be watched too
	rng := rand.New(rand.NewPCG(7, 7))
	tornSeen := 0
	var all []string
	for round := range killRoundsN {
		cmd := child("kill-writer", "RESULTS_TEST_PATH="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		target := 1 + rng.IntN(3)
		var done []string
		begun := false
		for sc.Scan() {
			if sc.Text() != "begin" {
				done = append(done, sc.Text())
			} else if len(done) >= target {
				begun = true
				break
			}
		}
		if !begun {
			cmd.Wait()
			t.Fatalf("round %d: the writer stopped after %d rows", round, len(done))
		}
		// Kill it mid-write: poll the end of the file until it is not a newline.
		if !waitMidWrite(path, 2*time.Second) {
			t.Logf("round %d: did not catch a write in progress; killing anyway", round)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() { // rows reported before the kill landed
			if sc.Text() != "begin" {
				done = append(done, sc.Text())
			}
		}
		cmd.Wait()
		all = append(all, done...)
		s := checkStore(t, path, all, false)
		tornSeen += len(s.Torn())
	}
	if tornSeen == 0 {
		t.Errorf("no kill landed mid-write in %d rounds, so the repair of a torn line went untested", killRoundsN)
	}
	t.Logf("%d kills, %d completed rows, %d torn tails set aside", killRoundsN, len(all), tornSeen)
}

// fullDiskCheck runs the parent's side of a full-disk test: every row whose
// Append succeeded is stored, no failed Append left anything (not even a torn
// tail), and once there is room again the store takes appends.
func fullDiskCheck(t *testing.T, path string, log []string, free func()) {
	t.Helper()
	var ok []string
	fails := 0
	for _, line := range log {
		switch {
		case strings.HasPrefix(line, "ok "):
			ok = append(ok, strings.TrimPrefix(line, "ok "))
		case strings.HasPrefix(line, "fail "):
			fails++
		default:
			t.Fatalf("writer: %s", line)
		}
	}
	if fails == 0 || len(ok) == 0 {
		t.Fatalf("the writer stored %d rows and failed %d appends; the test needs both", len(ok), fails)
	}
	s, err := OpenStore(path, padKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Torn()) != 0 {
		t.Fatalf("a failed append left a torn tail: %v", s.Torn())
	}
	free()
	checkStore(t, path, ok, true)
	t.Logf("%d rows stored, %d appends refused; e.g. %s", len(ok), fails, firstFail(log))
}

func firstFail(log []string) string {
	for _, l := range log {
		if strings.HasPrefix(l, "fail ") {
			return l
		}
	}
	return ""
}

// A store whose file hits the process's file size limit (RLIMIT_FSIZE, set
// in a child process): writes fail with EFBIG part way, as on a full disk.
func TestStoreFileSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	cmd := child("fsize-writer", "RESULTS_TEST_PATH="+path, "RESULTS_TEST_FSIZE=16384")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("writer: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "no-rlimit") {
		t.Skipf("cannot set RLIMIT_FSIZE here: %s", lines[0])
	}
	if st, err := os.Stat(path); err != nil || st.Size() > 16384 {
		t.Fatalf("file %v (%v) should be at most the 16384-byte limit", st, err)
	}
	fullDiskCheck(t, path, lines, func() {})
}

// Negative control for the full-disk tests: without the cut back, a write
// that fails part way leaves a torn tail, which fullDiskCheck would report.
func TestPartialWriteWithoutRollbackLeavesTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	s, _ := OpenStore(path, padKey)
	s.Append(padRow{K: "a"})
	b, _ := os.ReadFile(path)
	line := bytes.TrimSuffix(b, []byte("\n"))
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(line[:len(line)/2]) // what a cut-short write leaves
	f.Close()
	again, err := OpenStore(path, padKey)
	if err != nil || len(again.Torn()) != 1 {
		t.Fatalf("a half-written line must be detected as torn: %v %v", again.Torn(), err)
	}
}

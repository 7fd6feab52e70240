//go:build unix

package results

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMergeKeepsRowsAppendedMeanwhile: a process that appends a result to the notebook's runs file while Merge
// runs (a notebook cell training unsharded while the shards are merged) must not lose it: Merge replaces the
// file, so without holding the file's lock from reading to renaming, the row appended in between would be
// left in the replaced file, and a writer that opened the old file before the rename would append to it.
func TestMergeKeepsRowsAppendedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	dst, src := filepath.Join(dir, "runs.jsonl"), filepath.Join(dir, "runs.shard-0-of-1.jsonl")
	a, err := OpenMemo[string, int](dst, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put("stored before", 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Put("stored before", 1, 0); err != nil { // stored over: the later row is the result
		t.Fatal(err)
	}
	s, err := OpenMemo[string, int](src, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("from the shard", 2, 0); err != nil {
		t.Fatal(err)
	}
	appended := make(chan error, 1)
	mergeHook = func() { // Merge has read dst and is about to replace it: another process appends now
		go func() { appended <- a.Put("appended meanwhile", 3, 0) }()
		select {
		case err := <-appended: // the append got through before the replacement (no lock held)
			appended <- err
		case <-time.After(300 * time.Millisecond): // it waits for Merge's lock
		}
	}
	defer func() { mergeHook = nil }()
	if err := Merge(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	got, err := OpenMemo[string, int](dst, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]int{"stored before": 1, "from the shard": 2, "appended meanwhile": 3} {
		if v, ok, err := got.Lookup(k); err != nil || !ok || v != want {
			t.Errorf("after the merge, %q reads %d, %v, %v; want %d", k, v, ok, err, want)
		}
	}
}

// TestMergeWithTheDestinationAmongTheSources: dst named again among the sources (under another path, or a
// link) is read once, not locked a second time by the process holding its lock, which would wait forever.
func TestMergeWithTheDestinationAmongTheSources(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "runs.jsonl")
	a, err := OpenMemo[string, int](dst, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put("k", 1, 0); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(dst, link); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { done <- Merge(dst, link, filepath.Join(dir, ".", "runs.jsonl")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Merge with dst among its sources did not return")
	}
	got, err := OpenMemo[string, int](dst, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := got.Lookup("k"); !ok || v != 1 {
		t.Errorf("after the merge: %d, %v", v, ok)
	}
}

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Committed notebooks are executed copies: a reader on GitHub sees the figures without running anything. The
// stamp in the notebook's metadata ("deeptucker") records the profile it ran in, a hash of its code cells'
// sources and tags, and a hash of the library the cells import, at that time, so that CI can tell an executed
// copy from a stale one whose cells or library changed since (and refuse it), without running an hour of
// full-profile training. Re-executing from the committed results store trains nothing unless a run's settings
// changed: all seven notebooks take about 7 minutes on 2 cores.

// Stamp is the notebook metadata a committed executed notebook carries.
type Stamp struct {
	Profile string `json:"profile"`
	// Sources is SourceHash of the cells when executed.
	Sources string `json:"sources_sha256"`
	// Library is LibraryHash of the repository when executed.
	Library  string `json:"library_sha256,omitempty"`
	Backend  string `json:"backend,omitempty"`
	Executed string `json:"executed,omitempty"`
}

// libraryDirs are the repository's folders whose Go code notebook cells run (the tools under their cmd/ folders
// excepted).
var libraryDirs = []string{"datasets", "deeptucker", "kernel"}

// LibraryHash hashes what a notebook's outputs are computed with besides its cells: the module's go.mod and
// go.sum, and every non-test Go file under libraryDirs, in path order. A change there, a comment included, may
// change what an executed notebook shows, so its committed copy is stale until executed again.
func LibraryHash(root string) (string, error) {
	var files []string
	for _, dir := range libraryDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && (d.Name() == "cmd" || d.Name() == "testdata"):
				return filepath.SkipDir
			case !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, path := range append([]string{filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum")}, files...) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "%s\n%d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// moduleRoot returns the folder above dir (or dir) holding go.mod.
func moduleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above: run nbcheck inside the repository", dir)
		}
	}
}

// SourceHash hashes every code cell's tags and source, in order: what the outputs were computed from.
// Markdown is left out: the reading of the results is written after they exist, and changes no output.
func SourceHash(nb *notebook) string {
	h := sha256.New()
	for _, c := range nb.Cells {
		if c.CellType == "code" {
			fmt.Fprintf(h, "%s\n%s\n\x00", strings.Join(c.Metadata.Tags, ","), c.Source)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stampFile writes the stamp into an executed notebook, keeping everything else as it is.
func stampFile(path, profile, backend, library string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		return fmt.Errorf("%s is not notebook JSON: %w", path, err)
	}
	// Numbers stay as written (json.Number): through float64, an integer beyond 2^53 in metadata or in
	// a JSON output came back rounded, and 1.0 as 1.
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s is not notebook JSON: %w", path, err)
	}
	meta, _ := doc["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["metadata"] = meta
	}
	meta["deeptucker"] = Stamp{Profile: profile, Sources: SourceHash(&nb), Library: library, Backend: backend,
		Executed: time.Now().UTC().Format(time.RFC3339)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return writeSynced(path, buf.Bytes())
}

// writeSynced replaces path by data through a temporary file that is synced to disk before the
// rename: an executed notebook holds hours of full-profile outputs, and a crash or power loss must
// leave either the old file or the new one, never a truncated one.
func writeSynced(path string, data []byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable; a platform that cannot sync a folder has nothing more to do.
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// checkStamp checks a committed notebook's stamp: executed in the wanted profile, from the cells it holds now
// and, when library is not "", with that library (LibraryHash).
func checkStamp(r *report, nb *notebook, profile, library string) {
	s := nb.Metadata.Deeptucker
	switch {
	case s == nil:
		r.problemf("the notebook carries no execution stamp: commit it executed in the %s profile (make executed-notebooks)", profile)
	case s.Profile != profile:
		r.problemf("the notebook was executed in the %q profile; commit the %q execution (make executed-notebooks)", s.Profile, profile)
	case s.Sources != SourceHash(nb):
		r.problemf("the notebook's cells changed since it was executed (%s): its outputs are stale; re-run make executed-notebooks", s.Executed)
	case library != "" && s.Library != library:
		r.problemf("the library (Go code under %s, go.mod, go.sum) changed since the notebook was executed (%s): its "+
			"outputs may be stale; re-run make executed-notebooks (every notebook: about 7 minutes on 2 cores, nothing "+
			"trains unless a run's settings changed)", strings.Join(libraryDirs, ", "), s.Executed)
	}
}

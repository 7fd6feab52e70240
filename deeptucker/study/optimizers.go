package study

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// A run's key holds its optimizer by name and by a behavioural fingerprint (deeptucker.Behaviour), which
// cannot see a setting that acts only after its probe's first steps (GoMLX's Adam WithBackoffSteps, a warm-up or
// a schedule in an optimizer of one's own): such a change under an unchanged name would read back the results of
// the old settings. What the optimizer's New builds is plain data for GoMLX's optimizers and most of one's own,
// so Train keeps, beside the runs, the settings each optimizer name and fingerprint trained with
// (optimizers.jsonl), and refuses to read stored runs back for an optimizer of that name and fingerprint whose
// settings differ.

// optimizerRecord is a line of optimizers.jsonl: the settings an optimizer trained runs with.
type optimizerRecord struct {
	Key       string // Optimizer and Behaviour
	Optimizer string
	Behaviour string
	// Settings is optimizerSettings of the optimizer: what New(1) built, as text.
	Settings string
	// Versions are the Go toolchain's and GoMLX's (buildVersions): another version may lay the same optimizer
	// out otherwise, so settings are only compared within one.
	Versions string `json:",omitempty"`
	At       time.Time
}

// buildVersions names the Go toolchain and the GoMLX module this program was built with.
func buildVersions() string {
	v := runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				v += " gomlx@" + d.Version
			}
		}
	}
	return v
}

// opaquePackages hold types whose fields are process state (descriptors, locks, clocks, loggers), not
// settings: writeValue names such a value's type and does not descend into it.
var opaquePackages = map[string]bool{"os": true, "sync": true, "sync/atomic": true, "time": true, "log": true,
	"log/slog": true, "io": true, "bufio": true, "net": true, "context": true, "runtime": true}

// maxSettings bounds the text of an optimizer's settings: one holding a large structure is not compared.
const maxSettings = 1 << 14

// optimizerSettings describes what o.New builds (at learning rate 1, so that the training's rate, which is in the
// key, does not enter), every field followed through pointers, unexported ones included; a function or channel
// field shows as such, not its contents. It is "" when that cannot be told: New panics, the text would be too
// large, or two builds differ (a field holding a time or a random draw), which a comparison across sessions would
// take for an edit.
func optimizerSettings(o dt.Optimizer) (settings string) {
	defer func() {
		if recover() != nil {
			settings = ""
		}
	}()
	if o.New == nil {
		return ""
	}
	describe := func() string {
		var b strings.Builder
		if !writeValue(&b, reflect.ValueOf(o.New(1)), map[uintptr]bool{}, 0) {
			return ""
		}
		return b.String()
	}
	first := describe()
	if first == "" || first != describe() {
		return ""
	}
	return first
}

// writeValue writes v as text; false when it is too deep or too large to describe.
func writeValue(b *strings.Builder, v reflect.Value, seen map[uintptr]bool, depth int) bool {
	if depth > 16 || b.Len() > maxSettings {
		return false
	}
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("nil")
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return true
		}
		if seen[v.Pointer()] {
			b.WriteString("<cycle>")
			return true
		}
		seen[v.Pointer()] = true
		b.WriteString("&")
		return writeValue(b, v.Elem(), seen, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return true
		}
		return writeValue(b, v.Elem(), seen, depth+1)
	case reflect.Struct:
		if opaquePackages[v.Type().PkgPath()] {
			b.WriteString("<" + v.Type().String() + ">")
			return true
		}
		b.WriteString(v.Type().String() + "{")
		for i := range v.NumField() {
			b.WriteString(v.Type().Field(i).Name + ":")
			if !writeValue(b, v.Field(i), seen, depth+1) {
				return false
			}
			b.WriteString(" ")
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return true
		}
		b.WriteString("[")
		for i := range v.Len() {
			if !writeValue(b, v.Index(i), seen, depth+1) {
				return false
			}
			b.WriteString(" ")
		}
		b.WriteString("]")
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		values := map[string]reflect.Value{}
		for _, k := range v.MapKeys() {
			var kb strings.Builder
			if !writeValue(&kb, k, seen, depth+1) {
				return false
			}
			keys = append(keys, kb.String())
			values[kb.String()] = v.MapIndex(k)
		}
		sort.Strings(keys)
		b.WriteString("map[")
		for _, k := range keys {
			b.WriteString(k + ":")
			if !writeValue(b, values[k], seen, depth+1) {
				return false
			}
			b.WriteString(" ")
		}
		b.WriteString("]")
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Uintptr: // an address, which differs from process to process
		b.WriteString("<uintptr>")
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Complex64, reflect.Complex128:
		b.WriteString(strconv.FormatComplex(v.Complex(), 'g', -1, 128))
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	default: // func, chan, unsafe pointer: their contents cannot be compared
		b.WriteString("<" + v.Kind().String() + ">")
	}
	return true
}

// optimizerRegistry is the notebook's record of optimizer settings: read from the notebook's file and, for a
// shard, its own (which it writes).
type optimizerRegistry struct {
	own    *results.Store[optimizerRecord]
	stored *results.Store[optimizerRecord] // the notebook's file, for a shard; nil otherwise
}

func (nb *Notebook) optimizerRegistry() (*optimizerRegistry, error) {
	key := func(r optimizerRecord) string { return r.Key }
	own, err := results.OpenStore(filepath.Join(nb.Dir, nb.Shard.File("optimizers.jsonl")), key)
	if err != nil {
		return nil, err
	}
	reg := &optimizerRegistry{own: own}
	if !nb.Shard.Whole() {
		if reg.stored, err = results.OpenStore(filepath.Join(nb.Dir, "optimizers.jsonl"), key); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// get returns the record of key and the file it is in.
func (r *optimizerRegistry) get(key string) (optimizerRecord, string, bool) {
	if rec, ok := r.own.Get(key); ok {
		return rec, r.own.Path(), true
	}
	if r.stored != nil {
		if rec, ok := r.stored.Get(key); ok {
			return rec, r.stored.Path(), true
		}
	}
	return optimizerRecord{}, "", false
}

// mergeOptimizerRecords adds the records of count shards' optimizer files to the notebook's: the same name and
// fingerprint with other settings in two of them (shards run with different settings) is refused.
func (nb *Notebook) mergeOptimizerRecords(count int) error {
	key := func(r optimizerRecord) string { return r.Key }
	dst, err := results.OpenStore(filepath.Join(nb.Dir, "optimizers.jsonl"), key)
	if err != nil {
		return err
	}
	for _, file := range results.ShardFiles(nb.Dir, "optimizers.jsonl", count) {
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			continue // a shard that trained no run of an optimizer of the user's
		}
		src, err := results.OpenStore(file, key)
		if err != nil {
			return err
		}
		for _, rec := range src.Rows() {
			old, ok := dst.Get(rec.Key)
			switch {
			case !ok:
				if err := dst.Append(rec); err != nil {
					return err
				}
			case old.Settings != rec.Settings && old.Versions == rec.Versions:
				return fmt.Errorf("study: merging %s: optimizer %q trained with other settings in %s (%s) than in %s (%s) under one "+
					"name and fingerprint; the runs of one of them are not what their key says: rename the optimizer in one "+
					"set-up and run its shards again", nb.Name, rec.Optimizer, file, shorten(rec.Settings), dst.Path(), shorten(old.Settings))
			}
		}
	}
	return nil
}

// check refuses an optimizer whose name and fingerprint trained runs with other settings: reading them back
// would return the old settings' results, and storing new ones beside them would make the store ambiguous.
// Settings recorded by another Go or GoMLX version are not compared (its types may hold other fields for the
// same settings): remember records the current ones instead.
func (r *optimizerRegistry) check(name, behaviour, settings string) error {
	rec, file, ok := r.get(name + " " + behaviour)
	if !ok || rec.Settings == settings || rec.Versions != buildVersions() {
		return nil
	}
	return fmt.Errorf("study: optimizer %q: runs stored under this name and behavioural fingerprint were trained with other "+
		"settings (%s, on %s) than it has now (%s); the fingerprint did not see the change (it acts after the probe's first "+
		"steps), so the stored results would be those of the old settings: rename the optimizer (its name is part of "+
		"the results key), or delete %s and the runs to train afresh", name, shorten(rec.Settings), rec.At.Format(time.DateTime),
		shorten(settings), file)
}

// remember records the settings an optimizer trains with or reads stored runs back with, once per name,
// fingerprint and build (see check).
func (r *optimizerRegistry) remember(name, behaviour, settings string) error {
	key := name + " " + behaviour
	if rec, _, ok := r.get(key); ok && rec.Settings == settings && rec.Versions == buildVersions() {
		return nil
	}
	return r.own.Append(optimizerRecord{Key: key, Optimizer: name, Behaviour: behaviour, Settings: settings,
		Versions: buildVersions(), At: time.Now().UTC()})
}

func shorten(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

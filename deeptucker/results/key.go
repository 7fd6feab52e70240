package results

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// KeyVersion is mixed into every key: it changes only if the way keys are
// computed changes, which makes every stored result miss (and recompute).
const KeyVersion = "deeptucker/results key 1"

// Key returns the content key of settings under a schema version: the first
// 32 hex digits (128 bits) of the SHA-256 of KeyVersion, schema and the
// canonical JSON of settings (see Canonical). Bump schema when the code that
// computes results changes what it returns for the same settings.
//
// Settings that cannot be keyed faithfully are refused with an error naming
// the field: funcs, channels, complex numbers, unsafe pointers, NaN or ±Inf in
// a plain float (use Num), map keys JSON cannot write, non-zero unexported
// fields (JSON would drop them, so two different settings would share a key),
// and two fields of a struct under one JSON name (embedded structs' included:
// JSON would drop one of them or both). Fields tagged `json:"-"` are left out
// on purpose and not checked.
func Key(schema string, settings any) (string, error) {
	key, _, err := keyOf(schema, settings)
	return key, err
}

// keyOf returns the key of settings and their canonical JSON.
func keyOf(schema string, settings any) (string, []byte, error) {
	if schema == "" {
		return "", nil, errors.New(`results: Key needs a schema version (e.g. "v1"); bump it when the computation changes`)
	}
	canon, special, err := canonical(settings)
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	writeField(h, []byte(KeyVersion))
	writeField(h, []byte(schema))
	writeField(h, canon)
	writeField(h, []byte(special))
	return hex.EncodeToString(h.Sum(nil))[:32], canon, nil
}

// Canonical returns the JSON that Key hashes: encoding/json's output (struct
// fields in declaration order, map keys sorted, floats in the shortest form
// that reads back to the same bits), without HTML escaping. It refuses the
// same settings as Key.
func Canonical(settings any) ([]byte, error) {
	b, _, err := canonical(settings)
	return b, err
}

// writeField hashes b with its length, so that fields cannot run into each other.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// canonical checks settings and encodes them; special lists the non-finite
// Num values, which JSON writes alike as null, by path.
func canonical(settings any) ([]byte, string, error) {
	w := walker{seen: map[uintptr]bool{}}
	if err := w.check(reflect.ValueOf(settings), "settings", 0); err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(settings); err != nil {
		return nil, "", fmt.Errorf("results: settings cannot be written as JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), strings.Join(w.special, ";"), nil
}

var (
	numType           = reflect.TypeFor[Num]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether JSON encodes v through its own method (trusted to
// be deterministic, like time.Time's).
func marshals(v reflect.Value) bool {
	t := v.Type()
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return true
	}
	pt := reflect.PointerTo(t)
	return v.CanAddr() && (pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType))
}

// NonFiniteError is Key's refusal of NaN or ±Inf in a plain float of the
// settings (at Path, e.g. "settings.Training.Tol"): JSON cannot hold it.
// Packages that key their users' settings translate it into the setting's
// name (see package study).
type NonFiniteError struct {
	Path  string
	Value float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("results: %s is %v, which JSON cannot hold; give it a finite value, or declare the field as results.Num to key NaN and ±Inf", e.Path, e.Value)
}

type walker struct {
	seen    map[uintptr]bool // pointers on the current path, against cycles
	special []string
}

const maxDepth = 1000

func (w *walker) check(v reflect.Value, path string, depth int) error {
	if !v.IsValid() {
		return nil
	}
	if depth > maxDepth {
		return fmt.Errorf("results: %s is nested more than %d levels deep; settings must be a plain tree of values", path, maxDepth)
	}
	t := v.Type()
	if t == numType {
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			w.special = append(w.special, path+"="+strconv.FormatFloat(f, 'g', -1, 64))
		}
		return nil
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && marshals(v) {
		return nil
	}
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("results: %s is a %s, which cannot be keyed; replace it by the values it stands for, or tag the field `json:\"-\"` if it cannot change the result", path, t)
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return fmt.Errorf("results: %s holds invalid UTF-8 (%q), which JSON would replace, so different strings would share a key; use valid UTF-8 or []byte", path, v.String())
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return &NonFiniteError{Path: path, Value: f}
		}
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if marshals(v) {
			return nil
		}
		p := v.Pointer()
		if w.seen[p] {
			return fmt.Errorf("results: %s points back to itself; settings must be a plain tree of values", path)
		}
		w.seen[p] = true
		defer delete(w.seen, p)
		return w.check(v.Elem(), path, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.check(v.Elem(), path, depth+1)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // bytes: base64
		}
		for i := range v.Len() {
			if err := w.check(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		kt := t.Key()
		switch {
		case kt.Kind() == reflect.String, kt.Implements(textMarshalerType),
			kt.Kind() >= reflect.Int && kt.Kind() <= reflect.Uintptr:
		default:
			return fmt.Errorf("results: %s is a map keyed by %s, which JSON cannot write; key it by strings or integers", path, kt)
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			if k.Kind() == reflect.String && !utf8.ValidString(k.String()) {
				return fmt.Errorf("results: %s has a key with invalid UTF-8 (%q), which JSON would replace; use valid UTF-8", path, k.String())
			}
			if err := w.check(v.MapIndex(k), path+"["+fmt.Sprint(k)+"]", depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if err := jsonNameClash(t, path); err != nil {
			return err
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Tag.Get("json") == "-" {
				continue
			}
			fv := v.Field(i)
			fpath := path + "." + sf.Name
			if !sf.IsExported() {
				et := sf.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if sf.Anonymous && et.Kind() == reflect.Struct {
					// JSON promotes the exported fields of an embedded struct.
					if fv.Kind() == reflect.Pointer {
						if fv.IsNil() {
							continue
						}
						fv = fv.Elem()
					}
					if err := w.check(fv, fpath, depth+1); err != nil {
						return err
					}
					continue
				}
				if !fv.IsZero() {
					return fmt.Errorf("results: %s is unexported and not zero: JSON leaves it out, so settings differing only there would share a key; export it, or keep it out of the settings", fpath)
				}
				continue
			}
			if err := w.check(fv, fpath, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonNameClash refuses a struct type two of whose fields (its own or promoted from embedded structs) have one
// JSON name: encoding/json then silently leaves out one of them or both, so settings differing there would
// share a key.
func jsonNameClash(t reflect.Type, path string) error {
	if clash, ok := nameClashes.Load(t); ok {
		if clash == "" {
			return nil
		}
		return fmt.Errorf("results: %s: %s", path, clash)
	}
	clash := ""
	if err := jsonNames(t); err != nil {
		clash = err.Error()
	}
	nameClashes.Store(t, clash)
	return jsonNameClash(t, path)
}

// nameClashes caches jsonNames' verdict per struct type ("" when its names are distinct).
var nameClashes sync.Map

// jsonNames returns an error naming two fields of t that share a JSON name.
func jsonNames(t reflect.Type) error {
	names := map[string]string{} // JSON name -> the field holding it
	var walk func(t reflect.Type, prefix string, open map[reflect.Type]bool) error
	walk = func(t reflect.Type, prefix string, open map[reflect.Type]bool) error {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				if open[ft] {
					continue
				}
				open[ft] = true
				err := walk(ft, prefix+f.Name+".", open)
				delete(open, ft)
				if err != nil {
					return err
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if other, ok := names[name]; ok {
				return fmt.Errorf("fields %s and %s share the JSON name %q, and JSON leaves out one of them or both, "+
					"so settings differing there would share a key; give each field its own name (a json tag)", other, prefix+f.Name, name)
			}
			names[name] = prefix + f.Name
		}
		return nil
	}
	return walk(t, "", map[reflect.Type]bool{t: true})
}

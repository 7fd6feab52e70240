package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Row is one stored result of a Memo, a line of its file.
type Row struct {
	// Key is Key(Schema, settings).
	Key    string `json:"key"`
	Schema string `json:"schema"`
	// Settings is the full canonical JSON of the settings (readable; decode it back into the settings type).
	Settings json.RawMessage `json:"settings"`
	// ResultType identifies the structure of the result type (field names, kinds, JSON tags):
	// a row whose result type has since changed counts as missing.
	ResultType string          `json:"result_type"`
	Result     json.RawMessage `json:"result"`
	// At is when the result was stored (UTC), Seconds what computing it took.
	At      time.Time `json:"at"`
	Seconds Num       `json:"seconds"`
}

func rowKey(r Row) string { return r.Key }

// Memo maps settings of type S to results of type R, stored in a JSON-lines
// file (a Store of Rows): settings in, stored result out, computed once. GoNB
// runs every notebook cell as a new process, so results cross cells (and
// kernel restarts) only through such files.
//
// A result is found again only under the same schema version, the same
// settings (canonical JSON, see Key) and the same structure of R: change any
// of them and exactly the affected results are missing again. Results are
// always returned as read back from JSON, also right after computing them,
// so a first run and a re-run see the same values (a Num ±Inf reads back as
// NaN). R must survive JSON the way settings must (see Key).
//
// Give each result type its own file: a row stored for another R counts as
// missing, and storing over it replaces it.
type Memo[S, R any] struct {
	store  *Store[Row]
	schema string
	rtype  string
}

// OpenMemo opens (or starts) the memo file at path under a schema version,
// e.g. "v1": bump it when the code computing R changes its results.
func OpenMemo[S, R any](path, schema string) (*Memo[S, R], error) {
	if schema == "" {
		return nil, errors.New(`results: OpenMemo needs a schema version (e.g. "v1"); bump it when the computation changes`)
	}
	st, err := OpenStore(path, rowKey)
	if err != nil {
		return nil, err
	}
	if st.Has("") {
		return nil, fmt.Errorf("results: %s is not a memo file (a row without a key); give the memo a file of its own", path)
	}
	return &Memo[S, R]{store: st, schema: schema, rtype: TypeSignature(reflect.TypeFor[R]())}, nil
}

// Path is the memo's file.
func (m *Memo[S, R]) Path() string { return m.store.Path() }

// Schema is the memo's schema version.
func (m *Memo[S, R]) Schema() string { return m.schema }

// Len is the number of stored rows, of any result type.
func (m *Memo[S, R]) Len() int { return m.store.Len() }

// Torn lists the torn last lines set aside (see Store.Torn).
func (m *Memo[S, R]) Torn() []string { return m.store.Torn() }

// Key returns the key of settings under the memo's schema (for Shard.Owns).
func (m *Memo[S, R]) Key(settings S) (string, error) { return Key(m.schema, settings) }

// Rows returns the stored rows sorted by key: the canonical order, the same
// for one process and for shards merged by Merge.
func (m *Memo[S, R]) Rows() []Row {
	rows := m.store.Rows()
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows
}

// Lookup returns the result stored for settings; ok is false when there is
// none (or only one of an older result type).
func (m *Memo[S, R]) Lookup(settings S) (result R, ok bool, err error) {
	key, canon, err := keyOf(m.schema, settings)
	if err != nil {
		return result, false, err
	}
	row, ok := m.store.Get(key)
	if !ok || row.ResultType != m.rtype {
		return result, false, nil
	}
	if !bytes.Equal(row.Settings, canon) {
		return result, false, fmt.Errorf("results: %s: the row under key %s holds the settings %s, not %s (a hand-edited file?); delete that line or the file to recompute", m.Path(), key, row.Settings, canon)
	}
	if err := json.Unmarshal(row.Result, &result); err != nil {
		return result, false, fmt.Errorf("results: %s: decoding the result under key %s: %w; delete that line or the file to recompute", m.Path(), key, err)
	}
	return result, true, nil
}

// Row returns the row stored for settings (its key, compute seconds, time),
// under the same conditions as Lookup finds a result.
func (m *Memo[S, R]) Row(settings S) (Row, bool, error) {
	key, canon, err := keyOf(m.schema, settings)
	if err != nil {
		return Row{}, false, err
	}
	row, ok := m.store.Get(key)
	if !ok || row.ResultType != m.rtype || !bytes.Equal(row.Settings, canon) {
		return Row{}, false, nil
	}
	return row, true, nil
}

// Missing returns the indices of the settings that have no stored result, in
// order (a setting given twice is listed twice), so that a sweep can train
// exactly those together and Put them.
func (m *Memo[S, R]) Missing(settings []S) ([]int, error) {
	var out []int
	for i, s := range settings {
		_, ok, err := m.Lookup(s)
		if err != nil {
			return nil, fmt.Errorf("results: settings %d: %w", i, err)
		}
		if !ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// Put stores the result computed for settings, which took seconds.
func (m *Memo[S, R]) Put(settings S, result R, seconds float64) error {
	_, err := m.put([]S{settings}, []R{result}, seconds)
	return err
}

// PutBatch stores results[i] for settings[i] in one durable append (all or
// none); secondsEach is each one's share of the compute time.
func (m *Memo[S, R]) PutBatch(settings []S, results []R, secondsEach float64) error {
	if len(settings) != len(results) {
		return fmt.Errorf("results: PutBatch got %d settings but %d results", len(settings), len(results))
	}
	_, err := m.put(settings, results, secondsEach)
	return err
}

func (m *Memo[S, R]) put(settings []S, results []R, seconds float64) ([]Row, error) {
	now := time.Now().UTC()
	rows := make([]Row, len(settings))
	for i, s := range settings {
		key, canon, err := keyOf(m.schema, s)
		if err != nil {
			return nil, err
		}
		res, err := encodeResult(results[i])
		if err != nil {
			return nil, fmt.Errorf("results: the result for key %s: %w", key, err)
		}
		rows[i] = Row{Key: key, Schema: m.schema, Settings: canon, ResultType: m.rtype, Result: res, At: now, Seconds: Num(seconds)}
	}
	return rows, m.store.Append(rows...)
}

func encodeResult(r any) ([]byte, error) {
	w := walker{seen: map[uintptr]bool{}}
	if err := w.check(reflect.ValueOf(r), "result", 0); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Remember returns the result stored for settings, or computes it, stores
// it and returns it (as read back from JSON); computed tells which. An error
// of compute is returned and nothing is stored.
func (m *Memo[S, R]) Remember(settings S, compute func() (R, error)) (result R, computed bool, err error) {
	result, ok, err := m.Lookup(settings)
	if err != nil || ok {
		return result, false, err
	}
	start := time.Now()
	fresh, err := compute()
	if err != nil {
		return result, false, err
	}
	rows, err := m.put([]S{settings}, []R{fresh}, time.Since(start).Seconds())
	if err != nil {
		return result, false, err
	}
	var back R
	if err := json.Unmarshal(rows[0].Result, &back); err != nil {
		return result, false, fmt.Errorf("results: the result for key %s does not read back from JSON: %w", rows[0].Key, err)
	}
	return back, true, nil
}

// TypeSignature describes the structure of t: kinds, and the Go name and JSON
// tag of every exported field (json:"-" ones included), recursively, without
// type names (a type moved to another package keeps its signature), except
// for types that encode themselves (named by package path and name). It
// returns the first 16 hex digits of its SHA-256. It is stricter than JSON:
// renaming a field changes it even where a tag keeps the JSON name, so stored
// results of the old shape are treated as missing, never misread.
func TypeSignature(t reflect.Type) string {
	var sb strings.Builder
	typeSig(&sb, t, map[reflect.Type]bool{})
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:])[:16]
}

func typeSig(sb *strings.Builder, t reflect.Type, open map[reflect.Type]bool) {
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		fmt.Fprintf(sb, "marshaler(%s.%s)", t.PkgPath(), t.Name())
		return
	}
	if open[t] {
		sb.WriteString("recursive")
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		sb.WriteString("*")
		open[t] = true
		typeSig(sb, t.Elem(), open)
		delete(open, t)
	// Slices, arrays and maps are marked open too: a named type can hold itself through them (type T []T),
	// and unmarked, the walk would recurse until Go's fatal stack overflow. Types that do not recur print
	// the same signature either way.
	case reflect.Slice:
		sb.WriteString("[]")
		open[t] = true
		typeSig(sb, t.Elem(), open)
		delete(open, t)
	case reflect.Array:
		fmt.Fprintf(sb, "[%d]", t.Len())
		open[t] = true
		typeSig(sb, t.Elem(), open)
		delete(open, t)
	case reflect.Map:
		sb.WriteString("map[")
		open[t] = true
		typeSig(sb, t.Key(), open)
		sb.WriteString("]")
		typeSig(sb, t.Elem(), open)
		delete(open, t)
	case reflect.Struct:
		open[t] = true
		sb.WriteString("{")
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			fmt.Fprintf(sb, "%s %q ", f.Name, f.Tag.Get("json"))
			typeSig(sb, f.Type, open)
			sb.WriteString(";")
		}
		sb.WriteString("}")
		delete(open, t)
	default:
		sb.WriteString(t.Kind().String())
	}
}

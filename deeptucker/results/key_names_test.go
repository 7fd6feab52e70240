package results

import (
	"strings"
	"testing"
)

type regimeA struct{ Steps int }
type regimeB struct{ Steps int }

// TestKeyRefusesFieldsJSONWouldDrop: encoding/json silently leaves out fields that share a JSON name (two
// embedded structs with a field of one name: both dropped; a field tagged with another's name: the untagged
// one dropped; an embedded field under an outer one: the embedded one dropped), so settings differing only
// there would share a key and a changed setting would return the stored result. Key refuses such types,
// naming both fields.
func TestKeyRefusesFieldsJSONWouldDrop(t *testing.T) {
	type both struct {
		regimeA
		regimeB
	}
	type tagged struct {
		Steps  int
		Budget int `json:"Steps"`
	}
	type shadowed struct {
		regimeA
		Steps int
	}
	for _, c := range []struct {
		name   string
		a, b   any
		fields []string
	}{
		{"two embedded", both{regimeA{1}, regimeB{2}}, both{regimeA{3}, regimeB{4}}, []string{"regimeA.Steps", "regimeB.Steps"}},
		{"a tag naming another field", tagged{1, 2}, tagged{3, 2}, []string{"Steps", "Budget"}},
		{"an outer field over an embedded one", shadowed{regimeA{1}, 2}, shadowed{regimeA{5}, 2}, []string{"regimeA.Steps", "Steps"}},
		{"nested", struct{ S []tagged }{[]tagged{{1, 2}}}, struct{ S []tagged }{[]tagged{{3, 2}}}, []string{"Steps", "Budget"}},
	} {
		ka, erra := Key("v1", c.a)
		kb, _ := Key("v1", c.b)
		if erra == nil {
			t.Errorf("%s: keyed (settings that differ share the key: %v)", c.name, ka == kb)
			continue
		}
		for _, f := range c.fields {
			if !strings.Contains(erra.Error(), f) {
				t.Errorf("%s: error %q does not name %s", c.name, erra, f)
			}
		}
	}
	// Distinct names, embedded or not, are fine.
	type fine struct {
		regimeA
		Budget int `json:"budget"`
	}
	if _, err := Key("v1", fine{regimeA{1}, 2}); err != nil {
		t.Errorf("distinct JSON names: %v", err)
	}
}

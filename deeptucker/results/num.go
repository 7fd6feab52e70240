package results

import (
	"encoding/json"
	"math"
)

// Num is a float64 that survives JSON: NaN and ±Inf (a run without held-out
// entries, a diverged run) are written as null and read back as NaN, where
// encoding/json would refuse them. In settings, Key still tells NaN, +Inf and
// -Inf apart although all three read back as NaN.
type Num float64

// MarshalJSON writes null for NaN or infinite values.
func (x Num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null as NaN.
func (x *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = Num(f)
	return nil
}

package kernel

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// CheckPrefix starts every line written by Check. The headless notebook run
// (kernel/cmd/nbcheck) finds these lines in the cells' stdout and fails when
// a value lies outside its bounds, whatever verdict the line itself shows.
const CheckPrefix = "CHECK "

// checkOut is where Check writes when not nil (tests set it); os.Stdout is
// looked up at each call otherwise.
var (
	checkMu  sync.Mutex
	checkOut io.Writer
)

// reCheckBad matches the characters a check name may not hold: the line must
// stay parseable, so no spaces and no '='.
var reCheckBad = regexp.MustCompile(`[^A-Za-z0-9_.:/+\-\[\]()]`)

// Check prints one line stating that value must lie in [lo, hi], and returns
// whether it does:
//
//	CHECK heldout_mse/depth2=3.1e-09 in [0, 1e-06] ok
//
// The value is written in full precision, so the line can be checked again
// from a saved notebook. NaN is never within bounds. Characters other than
// letters, digits and _ . : / + - [ ] ( ) in name are replaced by '_'.
func Check(name string, value, lo, hi float64) bool {
	if name == "" {
		name = "unnamed"
	}
	name = reCheckBad.ReplaceAllString(name, "_")
	ok := InBounds(value, lo, hi)
	verdict := "ok"
	if !ok {
		verdict = "FAIL"
	}
	checkMu.Lock()
	defer checkMu.Unlock()
	out := checkOut
	if out == nil {
		out = os.Stdout
	}
	fmt.Fprintf(out, "%s%s=%s in [%s, %s] %s\n", CheckPrefix, name,
		formatExact(value), formatExact(lo), formatExact(hi), verdict)
	return ok
}

// InBounds reports whether lo <= value <= hi; NaN is never in bounds.
func InBounds(value, lo, hi float64) bool {
	return !math.IsNaN(value) && lo <= value && value <= hi
}

// formatExact writes v in the shortest form that parses back to v.
func formatExact(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// CheckLine is one parsed CHECK line.
type CheckLine struct {
	Name          string
	Value, Lo, Hi float64
	Verdict       string // as printed: "ok" or "FAIL"
	Line          string // the line itself, trimmed
}

// Holds reports whether the value lies within its bounds (recomputed, not
// the printed verdict).
func (c CheckLine) Holds() bool { return InBounds(c.Value, c.Lo, c.Hi) }

var reCheckLine = regexp.MustCompile(`^CHECK (\S+)=(\S+) in \[(\S+), (\S+)\](?: (\S+))?\s*$`)

// ParseCheckLine parses a line written by Check. It returns ok=false for a
// line that does not start with CheckPrefix, and an error for one that does
// but is malformed (so that a typo in a notebook's own CHECK line is caught).
func ParseCheckLine(line string) (c CheckLine, ok bool, err error) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, CheckPrefix) {
		return CheckLine{}, false, nil
	}
	m := reCheckLine.FindStringSubmatch(line)
	if m == nil {
		return CheckLine{}, true, fmt.Errorf("malformed check line %q: want %q", line,
			"CHECK name=value in [lo, hi]")
	}
	c = CheckLine{Name: m[1], Verdict: m[5], Line: strings.TrimSpace(line)}
	for i, dst := range []*float64{&c.Value, &c.Lo, &c.Hi} {
		if *dst, err = strconv.ParseFloat(m[2+i], 64); err != nil {
			return CheckLine{}, true, fmt.Errorf("check line %q: %q is not a number", line, m[2+i])
		}
	}
	return c, true, nil
}

package kernel

import (
	"math"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

func captureChecks(t *testing.T, fn func()) string {
	t.Helper()
	var b strings.Builder
	checkOut = &b
	defer func() { checkOut = nil }()
	fn()
	return b.String()
}

func TestCheckLineRoundTrip(t *testing.T) {
	cases := []struct {
		name          string
		value, lo, hi float64
		want          bool
	}{
		{"mse/depth2", 3.123456789e-9, 0, 1e-6, true},
		{"r2", 0.9681, 0.94, 0.97, true},
		{"edge", 1e-6, 0, 1e-6, true}, // bounds are inclusive
		{"above", 2e-6, 0, 1e-6, false},
		{"nan", math.NaN(), math.Inf(-1), math.Inf(1), false},
		{"inf", math.Inf(1), 0, math.Inf(1), true},
	}
	for _, c := range cases {
		var got bool
		out := captureChecks(t, func() { got = Check(c.name, c.value, c.lo, c.hi) })
		if got != c.want {
			t.Errorf("Check(%s, %g in [%g, %g]) = %v, want %v", c.name, c.value, c.lo, c.hi, got, c.want)
		}
		line, isCheck, err := ParseCheckLine(out)
		if !isCheck || err != nil {
			t.Fatalf("own line %q: isCheck=%v err=%v", out, isCheck, err)
		}
		if line.Name != c.name || line.Holds() != c.want {
			t.Errorf("parsed %+v from %q", line, out)
		}
		if !math.IsNaN(c.value) && line.Value != c.value {
			t.Errorf("value %v printed as %q: not exact", c.value, out)
		}
		wantVerdict := map[bool]string{true: "ok", false: "FAIL"}[c.want]
		if line.Verdict != wantVerdict {
			t.Errorf("verdict %q, want %q", line.Verdict, wantVerdict)
		}
	}
}

func TestCheckSanitizesName(t *testing.T) {
	out := captureChecks(t, func() { Check("held out=mse depth 2", 1, 0, 2) })
	if !strings.HasPrefix(out, "CHECK held_out_mse_depth_2=1 in [0, 2] ok") {
		t.Errorf("line %q", out)
	}
}

func TestParseCheckLine(t *testing.T) {
	if _, isCheck, err := ParseCheckLine("step 3 loss=0.1"); isCheck || err != nil {
		t.Errorf("plain line taken for a check: %v %v", isCheck, err)
	}
	for _, bad := range []string{"CHECK mse=abc in [0, 1]", "CHECK mse=0.1 in [0 1]", "CHECK mse 0.1"} {
		if _, isCheck, err := ParseCheckLine(bad); !isCheck || err == nil {
			t.Errorf("%q: isCheck=%v err=%v, want a malformed-line error", bad, isCheck, err)
		}
	}
	// A hand-written line whose verdict lies is judged on its numbers.
	c, _, err := ParseCheckLine("CHECK mse=0.5 in [0, 0.1] ok")
	if err != nil || c.Holds() {
		t.Errorf("0.5 in [0, 0.1] holds=%v err=%v", c.Holds(), err)
	}
}

func TestProfile(t *testing.T) {
	// The same table as results.Profile's test: the two must agree.
	for env, want := range map[string]string{"": ProfileFull, "full": ProfileFull, "ci": ProfileCI} {
		t.Setenv(ProfileEnv, env)
		if got, err := Profile(); got != want || err != nil {
			t.Errorf("%s=%q: Profile() = %q, %v, want %q", ProfileEnv, env, got, err, want)
		}
		if got := ByProfile(3000, 300); (got == 300) != (want == ProfileCI) {
			t.Errorf("%s=%q: ByProfile = %d", ProfileEnv, env, got)
		}
	}
	for _, bad := range []string{"fast", "CI", " ci", "Full"} {
		t.Setenv(ProfileEnv, bad)
		if got, err := Profile(); err == nil || got != "" || !strings.Contains(err.Error(), "unset means") {
			t.Errorf("%s=%q: Profile() = %q, %v; want an error naming the remedy", ProfileEnv, bad, got, err)
		}
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s=%q: ByProfile did not panic", ProfileEnv, bad)
				}
			}()
			ByProfile(1, 2)
		}()
	}
}

func TestStartStopsOnABadProfile(t *testing.T) {
	t.Setenv(ProfileEnv, "fulll")
	var b strings.Builder
	if err := start(&b); err == nil || !strings.Contains(err.Error(), `"fulll"`) || b.Len() != 0 {
		t.Errorf("start with a typo: err=%v, printed %q; want the error and nothing printed", err, b.String())
	}
	t.Setenv(ProfileEnv, "")
	if err := start(&b); err != nil || !strings.Contains(b.String(), `profile "full"`) || !strings.Contains(b.String(), "1-2 min") {
		t.Errorf("start: err=%v, printed %q", err, b.String())
	}
	b.Reset()
	t.Setenv(backend.CPUDevicesEnvVar, "1") // start spells the name out; this keeps the two the same
	if err := start(&b); err != nil || !strings.Contains(b.String(), "XLA CPU devices: 1") {
		t.Errorf("start with DEEPTUCKER_XLA_CPU_DEVICES=1: err=%v, printed %q", err, b.String())
	}
	b.Reset()
	t.Setenv(backend.CPUExecutionEnvVar, "sync")
	if err := start(&b); err != nil || !strings.Contains(b.String(), "XLA CPU execution: sync") {
		t.Errorf("start with DEEPTUCKER_XLA_CPU_EXECUTION=sync: err=%v, printed %q", err, b.String())
	}
}

package backend

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestXLAEnv is the env var that turns on the tests needing a working XLA plugin.
const TestXLAEnv = "DEEPTUCKER_TEST_XLA"

// requireXLAEnv skips unless DEEPTUCKER_TEST_XLA=1, and then insists that GOMLX_BACKEND
// names an XLA configuration, so that a CI job that asks for XLA cannot silently run Go.
func requireXLAEnv(tb testing.TB) backends.Backend {
	tb.Helper()
	if os.Getenv(TestXLAEnv) != "1" {
		tb.Skipf("set %s=1 and %s=xla:... to run on XLA (see scripts/install-xla-cpu.sh)", TestXLAEnv, EnvVar)
	}
	c, err := ParseConfig(os.Getenv(EnvVar))
	if err != nil {
		tb.Fatal(err)
	}
	if c.Backend != XLA {
		tb.Fatalf("%s=1 but %s=%q is not an XLA configuration", TestXLAEnv, EnvVar, os.Getenv(EnvVar))
	}
	start := time.Now()
	b, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s started in %s; %s=%q", Describe(b), time.Since(start).Round(time.Millisecond), XLAFlagsEnv, os.Getenv(XLAFlagsEnv))
	return b
}

func TestXLARunsProbe(t *testing.T) {
	b := requireXLAEnv(t)
	defer b.Finalize()
	if !strings.HasPrefix(Name(b), "xla:") {
		t.Errorf("Name = %q, want an xla:... name", Name(b))
	}
	x := randomMatrix(7, 6, 4)
	start := time.Now()
	y, grad, err := probe(b, x)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compile + run: %s", time.Since(start).Round(time.Microsecond))
	wantY, wantGrad := probeWant(x)
	// float64 end to end: only summation order differs from the host loops.
	if d := maxRelDiff(y, wantY); d > 1e-12 {
		t.Errorf("Y = X Xᵀ off by %g", d)
	}
	if d := maxRelDiff(grad, wantGrad); d > 1e-12 {
		t.Errorf("gradient off by %g", d)
	}

	// And the same numbers as the pure-Go backend.
	g, err := NewWithConfig(Go)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Finalize()
	_, goGrad, err := probe(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxRelDiff(grad, goGrad); d > 1e-12 {
		t.Errorf("XLA and Go gradients differ by %g", d)
	}
}

// BenchmarkProbe times one execution of the probe graph (compiled once, outside the
// timing) on the backend GOMLX_BACKEND names, for comparing backends run by run:
//
//	GOMLX_BACKEND=go go test -run XXX -bench Probe ./deeptucker/backend/
//	GOMLX_BACKEND=xla:... go test -run XXX -bench Probe ./deeptucker/backend/
func BenchmarkProbe(b *testing.B) {
	be, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Finalize()
	b.Logf("backend: %s", Describe(be))
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			exec, err := graph.NewExec(be, func(x *graph.Node) (*graph.Node, *graph.Node) {
				y := graph.MatMul(x, graph.Transpose(x, 0, 1))
				return y, graph.Gradient(graph.ReduceAllSum(graph.Square(y)), x)[0]
			})
			if err != nil {
				b.Fatal(err)
			}
			defer exec.Finalize()
			x := tensors.FromValue(randomMatrix(3, n, n))
			if _, err := exec.Exec(x); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			for b.Loop() {
				out, err := exec.Exec(x)
				if err != nil {
					b.Fatal(err)
				}
				_ = out[1].Value() // bring the result back to the host, as training does
			}
		})
	}
}

//go:build linux && amd64 && cgo && !noxla

package backend

import (
	"reflect"
	"runtime"
	"syscall"
	"testing"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestCPUClientOptions(t *testing.T) {
	for _, tc := range []struct {
		o    CPUOptions
		want pjrt.NamedValuesMap
	}{
		{CPUOptions{}, nil}, // nothing passed, as to CUDA
		{CPUOptions{Devices: 3}, pjrt.NamedValuesMap{"cpu_device_count": int64(3)}},
		{CPUOptions{Synchronous: true}, pjrt.NamedValuesMap{"asynchronous": false}},
		{CPUOptions{Devices: 1, Synchronous: true}, pjrt.NamedValuesMap{"cpu_device_count": int64(1), "asynchronous": false}},
	} {
		if got := tc.o.clientOptions(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.o, got, tc.want)
		}
	}
}

// callerShare runs a CPU-heavy graph on b and returns the calling thread's share of the process's CPU time
// while it ran: near 0 when XLA runs the calls on its own threads, a good part when it runs them on the caller.
func callerShare(t *testing.T, b backends.Backend) float64 {
	t.Helper()
	exec := graph.MustNewExec(b, func(x *graph.Node) *graph.Node {
		y := x
		for range 20 {
			y = graph.Tanh(graph.Dot(y, x))
		}
		return graph.ReduceAllSum(y)
	})
	data := make([][]float64, 300)
	for i := range data {
		data[i] = make([]float64, 300)
		for j := range data[i] {
			data[i][j] = float64((i*7+j*3)%11) / 300
		}
	}
	x := tensors.FromValue(data)
	exec.MustExec(x)[0].FinalizeAll() // compiles

	runtime.LockOSThread() // cgo calls run on the calling goroutine's thread
	defer runtime.UnlockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	var th0, pr0, th1, pr1 syscall.Rusage
	must(t, syscall.Getrusage(rusageThread, &th0))
	must(t, syscall.Getrusage(syscall.RUSAGE_SELF, &pr0))
	for range 5 {
		exec.MustExec(x)[0].FinalizeAll()
	}
	must(t, syscall.Getrusage(rusageThread, &th1))
	must(t, syscall.Getrusage(syscall.RUSAGE_SELF, &pr1))
	cpu := func(r0, r1 syscall.Rusage) float64 {
		return float64(r1.Utime.Nano()-r0.Utime.Nano()+r1.Stime.Nano()-r0.Stime.Nano()) / 1e9
	}
	return cpu(th0, th1) / cpu(pr0, pr1)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// requireCPUPlugin skips the test where XLA is not built in or the project's XLA CPU plugin is not installed;
// it clears the variables that would point Default elsewhere, so that "xla:cpu" is that plugin.
func requireCPUPlugin(t *testing.T) {
	t.Helper()
	requireXLA(t)
	unsetEnv(t, CPUPluginEnvVar)
	unsetEnv(t, VenvEnvVar)
	if c := Default(); c.Config == Go {
		t.Skipf("no XLA CPU plugin installed here (%s)", c.Reason)
	}
}

// The synchronous option reaches the plugin: calls then run on the calling thread, and otherwise do not.
// Set directly, through DEEPTUCKER_XLA_CPU_EXECUTION, or not at all.
func TestSynchronousRunsOnCallingThread(t *testing.T) {
	requireCPUPlugin(t)
	for _, tc := range []struct {
		env  string
		o    *CPUOptions // nil: NewWithConfig
		sync bool
	}{
		{"", &CPUOptions{}, false},
		{"", &CPUOptions{Synchronous: true}, true},
		{"sync", &CPUOptions{}, true},
		{"async", &CPUOptions{Synchronous: true}, true}, // asked for explicitly
		{"", nil, false},
		{"auto", nil, false},
		{"sync", nil, true},
		{"async", nil, false},
	} {
		t.Setenv(CPUExecutionEnvVar, tc.env)
		var b backends.Backend
		var err error
		if tc.o != nil {
			b, err = NewWithCPUOptions("xla:cpu", *tc.o)
		} else {
			b, err = NewWithConfig("xla:cpu")
		}
		if err != nil {
			t.Fatal(err)
		}
		share := callerShare(t, b)
		b.Finalize()
		t.Logf("%s=%q, options %+v: the calling thread did %.0f%% of the work", CPUExecutionEnvVar, tc.env, tc.o, 100*share)
		if tc.sync && share < 0.1 || !tc.sync && share > 0.05 {
			t.Errorf("%s=%q, options %+v: the calling thread did %.0f%% of the work, want synchronous = %v",
				CPUExecutionEnvVar, tc.env, tc.o, 100*share, tc.sync)
		}
	}
}

// IsCPU tells XLA's CPU plugin, whatever its options, from the pure-Go backend.
func TestIsCPU(t *testing.T) {
	requireCPUPlugin(t)
	g, err := NewWithConfig(Go)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Finalize()
	if IsCPU(g) || IsCPU(nil) {
		t.Errorf("IsCPU(go) = %v, IsCPU(nil) = %v, want false", IsCPU(g), IsCPU(nil))
	}
	for _, o := range []CPUOptions{{}, {Devices: 1}, {Devices: 2, Synchronous: true}} {
		b, err := NewWithCPUOptions("xla:cpu", o)
		if err != nil {
			t.Fatal(err)
		}
		if !IsCPU(b) {
			t.Errorf("IsCPU(xla:cpu with %+v) = false", o)
		}
		b.Finalize()
	}
}

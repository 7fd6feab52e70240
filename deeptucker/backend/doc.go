// Package backend chooses the GoMLX backend that runs the deep Tucker model: the graph
// that computes W = G ×₁ V(1) ×₂ … ×_N V(N), the loss (2) on the observed entries Ω and
// its gradient, once per training step. The numbers do not depend on the backend (up to
// rounding); the speed does.
//
// # Choosing
//
// New reads GOMLX_BACKEND, the variable GoMLX itself uses. When it is unset or blank, New
// opens the fastest backend installed (see Default): XLA's CPU plugin when `make setup` (or
// scripts/install-xla-cpu.sh) put it into the repository's .venv, else the pure-Go backend,
// which always works. Name then says "xla:cpu" or "go"; DEEPTUCKER_XLA_CPU_PLUGIN=none keeps
// the default on "go", and DEEPTUCKER_XLA_CPU_PLUGIN=/path/plugin.so names another plugin file.
// DEEPTUCKER_XLA_CPU_DEVICES=n opens XLA's CPU plugin with n host devices instead of its
// default 4 (deeptucker.Fit splits groups of runs over at most that many, on a client with as many devices as it
// uses; 1 keeps every group on one), and
// DEEPTUCKER_XLA_CPU_EXECUTION=sync|async|auto says whether it runs each call on the calling thread
// (deeptucker.Fit does for small steps when it is auto, the default; see CPUExecutionEnvVar).
//
//	GOMLX_BACKEND=go                       pure Go (SimpleGo): no cgo, no plugin
//	GOMLX_BACKEND=xla:/abs/path/plugin.so  XLA with the PJRT plugin at that path
//	GOMLX_BACKEND=xla:cpu                  XLA with the plugin named "cpu" in PJRT's search path,
//	                                       else the one in the project's .venv
//	GOMLX_BACKEND=xla:cuda                 XLA on an NVIDIA GPU
//
// Options follow a comma, as in GoMLX ("go:parallelism=4", "xla:cuda,tf32"). The
// configuration is checked before GoMLX sees it, and every failure is an *Error that
// names the value, the cause and the remedy, matching one of ErrUnknownBackend,
// ErrBadOption, ErrXLANotBuilt, ErrPluginNotFound, ErrPluginLoad, ErrNoGPU or ErrBackend
// under errors.Is. Panics inside GoMLX or go-xla come back as errors too. Name and
// Describe say which backend ran, for reports and benchmark tables.
//
// # The pure-Go backend
//
// "go" runs graph ops one after another (SimpleGo's ops_sequential), each op still using
// every CPU. SimpleGo v0.26.0's parallel op scheduling deadlocks when more than 2×NumCPU
// small contractions are ready at once (every worker slot then waits for a free slot),
// which the training step reaches on a 2-CPU machine. "go:ops_parallel" brings GoMLX's
// default back.
//
// # XLA on the CPU, from PyPI
//
// GoMLX's auto-install downloads the CPU plugin from GitHub; where only package registries
// are reachable, scripts/install-xla-cpu.sh installs the wheel lammps-jax-pjrt-cpu 0.11.2
// (Apache-2.0; XLA's pjrt_c_api_cpu_plugin.so built from the XLA of jaxlib 0.11.2, PJRT C
// API 0.115) into the project's .venv, checks its SHA-256 and prints the GOMLX_BACKEND
// value to use. go-xla v0.1.4 is compiled against the 0.83 C API headers; the C API only
// appends to its structs, and every struct carries its size, so a newer plugin serves an
// older caller. A plugin file named pjrt_c_api_cpu_plugin.so given by path gets GoMLX's
// shared-buffer mode, as it would when loaded by the name "cpu". Before a CPU plugin loads,
// New adds --xla_cpu_prefer_vector_width=512 to XLA_FLAGS (see CPUXLAFlags for why, and the
// measurements): never over a value the user set, and only when the plugin file knows the
// flag, since XLA aborts the process on an unknown one.
//
// # XLA on CUDA
//
// The CUDA plugin is the one in PyPI's jax-cuda13-pjrt (GoMLX's installer takes it from
// there too). Before it loads, New makes sure XLA_FLAGS names --xla_gpu_cuda_data_dir, the
// directory where XLA finds ptxas and libdevice: go-xla v0.1.4 otherwise sets it to a path
// hard-coded from its author's machine whenever an nvidia/ directory sits next to the
// plugin's. See EnsureCUDADataDir for the search order. A CUDA configuration on a machine
// without an NVIDIA device or driver fails early with ErrNoGPU. scripts/cuda-check.sh
// builds the test binaries where Go is and runs the tests and the benchmarks with
// GOMLX_BACKEND=xla:cuda on a GPU machine, printing a Markdown table.
//
// # Several devices
//
// NewWithCPUDevices opens XLA's CPU plugin with n host devices (its PJRT option cpu_device_count), so that
// a computation sharded over a device mesh (GoMLX's pkg/core/distributed) runs, and is tested, on one
// machine without GPUs; b.NumDevices() reports the count of any backend. NewWithCPUOptions sets the device
// count and the synchronous execution together.
//
// # Builds without cgo
//
// The XLA backend needs cgo. Without a C compiler (CGO_ENABLED=0, Go's default then), on
// platforms go-xla does not support, or with -tags noxla, the package builds with the
// pure-Go backend alone and XLA configurations fail with ErrXLANotBuilt.
//
// # Tests
//
// The error paths are tested without any plugin. With DEEPTUCKER_TEST_XLA=1 the tests
// also run a small computation (a product and its gradient) on the XLA backend that
// GOMLX_BACKEND names, and compare it with the host and the pure-Go backend:
//
//	export GOMLX_BACKEND=$(bash deeptucker/backend/scripts/install-xla-cpu.sh)
//	DEEPTUCKER_TEST_XLA=1 go test ./deeptucker/backend/
package backend

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

// reference is the JAX reference (deeptucker/benchref/deeptucker_ref.py) running as a server in the
// project's Python environment: one JSON request per line, one answer per line.
type reference struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	Version string
}

// startReference starts the server with python, on jaxlib's XLA or, when plugin names a PJRT plugin file,
// on that plugin; or returns an error saying why it cannot run (no interpreter, no JAX).
func startReference(python, script, plugin string) (*reference, error) {
	if _, err := os.Stat(python); err != nil {
		return nil, fmt.Errorf("no Python environment at %s (`make bench-env` creates it with JAX): %w", python, err)
	}
	if out, err := exec.Command(python, "-c", "import jax").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s cannot import jax (`make bench-env` installs it): %v: %s", python, err, lastLine(string(out)))
	}
	cmd := exec.Command(python, script)
	// One process on the CPU like ours; JAX's own defaults otherwise. On our plugin, the XLA flags our
	// xla:cpu backend adds too, so that the two columns differ by the code alone.
	if plugin != "" {
		cmd.Env = append(os.Environ(), "DEEPTUCKER_REF_PJRT_PLUGIN="+plugin,
			backend.XLAFlagsEnv+"="+backend.CPUXLAFlags(plugin, os.Getenv(backend.XLAFlagsEnv)))
	} else {
		cmd.Env = append(os.Environ(), "JAX_PLATFORMS=cpu")
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ref := &reference{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	var v struct {
		JAX, JAXLib string
		Devices     []string
	}
	if err := ref.call(map[string]any{"op": "version"}, &v); err != nil {
		ref.Close()
		return nil, err
	}
	ref.Version = fmt.Sprintf("JAX %s (jaxlib %s, %s)", v.JAX, v.JAXLib, strings.Join(v.Devices, ", "))
	return ref, nil
}

// call sends one request and decodes the answer into out.
func (r *reference) call(req map[string]any, out any) error {
	b, _ := json.Marshal(req)
	if _, err := r.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	line, err := r.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("reference stopped (%v) answering %s", err, b)
	}
	var e struct{ Error string }
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		return fmt.Errorf("reference, %s: %s", b, e.Error)
	}
	return json.Unmarshal(line, out)
}

// losses returns the loss of every model before each of steps steps and after the last: [steps+1][M].
func (r *reference) losses(dir string, steps int) ([][]float64, error) {
	var a struct{ Losses [][]float64 }
	err := r.call(map[string]any{"op": "losses", "dir": dir, "steps": steps}, &a)
	return a.Losses, err
}

// time returns the seconds of steps steps after warmup untimed ones.
func (r *reference) time(dir string, steps, warmup int) (float64, error) {
	var a struct{ Seconds float64 }
	err := r.call(map[string]any{"op": "time", "dir": dir, "steps": steps, "warmup": warmup}, &a)
	return a.Seconds, err
}

// flops returns XLA's cost analysis of the compiled batched step, per model.
func (r *reference) flops(dir string) (float64, error) {
	var a struct {
		Flops float64 `json:"flops_per_model_step"`
	}
	err := r.call(map[string]any{"op": "flops", "dir": dir}, &a)
	return a.Flops, err
}

// Close stops the server.
func (r *reference) Close() error {
	if r == nil {
		return nil
	}
	r.in.Close()
	return r.cmd.Wait()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// findRoot returns the repository root above the working directory (the directory holding go.mod).
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("benchcompare: run it inside the repository (no go.mod above the working directory)")
		}
		dir = parent
	}
}

// Command browsertest checks the notebooks in a real browser, the way a user
// meets them: it starts JupyterLab (from .venv, token auth on, 127.0.0.1),
// drives the system's headless Chromium with go-rod, and
//
//  1. opens -notebook, runs all its cells under the "deeptucker-go" kernel,
//     waits for every cell to finish, then checks that no cell failed and
//     that figures (<img> with a decoded picture) and tables rendered;
//
//  2. opens -saved (an executed copy written by nbconvert, so an untrusted
//     notebook whose HTML JupyterLab sanitises) without running it, and
//     checks that its saved figures and tables render too.
//
//  3. checks that JupyterLab shows no "news" toast: the project's lab
//     settings (.venv/share/jupyter/lab/settings/overrides.json, written by
//     kernel/setup.sh) turn news and update checks off;
//
//  4. renders the first figure of each executed notebook matching -figures
//     (and every SVG in -gallery) alone in the browser, saves it as PNG in
//     -out/figures (-out itself with -figures-only) for a person to look at, and fails when a text of the
//     figure (title, tick label, legend) leaves the figure's canvas with the
//     browser's own fonts. Notebooks not executed yet are skipped.
//
// Each step saves a screenshot in -out. The repository's notebooks are never
// modified: JupyterLab serves copies from -out/lab.
//
//	go run ./kernel/cmd/browsertest -out build/browser -notebook kernel/testdata/smoke.ipynb \
//		-saved build/notebooks/00-quickstart.ipynb -figures "build/notebooks/*.ipynb"
//
// Run `make setup` first (make browser-test does), and install Chromium
// (Debian: apt-get install chromium). go-rod never downloads a browser here.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
)

const kernelName = "deeptucker-go"

func main() {
	var (
		root     = flag.String("root", ".", "repository root (holds .venv)")
		out      = flag.String("out", "build/browser", "directory for screenshots, logs and the served copies")
		nbPath   = flag.String("notebook", "kernel/testdata/smoke.ipynb", "notebook to run in the browser")
		saved    = flag.String("saved", "", "executed notebook to open without running (skipped when empty or missing)")
		chromium = flag.String("chromium", "", "Chromium binary (default: chromium, chromium-browser or google-chrome on PATH)")
		timeout  = flag.Duration("timeout", 10*time.Minute, "limit for the whole test")
		figures  = flag.String("figures", "", "glob of executed notebooks whose first figure is rendered to PNG")
		gallery  = flag.String("gallery", "", "directory of SVG files, each rendered to PNG (e.g. kernel's TestGallery output)")
		figsOnly = flag.Bool("figures-only", false, "only render -figures and -gallery (no JupyterLab)")
	)
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	err := run(ctx, config{root: *root, out: *out, notebook: *nbPath, saved: *saved, chromium: *chromium,
		figures: *figures, gallery: *gallery, figuresOnly: *figsOnly})
	if err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: FAILED: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	root, out, notebook, saved, chromium string
	figures, gallery                     string
	figuresOnly                          bool
}

func run(ctx context.Context, cfg config) error {
	root, err := filepath.Abs(cfg.root)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(cfg.out)
	if err != nil {
		return err
	}
	bin, err := findChromium(cfg.chromium)
	if err != nil {
		return err
	}
	if cfg.figuresOnly {
		return renderFigures(ctx, bin, out, cfg)
	}
	jupyter := filepath.Join(root, ".venv", "bin", "jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		return fmt.Errorf("%s not found: run 'make setup' first", jupyter)
	}

	// A fresh tree each run: served notebooks, Jupyter's settings and data.
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	labDir := filepath.Join(out, "lab")
	for _, d := range []string{labDir, filepath.Join(out, "jupyter-data"), filepath.Join(out, "jupyter-config"), filepath.Join(out, "chromium")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	liveName := filepath.Base(cfg.notebook)
	if err := copyFile(cfg.notebook, filepath.Join(labDir, liveName)); err != nil {
		return fmt.Errorf("copying the notebook to run: %w", err)
	}
	savedName := ""
	if cfg.saved != "" {
		if _, err := os.Stat(cfg.saved); err == nil {
			savedName = "saved-" + filepath.Base(cfg.saved)
			if err := copyFile(cfg.saved, filepath.Join(labDir, savedName)); err != nil {
				return err
			}
		} else {
			fmt.Printf("browsertest: %s not found (run 'make notebooks' first); the saved-notebook check is skipped\n", cfg.saved)
		}
	}
	if err := writeLabSettings(filepath.Join(out, "lab-settings")); err != nil {
		return err
	}

	lab, err := startLab(ctx, jupyter, root, out, labDir)
	if err != nil {
		return err
	}
	defer lab.stop()
	fmt.Printf("browsertest: JupyterLab at %s (log: %s)\n", lab.base, lab.logPath)

	browser, stop, err := launchChromium(ctx, bin, filepath.Join(out, "chromium"))
	if err != nil {
		return err
	}
	defer stop()

	live, page, err := checkLive(ctx, browser, lab, liveName, filepath.Join(out, "live.png"))
	if err != nil {
		return fmt.Errorf("%s: %w (screenshot %s, log %s)", liveName, err, filepath.Join(out, "live.png"), lab.logPath)
	}
	fmt.Printf("browsertest: %s ran in the browser: %s\n", liveName, live)
	if err := checkNoNewsToast(page); err != nil {
		return fmt.Errorf("%s: %w (screenshot %s)", liveName, err, filepath.Join(out, "live.png"))
	}
	fmt.Println("browsertest: no news or update toast (lab settings from kernel/setup.sh)")
	if savedName != "" {
		s, err := checkSaved(ctx, browser, lab, savedName, filepath.Join(out, "saved.png"))
		if err != nil {
			return fmt.Errorf("%s: %w (screenshot %s)", savedName, err, filepath.Join(out, "saved.png"))
		}
		fmt.Printf("browsertest: %s rendered from its saved outputs: %s\n", cfg.saved, s)
	}
	if err := checkFigures(ctx, browser, filepath.Join(out, "figures"), cfg); err != nil {
		return err
	}
	fmt.Printf("browsertest: ok; screenshots in %s\n", out)
	return nil
}

// findChromium returns the browser binary to drive.
func findChromium(flagValue string) (string, error) {
	if flagValue != "" {
		return exec.LookPath(flagValue)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium on PATH: install it (Debian: apt-get install chromium) or pass -chromium")
}

// writeLabSettings keeps every cell in the DOM (no windowed rendering, so all
// outputs can be inspected). News and update checks are left to the
// project's overrides.json, which checkNoNewsToast verifies.
func writeLabSettings(dir string) error {
	settings := map[string]string{
		"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": `{"windowingMode": "none"}`,
	}
	for name, content := range settings {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// labServer is a running JupyterLab.
type labServer struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port/
	token   string
	logPath string
	done    chan struct{}
}

func (s *labServer) url(path string) string { return s.base + path + "?token=" + s.token }

// startLab starts JupyterLab on labDir and waits until it answers.
func startLab(ctx context.Context, jupyter, root, out, labDir string) (*labServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	s := &labServer{
		base:    fmt.Sprintf("http://127.0.0.1:%d/", port),
		token:   hex.EncodeToString(tok),
		logPath: filepath.Join(out, "jupyter.log"),
		done:    make(chan struct{}),
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	args := []string{"lab", "--no-browser", "--expose-app-in-browser",
		"--ServerApp.ip=127.0.0.1", fmt.Sprintf("--ServerApp.port=%d", port), "--ServerApp.port_retries=0",
		"--ServerApp.root_dir=" + labDir}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	s.cmd = exec.Command(jupyter, args...)
	s.cmd.Dir = labDir
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop() ends kernels too
	s.cmd.Env = append(os.Environ(),
		"JUPYTER_TOKEN="+s.token,
		"JUPYTER_PATH="+filepath.Join(root, ".venv", "share", "jupyter"),
		"JUPYTER_DATA_DIR="+filepath.Join(out, "jupyter-data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(out, "jupyter-config"),
		"JUPYTERLAB_SETTINGS_DIR="+filepath.Join(out, "lab-settings"),
		"JUPYTERLAB_WORKSPACES_DIR="+filepath.Join(out, "lab-workspaces"),
	)
	if os.Getenv("GOMLX_BACKEND") == "" {
		s.cmd.Env = append(s.cmd.Env, "GOMLX_BACKEND=go")
	}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", jupyter, err)
	}
	go func() {
		_ = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()

	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.url("api/status"))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("JupyterLab exited at start; see %s", s.logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("JupyterLab did not answer within 90s; see %s", s.logPath)
		}
	}
}

// stop asks JupyterLab (its process group: server and kernels) to shut down,
// and kills it if it has not within 10 s.
func (s *labServer) stop() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// jsState reads the open notebook: its kernel and the state of its cells.
const jsState = `() => {
	const app = globalThis.jupyterapp;
	const w = app && app.shell.currentWidget;
	if (!w || !w.content || !w.sessionContext || !w.content.widgets) return JSON.stringify({phase: "loading"});
	const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
	const code = w.content.widgets.filter(c => c.model.type === "code" && c.model.sharedModel.getSource().trim() !== "");
	let pending = 0, errors = [];
	code.forEach((c, i) => {
		const prompt = c.node.querySelector(".jp-InputPrompt");
		if (c.model.executionCount === null || (prompt && prompt.textContent.includes("*"))) pending++;
		const outs = c.model.outputs.toJSON();
		outs.filter(o => o.output_type === "error").forEach(o => errors.push("code cell " + (i + 1) + ": " + o.ename + ": " + o.evalue));
	});
	return JSON.stringify({
		phase: "ready",
		kernel: kernel ? kernel.name : "",
		status: kernel ? kernel.status : "none",
		connection: kernel ? kernel.connectionStatus : "none",
		cells: code.length, pending: pending, errors: errors,
		trusted: code.every(c => c.model.trusted),
	});
}`

// jsRendered counts what rendered in the outputs of the open notebook.
const jsRendered = `() => {
	const w = globalThis.jupyterapp.shell.currentWidget;
	const imgs = [...w.node.querySelectorAll(".jp-OutputArea-output img")];
	const tables = [...w.node.querySelectorAll(".jp-OutputArea-output table")];
	const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
	return JSON.stringify({
		figures: imgs.length,
		figuresDrawn: imgs.filter(i => i.complete && i.naturalWidth > 0 && visible(i)).length,
		tables: tables.length,
		tablesDrawn: tables.filter(t => t.querySelectorAll("td").length > 0 && visible(t)).length,
	});
}`

type notebookState struct {
	Phase, Kernel, Status, Connection string
	Cells, Pending                    int
	Errors                            []string
	Trusted                           bool
}

type rendered struct {
	Figures, FiguresDrawn, Tables, TablesDrawn int
}

func (r rendered) String() string {
	return fmt.Sprintf("%d/%d figures and %d/%d tables drawn", r.FiguresDrawn, r.Figures, r.TablesDrawn, r.Tables)
}

// evalJSON runs a JavaScript function returning JSON.stringify(...) and decodes it.
func evalJSON(page *rod.Page, js string, v any) error {
	res, err := page.Eval(js)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(res.Value.Str()), v)
}

// openNotebook opens a notebook in JupyterLab and waits for its kernel to be idle.
func openNotebook(ctx context.Context, browser *rod.Browser, lab *labServer, name string) (*rod.Page, error) {
	page, err := browser.Page(proto.TargetCreateTarget{URL: lab.url("lab/tree/" + name)})
	if err != nil {
		return nil, err
	}
	if err := page.SetViewport(&proto.EmulationSetDeviceMetricsOverride{Width: 1280, Height: 2400, DeviceScaleFactor: 1}); err != nil {
		return nil, err
	}
	var st notebookState
	err = poll(ctx, 3*time.Minute, func() (bool, error) {
		if err := evalJSON(page, jsState, &st); err != nil {
			return false, nil // the page is still loading its scripts
		}
		return st.Phase == "ready" && st.Connection == "connected", nil
	})
	if err != nil {
		return page, fmt.Errorf("the notebook or its kernel did not get ready (last state %+v): %w", st, err)
	}
	if st.Kernel != kernelName {
		return page, fmt.Errorf("the notebook runs kernel %q, want %q", st.Kernel, kernelName)
	}
	return page, nil
}

// checkLive runs all cells of the notebook and checks what they show.
func checkLive(ctx context.Context, browser *rod.Browser, lab *labServer, name, shot string) (string, *rod.Page, error) {
	page, err := openNotebook(ctx, browser, lab, name)
	defer screenshot(page, shot)
	if err != nil {
		return "", page, err
	}
	if _, err := page.Eval(`() => { globalThis.jupyterapp.commands.execute("notebook:run-all-cells"); }`); err != nil {
		return "", page, err
	}
	var st notebookState
	idleStreak := 0
	err = poll(ctx, 8*time.Minute, func() (bool, error) {
		if err := evalJSON(page, jsState, &st); err != nil {
			return false, err
		}
		// Done when every cell has run and the kernel stayed idle twice in a row.
		if st.Pending == 0 && st.Status == "idle" {
			idleStreak++
		} else {
			idleStreak = 0
		}
		return idleStreak >= 2, nil
	})
	if err != nil {
		return "", page, fmt.Errorf("cells did not finish (last state %+v): %w", st, err)
	}
	if len(st.Errors) > 0 {
		return "", page, fmt.Errorf("cells failed: %s", strings.Join(st.Errors, "; "))
	}
	r, err := waitRendered(ctx, page)
	if err != nil {
		return "", page, err
	}
	return fmt.Sprintf("%d code cells, %s", st.Cells, r), page, nil
}

// jsToasts lists the texts of JupyterLab's toast notifications on screen.
const jsToasts = `() => JSON.stringify([...document.querySelectorAll(".Toastify__toast, .jp-Notification-Toast")].map(t => t.textContent.trim()))`

// checkNoNewsToast fails when JupyterLab shows a toast about news or updates
// (the pop-up that asks to fetch Jupyter news covers the first outputs).
// The page has been open for the whole run, long past the toast's delay.
func checkNoNewsToast(page *rod.Page) error {
	var toasts []string
	if err := evalJSON(page, jsToasts, &toasts); err != nil {
		return err
	}
	for _, t := range toasts {
		low := strings.ToLower(t)
		if strings.Contains(low, "news") || strings.Contains(low, "update") {
			return fmt.Errorf("JupyterLab shows the toast %q: are news and update checks off in .venv/share/jupyter/lab/settings/overrides.json (make setup)?", t)
		}
	}
	return nil
}

// checkSaved opens an executed notebook without running it and checks that
// its saved outputs render.
func checkSaved(ctx context.Context, browser *rod.Browser, lab *labServer, name, shot string) (string, error) {
	page, err := openNotebook(ctx, browser, lab, name)
	defer screenshot(page, shot)
	if err != nil {
		return "", err
	}
	var st notebookState
	if err := evalJSON(page, jsState, &st); err != nil {
		return "", err
	}
	r, err := waitRendered(ctx, page)
	if err != nil {
		return "", err
	}
	trust := "untrusted, sanitised HTML"
	if st.Trusted {
		trust = "trusted"
	}
	return fmt.Sprintf("%s (%s)", r, trust), nil
}

// waitRendered waits until the outputs hold at least one figure and one
// table, all drawn (images decoded, tables with cells, both visible).
func waitRendered(ctx context.Context, page *rod.Page) (rendered, error) {
	var r rendered
	err := poll(ctx, 30*time.Second, func() (bool, error) {
		if err := evalJSON(page, jsRendered, &r); err != nil {
			return false, err
		}
		return r.Figures > 0 && r.Tables > 0 && r.FiguresDrawn == r.Figures && r.TablesDrawn == r.Tables, nil
	})
	if err != nil {
		return r, fmt.Errorf("outputs did not render: %s, want at least one figure and one table, all drawn: %w", r, err)
	}
	return r, nil
}

// poll calls cond every half second until it returns true, an error, or limit passes.
func poll(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// screenshot saves what the page shows, best effort (it runs on failures too).
func screenshot(page *rod.Page, path string) {
	if page == nil {
		return
	}
	png, err := page.Timeout(20*time.Second).Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: screenshot %s: %v\n", path, err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: %v\n", err)
	}
}

// launchChromium starts headless Chromium with its profile in dir, with the flags that keep it off the
// network (this machine's closed network refuses its background connections), and connects to it.
func launchChromium(ctx context.Context, bin, dir string) (*rod.Browser, func(), error) {
	l := launcher.New().Bin(bin).Headless(true).Leakless(false).UserDataDir(dir).
		Set("disable-gpu").Set("disable-quic").Set("disable-component-update").
		Set("no-first-run").Set("disable-sync").Set("disable-background-networking")
	if os.Geteuid() == 0 {
		l = l.NoSandbox(true) // Chromium's sandbox refuses to run as root
	}
	controlURL, err := l.Context(ctx).Launch()
	if err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	browser := rod.New().ControlURL(controlURL).Context(ctx)
	if err := browser.Connect(); err != nil {
		l.Kill()
		return nil, nil, fmt.Errorf("connecting to Chromium: %w", err)
	}
	return browser, func() { browser.Close(); l.Kill() }, nil
}

// Package kernel holds what the notebooks show: figures, tables, progress
// and checked numbers, for the GoNB kernel "Go (deep Tucker)". It is the
// only package of the module that imports gonbui; every Display function does
// nothing outside a notebook, and every figure is also available as a string
// (the SVG methods), so the helpers are tested like any Go code.
//
// # Figures and the paper
//
//   - LinePlot: named series over steps, optionally on a log10 y axis. The
//     paper's Fig. 3 plots, over iterations, the squared norms of the mode-1
//     factor columns ||A_1^{1,r}...A_k^{1,r} w_r^1||^2 (left) and of the core
//     slices ||G_{r,:,:}||^2 (right): one Series per column r.
//   - Grid: LinePlots in rows of Cols panels (Fig. 3 has one row per depth).
//   - Scatter: x = depth (integer axis, seeded jitter), y = a count such as the
//     mode-1 columns with squared norm > 0.01 (Fig. 4) or the multilinear rank
//     (Fig. 5), colour = an error on a ColorScale with a colour bar:
//     ErrorScale is log10 from 1e-12 to 1e-4 (held-out MSE, Figs. 4-5),
//     R2Scale linear from 0.8 to 0.97 (held-out R2, Figs. 6-7).
//   - Table: headers and rows of escaped cells (Table 1); Row formats numbers.
//   - DisplayMarkdown, DisplayHTML: text, with $...$ maths in Markdown.
//   - Progress: one line updated in place in the notebook, plain rate-limited
//     lines in a terminal. Fit's hook is func(step int, records []Record):
//     call p.Update(step, text) from it.
//
// Figures are SVG drawn by gonum.org/v1/plot. They are shown as an <img> with
// a data: URI (plus the raw image/svg+xml): no JavaScript and no network, so
// they render offline, in nbconvert's HTML, and in saved notebooks that
// JupyterLab does not trust (its sanitiser removes inline <svg>, keeps <img>).
//
// # Conventions for notebooks (notebooks/NN-name.ipynb)
//
// Kernel. Set the notebook's kernel to "Go (deep Tucker)": kernelspec name
// "deeptucker-go" in the notebook metadata (nbcheck fails on any other). The
// kernel starts each notebook with a go.work that uses this repository, so the
// first cell imports github.com/deeptucker/deeptucker/... directly: no
// `!*go work use` or %goworkfix cell. GOMLX_BACKEND defaults to "go".
//
// Workload. DEEPTUCKER_PROFILE selects "full" (default: what the text
// describes) or "ci" (what `make test` and CI run, a few minutes for all
// notebooks on two cores, the first GoMLX compile of about 40 s included).
// Choose sizes with ByProfile(full, ci), e.g. seeds := ByProfile(10, 2). The
// real datasets are found through DEEPTUCKER_DATA_DIR, which make sets.
//
// State between cells. Every GoNB cell runs as a new program: declarations
// (imports, types, funcs, vars) carry over, computed values do not. Train in
// one cell and save what later cells plot with encoding/gob (it keeps NaN) to
// a file in os.TempDir(), as 00-quickstart.ipynb does; keep cheap setup in
// functions that later cells call again.
//
// Errors. Display and SVG return an error for bad input (mismatched lengths,
// empty data, invalid bounds); in a cell, panic(err) on it, so that the cell
// fails visibly and the headless run fails too.
//
// Declared outputs. Tag cells (JupyterLab: Property Inspector, "Cell Tags")
// with what they must show once executed:
//
//	expect-figure   at least one figure (SVG or PNG)
//	expect-table    at least one HTML table
//	expect-check    at least one CHECK line
//
// Checked numbers. Check(name, value, lo, hi) prints
//
//	CHECK heldout_mse/depth2=1.61e-09 in [0, 1e-06] ok
//
// and returns whether lo <= value <= hi (NaN never is). The headless run
// re-reads every CHECK line of the executed notebook and fails on a value out
// of bounds, whatever verdict the line shows. State the paper's claims this
// way, with bounds that hold for the "ci" and the "full" profile alike.
//
// Commit notebooks with their outputs cleared (Edit > Clear Outputs of All
// Cells); `make notebooks` writes executed copies to build/notebooks. Before
// running them it checks the committed files (nbcheck -source): a saved output
// is a warning locally and an error in CI.
//
// # Running notebooks
//
//	make lab          setup, then JupyterLab on notebooks/ (127.0.0.1, token)
//	make notebooks    every notebooks/*.ipynb headless (kernel/run-notebooks.sh)
//	                  into build/notebooks, checked by kernel/cmd/nbcheck
//	make browser-test headless Chromium runs kernel/testdata/smoke.ipynb in
//	                  JupyterLab and opens the executed quickstart
//	make test         all of it, plus go test ./... (what CI runs)
package kernel

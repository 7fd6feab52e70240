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
//   - Scatter: x = depth (integer axis), y = a count such as the mode-1
//     columns with squared norm > 0.01 (Fig. 4) or the multilinear rank
//     (Fig. 5), colour = an error or score on a ColorScale with a colour bar:
//     ErrorScale is log10 from 1e-12 to 1e-4 (held-out MSE, Figs. 4-5),
//     R2Scale linear from 0.8 to 0.97 (held-out R2, Figs. 6-7). Runs that
//     tie on (depth, count) are spread sideways, symmetric about their tick
//     (JitterX, at most ±0.3); a count never moves off its tick. Failed runs
//     (NaN value, or Failed[i]) are grey crosses, or left out and counted
//     with HideFailed.
//   - Table: headers and rows of escaped cells (Table 1); Row formats numbers,
//     MeanSD summarises repeated runs ("0.96 ± 0.01 (n=3)", "0.81 (n=1)").
//   - Start: the first call of a notebook's first cell (a cell importing only
//     this package): prints the profile and backend and warns that the next
//     cell's first GoMLX compile takes about 1-2 minutes.
//   - DisplayMarkdown, DisplayHTML: text, with $...$ maths in Markdown.
//   - Progress: one line updated in place in the notebook, plain rate-limited
//     lines in a terminal. Fit's hook is func(step int, records []Record):
//     call p.Update(step, text) from it.
//
// One figure style everywhere. Colour: on every ColorScale the better end is
// green and the worse end purple (HigherIsBetter says which end is better:
// false for an error, true for a score), and the colour bar puts the better
// end on top, marked "better". Values beyond the scale are drawn as
// triangles pointing beyond it, and the bar's end reads "≤ Min" or "≥ Max":
// a negative R2 is never shown as if it were the scale's minimum. Sizes:
// 6 x 4 inches for a single plot (colour bar included), 4.2 x 2.8 inches per
// Grid panel. Titles wrap to the figure's width; legends and colour bars sit
// right of the axes. Give axis labels their unit, e.g. "time (s)".
// TestGallery draws figures shaped like the notebooks'; `make figures`
// renders them (and each executed notebook's first figure) to PNG to look at.
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
// `!*go work use` or %goworkfix cell. GOMLX_BACKEND, when unset, is XLA's CPU
// plugin where `make setup` installed it, else "go" (package deeptucker/backend).
//
// Workload. DEEPTUCKER_PROFILE selects "full" (default: what the text
// describes) or "ci" (what `make test` and CI run, a few minutes for all
// notebooks on two cores, the first GoMLX compile included). Any other value
// is an error: Profile returns it, MustProfile, IsCI and ByProfile panic with
// it. Choose sizes with ByProfile(full, ci), e.g. seeds := ByProfile(10, 2). The
// real datasets are found through DEEPTUCKER_DATA_DIR, which make sets.
//
// State between cells. Every GoNB cell runs as a new program: declarations
// (imports, types, funcs, vars) carry over, computed values do not. Train
// through package study (Notebook.Train): each run is stored under the hash of
// its full settings in the notebook's results folder, so the training cell
// trains, later cells call the same function and read the runs back, and a
// changed setting retrains exactly what it touches. Keep cheap setup in
// functions that later cells call again. Never write to fixed /tmp paths.
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
// Commit notebooks executed in the full profile: `make executed-notebooks`
// runs them, stamps them (the profile, a hash of their code cells and one of
// the library: Go code under datasets/, deeptucker/, kernel/, go.mod, go.sum) and
// copies them to notebooks/. `make notebooks` writes ci-profile executions to
// build/notebooks; before running them it checks the committed files (nbcheck
// -committed full): a stale or unstamped copy is a warning locally and an
// error in CI. Test fixtures (kernel/testdata) stay committed with outputs
// cleared (nbcheck -source).
//
// # Running notebooks
//
//	make lab          setup, then JupyterLab on notebooks/ (127.0.0.1, token)
//	make notebooks    every notebooks/*.ipynb headless (kernel/run-notebooks.sh)
//	                  into build/notebooks, checked by kernel/cmd/nbcheck
//	make browser-test headless Chromium runs kernel/testdata/smoke.ipynb in
//	                  JupyterLab, opens the executed quickstart, checks that no
//	                  news toast shows, and renders each executed notebook's
//	                  first figure to PNG (build/browser/figures)
//	make check-lab    starts `make lab` for real: port choice, token checks
//	make test         all of it, plus go test ./... (what CI runs)
package kernel

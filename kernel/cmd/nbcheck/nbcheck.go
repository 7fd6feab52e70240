package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/deeptucker/deeptucker/kernel"
)

// Cell tags a notebook sets (JupyterLab: right sidebar, "Cell tags") to
// declare what a cell must show once executed.
const (
	TagFigure = "expect-figure" // at least one figure: SVG or PNG output
	TagTable  = "expect-table"  // at least one HTML <table>
	TagCheck  = "expect-check"  // at least one CHECK line (see kernel.Check)
)

// notebook is the part of the nbformat 4 JSON that is checked.
type notebook struct {
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
		Deeptucker *Stamp `json:"deeptucker"`
	} `json:"metadata"`
	Cells []cell `json:"cells"`
}

type cell struct {
	CellType       string    `json:"cell_type"`
	Source         multiline `json:"source"`
	ExecutionCount *int      `json:"execution_count"`
	Outputs        []output  `json:"outputs"`
	Metadata       cellMeta  `json:"metadata"`
}

type cellMeta struct {
	Tags []string `json:"tags"`
}

type output struct {
	OutputType string               `json:"output_type"`
	Name       string               `json:"name"` // stream: stdout or stderr
	Text       multiline            `json:"text"`
	Data       map[string]multiline `json:"data"`
	Ename      string               `json:"ename"`
	Evalue     string               `json:"evalue"`
	Traceback  []string             `json:"traceback"`
}

// multiline is a notebook text: nbformat stores it as a string or as a list
// of strings to be joined.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		// Non-text data (e.g. a JSON mime bundle) is not inspected.
		*m = ""
		return nil
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// options of a check.
type options struct {
	// Kernel is the kernelspec name every notebook must declare ("" = any).
	Kernel string
	// Source checks a notebook as committed (not executed): it must hold no
	// outputs and no execution counts.
	Source bool
	// Committed checks a notebook as committed executed: its stamp says it ran
	// in this profile from the cells it holds now, and its outputs pass every
	// rule of an executed notebook.
	Committed string
	// Library, with Committed, is the LibraryHash the stamp must hold ("": not checked).
	Library string
}

// report is the outcome for one notebook.
type report struct {
	Path            string
	CodeCells       int
	Figures, Tables int
	Checks          []kernel.CheckLine
	Problems        []string
	source          bool // checked as committed, not executed
}

func (r *report) problemf(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

var (
	// GoNB reports compile and run errors as HTML with this class.
	reGoNBError = regexp.MustCompile(`gonb-err-location`)
	reTable     = regexp.MustCompile(`(?i)<table[\s>]`)
	reFigure    = regexp.MustCompile(`(?i)<svg[\s>]|<img[^>]+src="data:image/(svg\+xml|png)`)
	reANSI      = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// checkFile reads and checks one executed notebook. The error is for a file
// that cannot be read or parsed; problems found in it are in the report.
func checkFile(path string, opts options) (*report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		return nil, fmt.Errorf("%s is not notebook JSON: %w", path, err)
	}
	return checkNotebook(path, &nb, opts), nil
}

// checkNotebook applies every rule to a parsed notebook.
func checkNotebook(path string, nb *notebook, opts options) *report {
	r := &report{Path: path, source: opts.Source}
	if opts.Kernel != "" && nb.Metadata.Kernelspec.Name != opts.Kernel {
		r.problemf("notebook kernelspec is %q, want %q (set it in JupyterLab: Kernel > Change Kernel)",
			nb.Metadata.Kernelspec.Name, opts.Kernel)
	}
	if opts.Committed != "" {
		checkStamp(r, nb, opts.Committed, opts.Library)
	}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		where := fmt.Sprintf("cell %d", i+1)
		if opts.Source {
			// Committed notebooks carry no outputs: small diffs, and no stale
			// results that disagree with the code.
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				r.problemf("%s holds outputs or an execution count: commit notebooks with outputs cleared "+
					"(JupyterLab: Edit > Clear Outputs of All Cells)", where)
			}
			continue
		}
		if strings.TrimSpace(string(c.Source)) == "" {
			continue
		}
		r.CodeCells++
		checkCell(r, where, c)
	}
	return r
}

func checkCell(r *report, where string, c cell) {
	if c.ExecutionCount == nil {
		r.problemf("%s was not executed (did the kernel die or time out?): %s", where, firstLine(string(c.Source)))
		return
	}
	var stdout, stderr strings.Builder
	figures, tables, gonbErr := 0, 0, ""
	var errors []output
	for _, o := range c.Outputs {
		switch o.OutputType {
		case "stream":
			if o.Name == "stderr" {
				stderr.WriteString(string(o.Text))
			} else {
				stdout.WriteString(string(o.Text))
			}
		case "error":
			errors = append(errors, o)
		case "display_data", "execute_result", "update_display_data":
			_, svg := o.Data["image/svg+xml"]
			_, png := o.Data["image/png"]
			h := string(o.Data["text/html"])
			switch {
			case reGoNBError.MatchString(h):
				gonbErr += gonbErrorText(h)
			case svg || png || reFigure.MatchString(h):
				figures++
			}
			if reTable.MatchString(h) {
				tables++
			}
		}
	}
	// GoNB sends an "error" output after its HTML report (compile errors)
	// or the program's stderr (panics): report each failure once, with the
	// text that explains it.
	detail := indent(lastLines(gonbErr, 12) + "\n" + lastLines(stderr.String(), 12))
	for _, o := range errors {
		r.problemf("%s failed: %s: %s%s", where, o.Ename, o.Evalue, detail)
	}
	if len(errors) == 0 {
		switch {
		case gonbErr != "":
			r.problemf("%s shows a GoNB error report:%s", where, detail)
		case strings.Contains(stderr.String(), "panic:"):
			r.problemf("%s panicked:%s", where, detail)
		}
	}
	r.Figures += figures
	r.Tables += tables

	nChecks := 0
	for _, line := range strings.Split(stdout.String(), "\n") {
		chk, isCheck, err := kernel.ParseCheckLine(line)
		if !isCheck {
			continue
		}
		nChecks++
		if err != nil {
			r.problemf("%s: %v", where, err)
			continue
		}
		r.Checks = append(r.Checks, chk)
		if !chk.Holds() {
			r.problemf("%s: check %s=%g is outside [%g, %g]", where, chk.Name, chk.Value, chk.Lo, chk.Hi)
		}
	}
	for _, tag := range c.Metadata.Tags {
		switch {
		case tag == TagFigure && figures == 0:
			r.problemf("%s is tagged %s but shows no figure (SVG/PNG)", where, TagFigure)
		case tag == TagTable && tables == 0:
			r.problemf("%s is tagged %s but shows no HTML table", where, TagTable)
		case tag == TagCheck && nChecks == 0:
			r.problemf("%s is tagged %s but prints no CHECK line", where, TagCheck)
		}
	}
}

var (
	reStyle = regexp.MustCompile(`(?s)<style>.*?</style>`)
	reTag   = regexp.MustCompile(`<[^>]*>`)
)

// gonbErrorText turns GoNB's HTML error report into its text lines: the
// compiler's messages, each followed by the offending cell lines.
func gonbErrorText(h string) string {
	t := html.UnescapeString(reTag.ReplaceAllString(reStyle.ReplaceAllString(h, ""), ""))
	var lines []string
	for _, l := range strings.Split(t, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func lastLines(s string, n int) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(reANSI.ReplaceAllString(s, ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	s = strings.Trim(s, "\n")
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return "\n\t| " + strings.ReplaceAll(s, "\n", "\n\t| ")
}

// summary is the one-line account of a notebook that passed or failed.
func (r *report) summary() string {
	if r.source {
		if len(r.Problems) > 0 {
			return fmt.Sprintf("%s: FAILED (%d problems) as committed", filepath.Base(r.Path), len(r.Problems))
		}
		return fmt.Sprintf("%s: ok as committed", filepath.Base(r.Path))
	}
	verdict := "ok"
	if len(r.Problems) > 0 {
		verdict = fmt.Sprintf("FAILED (%d problems)", len(r.Problems))
	}
	return fmt.Sprintf("%s: %s: %d code cells, %d figures, %d tables, %d checks",
		filepath.Base(r.Path), verdict, r.CodeCells, r.Figures, r.Tables, len(r.Checks))
}

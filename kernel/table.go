package kernel

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/deeptucker/deeptucker/deeptucker/metrics"
)

// Table is an HTML table in the style of the paper's Table 1: a header row,
// then rows of cells. Every text is HTML-escaped; cells that read as numbers
// are right-aligned.
type Table struct {
	Caption string
	Headers []string
	Rows    [][]string
}

// Row formats values as table cells: float64 with 4 significant digits (%.4g),
// other values with %v. It saves Sprintf calls when building Table.Rows.
func Row(values ...any) []string {
	cells := make([]string, len(values))
	for i, v := range values {
		switch x := v.(type) {
		case float64:
			cells[i] = FormatFloat(x)
		case float32:
			cells[i] = FormatFloat(float64(x))
		default:
			cells[i] = fmt.Sprint(v)
		}
	}
	return cells
}

// FormatFloat writes v with 4 significant digits: 0.9681, 3.2e-09, NaN.
func FormatFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// HTML returns the table as an HTML fragment. It fails when a row has a
// different number of cells than there are headers.
func (t Table) HTML() (string, error) {
	if len(t.Headers) == 0 {
		return "", fmt.Errorf("kernel: Table %q has no headers", t.Caption)
	}
	for i, row := range t.Rows {
		if len(row) != len(t.Headers) {
			return "", fmt.Errorf("kernel: Table %q: row %d has %d cells, want %d (one per header %q)",
				t.Caption, i, len(row), len(t.Headers), t.Headers)
		}
	}
	var b strings.Builder
	b.WriteString("<table>\n")
	if t.Caption != "" {
		b.WriteString("<caption>" + html.EscapeString(t.Caption) + "</caption>\n")
	}
	b.WriteString("<thead><tr>")
	for _, h := range t.Headers {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range t.Rows {
		b.WriteString("<tr>")
		for _, cell := range row {
			if isNumber(cell) {
				b.WriteString(`<td style="text-align:right">`)
			} else {
				b.WriteString("<td>")
			}
			b.WriteString(html.EscapeString(cell) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String(), nil
}

// Display shows the table in the notebook.
func (t Table) Display() error {
	h, err := t.HTML()
	if err != nil {
		return err
	}
	DisplayHTML(h)
	return nil
}

// isNumber reports whether a cell reads as a number (so it is right-aligned).
func isNumber(cell string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
	return err == nil
}

// MeanSD summarises the runs of one table cell as "mean ± sd (n=k)", with
// the sample standard deviation and 4 significant digits: "0.9612 ± 0.0031
// (n=3)". A single run reads "0.81 (n=1)", not "± NaN". NaN or infinite
// values are failed runs: left out of the mean and counted, "(n=2, 1 failed)";
// with no finite value at all it reads "– (n=0, 2 failed)".
func MeanSD(values []float64) string {
	var ok []float64
	for _, v := range values {
		if finite(v) {
			ok = append(ok, v)
		}
	}
	n := fmt.Sprintf("n=%d", len(ok))
	if failed := len(values) - len(ok); failed > 0 {
		n += fmt.Sprintf(", %d failed", failed)
	}
	switch len(ok) {
	case 0:
		return "– (" + n + ")"
	case 1:
		return FormatFloat(ok[0]) + " (" + n + ")"
	}
	mean, sd := metrics.MeanStd(ok) // scale-safe: values beyond 1e154 (a diverged run's error) do not overflow
	return FormatFloat(mean) + " ± " + FormatFloat(sd) + " (" + n + ")"
}

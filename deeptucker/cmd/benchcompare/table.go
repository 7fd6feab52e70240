package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

// printTable writes the Markdown ratio table: model-steps/s per implementation (medians), ours/best (the best
// of our backends over the reference), xla:cpu over the reference on the same XLA plugin, go/xla:cpu, and the
// FLOPs per model-step.
func printTable(w io.Writer, table []*row, backends []string, withRef, withPluginRef bool, rounds int, start time.Time, loadStart, loadEnd string) {
	fmt.Fprintf(w, "\n%s; %s; load average %s at start, %s at end; %d rounds (plus one to calibrate), medians; "+
		"model-steps/s, float64, Adam, full batch; ours %s%s.\n\n",
		start.UTC().Format("2006-01-02 15:04 MST"), machine(), loadStart, loadEnd, rounds, callsNote(table), devicesNote(backends))
	header := []string{"problem"}
	header = append(header, backends...)
	if withRef {
		header = append(header, refName, "ours / best")
	}
	if withPluginRef {
		header = append(header, pluginRefName, "xla:cpu / it")
	}
	hasGoXLA := contains(backends, "go") && contains(backends, "xla:cpu")
	if hasGoXLA {
		header = append(header, "go / xla:cpu")
	}
	header = append(header, "kFLOP/model-step ours")
	if withRef {
		header = append(header, "JAX (XLA cost analysis)")
	}
	fmt.Fprintf(w, "| %s |\n|---|%s\n", strings.Join(header, " | "), strings.Repeat("---:|", len(header)-1))
	for _, r := range table {
		cols := []string{r.Problem.Name}
		best := math.NaN()
		for _, b := range backends {
			v := r.Cells[b].median()
			cols = append(cols, rate(v))
			if !math.IsNaN(v) && !(v <= best) {
				best = v
			}
		}
		if withRef {
			ref := r.Cells[refName].median()
			cols = append(cols, rate(ref), ratio(best/ref))
		}
		if withPluginRef {
			pref := r.Cells[pluginRefName].median()
			cols = append(cols, rate(pref), ratio(r.Cells["xla:cpu"].median()/pref))
		}
		if hasGoXLA {
			cols = append(cols, ratio(r.Cells["go"].median()/r.Cells["xla:cpu"].median()))
		}
		cols = append(cols, fmt.Sprintf("%.0f", float64(r.OurFLOPs.Total())/1e3))
		if withRef {
			cols = append(cols, fmt.Sprintf("%.0f", r.RefFLOPs/1e3))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	}
	fmt.Fprint(w, syncNote(table, backends))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Our kFLOP per model-step by part (forward / loss / backward / Adam):")
	for _, r := range table {
		f := r.OurFLOPs
		fmt.Fprintf(w, "  %-26s %8.1f / %6.1f / %8.1f / %6.1f\n", r.Problem.Name,
			float64(f.Forward)/1e3, float64(f.Loss)/1e3, float64(f.Backward)/1e3, float64(f.Adam)/1e3)
	}
	fmt.Fprintln(w)
	for _, r := range table {
		for _, name := range append(append([]string(nil), backends...), refName, pluginRefName) {
			if c := r.Cells[name]; c != nil {
				if c.Err != "" {
					fmt.Fprintf(w, "%s on %s: %s\n", r.Problem.Name, name, c.Err)
				} else if len(c.Rates) > 0 {
					extra := ""
					if len(c.MedianStep) > 0 {
						extra = "; from Fit's median step " + rates(c.MedianStep)
					}
					fmt.Fprintf(w, "  %-26s %-13s window %6d steps, rounds %s%s\n", r.Problem.Name, name, c.Window, rates(c.Rates), extra)
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// rate formats a speed with thousands separators.
func rate(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

func rates(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = rate(v)
	}
	return strings.Join(s, ", ")
}

// syncNote names the problems whose calls XLA's CPU plugin ran on the calling thread, for each of our backends.
func syncNote(table []*row, backends []string) string {
	var parts []string
	for _, b := range backends {
		var rows []string
		for _, r := range table {
			if c := r.Cells[b]; c != nil && c.Synchronous {
				rows = append(rows, r.Problem.Name)
			}
		}
		if len(rows) > 0 {
			parts = append(parts, fmt.Sprintf("%s on %s", b, strings.Join(rows, "; ")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("\nSynchronous calls (%s=auto: steps of at most %.0f kFLOP over a problem's runs): %s.\n",
		backend.CPUExecutionEnvVar, deeptucker.SyncStepFLOPs/1e3, strings.Join(parts, ", "))
}

// devicesNote says which of our backends have several devices, over which Fit splits the runs of a problem.
func devicesNote(backends []string) string {
	var parts []string
	for _, b := range backends {
		if n := backendDevices[b]; n > 1 {
			parts = append(parts, fmt.Sprintf("%s has %d devices", b, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ") + " (a problem's runs split over the largest count dividing theirs, on a client with that many)"
}

// callsNote says how many steps each compiled call of ours ran: the most common count, and the rows that
// differ.
func callsNote(table []*row) string {
	count := map[int]int{}
	common := 0
	for _, r := range table {
		count[r.StepsPerCall]++
		if count[r.StepsPerCall] > count[common] {
			common = r.StepsPerCall
		}
	}
	var others []string
	for _, r := range table {
		if r.StepsPerCall != common {
			others = append(others, fmt.Sprintf("%d for %s", r.StepsPerCall, r.Problem.Name))
		}
	}
	note := fmt.Sprintf("%d steps per compiled call", common)
	if len(others) > 0 {
		note += " (" + strings.Join(others, ", ") + ")"
	}
	return note
}

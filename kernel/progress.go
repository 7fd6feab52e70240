package kernel

import (
	"fmt"
	"html"
	"io"
	"os"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Progress reports a long computation, e.g. training for Total steps. Under
// GoNB it keeps one HTML block (a progress bar and a line of text) updated
// in place; elsewhere it prints plain lines to Out, at most one every Every.
// The first and the last step (step >= Total) are always reported.
//
// Its methods are safe for concurrent use.
type Progress struct {
	// Total is the number of steps; 0 or less shows no bar and no percentage.
	Total int
	// Out receives the plain lines outside a notebook (default os.Stdout).
	Out io.Writer
	// Every is the least time between two reports (default 2s in a
	// terminal, 250ms in a notebook, where updates are cheap).
	Every time.Duration

	mu       sync.Mutex
	start    time.Time
	last     time.Time
	reported bool
	id       string // GoNB display id of the HTML block
	notebook bool
}

// NewProgress returns a Progress for total steps writing to os.Stdout.
func NewProgress(total int) *Progress {
	return &Progress{Total: total, Out: os.Stdout, notebook: gonbui.IsNotebook}
}

// Update reports that step steps are done, with a short text such as the
// current loss. Calls within Every of the previous report are dropped,
// except the last step.
func (p *Progress) Update(step int, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	final := p.Total > 0 && step >= p.Total
	if p.reported && !final && now.Sub(p.last) < p.every() {
		return
	}
	p.reported, p.last = true, now
	elapsed := now.Sub(p.start).Round(100 * time.Millisecond)
	if p.notebook {
		if p.id == "" {
			p.id = "progress_" + gonbui.UniqueId()
		}
		gonbui.UpdateHTML(p.id, p.html(step, text, elapsed))
		if final {
			gonbui.Sync() // the cell may end right after the last step
		}
		return
	}
	out := p.Out
	if out == nil {
		out = os.Stdout
	}
	fmt.Fprintln(out, p.line(step, text, elapsed))
}

// Func returns p.Update as a plain function, the shape of a training hook
// that receives a step and a summary: func(step int, text string).
func (p *Progress) Func() func(step int, text string) { return p.Update }

func (p *Progress) every() time.Duration {
	switch {
	case p.Every > 0:
		return p.Every
	case p.notebook:
		return 250 * time.Millisecond
	default:
		return 2 * time.Second
	}
}

// line is the plain-text report: "step 300/3000 (10%) 1.2s loss=0.1".
func (p *Progress) line(step int, text string, elapsed time.Duration) string {
	s := fmt.Sprintf("step %d", step)
	if p.Total > 0 {
		s += fmt.Sprintf("/%d (%d%%)", p.Total, percent(step, p.Total))
	}
	s += " " + elapsed.String()
	if text != "" {
		s += " " + text
	}
	return s
}

// html is the notebook report: a <progress> bar and the same line, escaped.
func (p *Progress) html(step int, text string, elapsed time.Duration) string {
	bar := ""
	if p.Total > 0 {
		bar = fmt.Sprintf(`<progress max="%d" value="%d" style="width:20em"></progress> `,
			p.Total, min(max(step, 0), p.Total))
	}
	return `<div style="font-family:monospace">` + bar + html.EscapeString(p.line(step, text, elapsed)) + `</div>`
}

func percent(step, total int) int {
	return int(100 * int64(min(max(step, 0), total)) / int64(total))
}

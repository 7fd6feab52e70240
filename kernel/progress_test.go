package kernel

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgressPlainLinesRateLimited(t *testing.T) {
	var b strings.Builder
	p := NewProgress(100)
	p.Out, p.Every = &b, time.Hour
	if p.notebook {
		t.Skip("running under GoNB")
	}
	for step := 1; step <= 100; step++ {
		p.Update(step, "loss=0.5")
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// Within one Every only the first call and the last step get through.
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(lines[0], "step 1/100 (1%) ") || !strings.HasSuffix(lines[0], " loss=0.5") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "step 100/100 (100%) ") {
		t.Errorf("last line %q", lines[1])
	}
	if strings.ContainsAny(b.String(), "<>\x1b\r") {
		t.Errorf("terminal output holds markup or control characters: %q", b.String())
	}
}

func TestProgressEveryCallWithoutLimit(t *testing.T) {
	var b strings.Builder
	p := &Progress{Out: &b, Every: time.Nanosecond}
	var wg sync.WaitGroup
	for i := range 4 { // concurrent callers must not interleave lines
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				p.Func()(i*10+j, "")
				time.Sleep(time.Microsecond)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("got %d lines, want several", len(lines))
	}
	for _, l := range lines {
		// Total is 0: no "/total" and no percentage.
		if !strings.HasPrefix(l, "step ") || strings.Contains(l, "/") || strings.Contains(l, "%") {
			t.Errorf("line %q", l)
		}
	}
}

func TestProgressHTMLEscapes(t *testing.T) {
	p := &Progress{Total: 10}
	h := p.html(20, "<b>loss</b>", time.Second)
	if strings.Contains(h, "<b>") || !strings.Contains(h, "&lt;b&gt;") {
		t.Errorf("text not escaped: %s", h)
	}
	if !strings.Contains(h, `<progress max="10" value="10"`) {
		t.Errorf("bar not clamped to Total: %s", h)
	}
}

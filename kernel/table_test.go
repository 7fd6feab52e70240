package kernel

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestTableEscapesAndAligns(t *testing.T) {
	tb := Table{
		Caption: `IL-2 <b>&</b>`,
		Headers: []string{"model", "rank <r>", "R2"},
		Rows: [][]string{
			Row("HOOI <script>alert(1)</script>", "(3,4,3)", 0.909),
			Row("depth 2", "(3,4,3)", 0.968),
		},
	}
	h, err := tb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "<script>") || strings.Contains(h, "<b>") || strings.Contains(h, "<r>") {
		t.Errorf("user text not escaped:\n%s", h)
	}
	for _, want := range []string{"&lt;script&gt;", "IL-2 &lt;b&gt;&amp;&lt;/b&gt;", "<th>rank &lt;r&gt;</th>",
		`<td style="text-align:right">0.909</td>`, "<td>(3,4,3)</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML misses %q:\n%s", want, h)
		}
	}
	// The fragment is well-formed: it parses as XML with a <table> root and
	// as many rows and cells as given.
	var parsed struct {
		XMLName xml.Name `xml:"table"`
		Head    []string `xml:"thead>tr>th"`
		Rows    []struct {
			Cells []string `xml:"td"`
		} `xml:"tbody>tr"`
	}
	if err := xml.Unmarshal([]byte(h), &parsed); err != nil {
		t.Fatalf("table HTML is not well-formed: %v\n%s", err, h)
	}
	if len(parsed.Head) != 3 || len(parsed.Rows) != 2 || len(parsed.Rows[0].Cells) != 3 {
		t.Fatalf("parsed %d headers and %d rows, want 3 and 2", len(parsed.Head), len(parsed.Rows))
	}
	if parsed.Rows[0].Cells[0] != "HOOI <script>alert(1)</script>" {
		t.Errorf("cell text did not survive escaping: %q", parsed.Rows[0].Cells[0])
	}
}

func TestTableErrors(t *testing.T) {
	if _, err := (Table{Caption: "x"}).HTML(); err == nil || !strings.Contains(err.Error(), "no headers") {
		t.Errorf("no headers: err = %v", err)
	}
	_, err := Table{Headers: []string{"a", "b"}, Rows: [][]string{{"1", "2"}, {"1"}}}.HTML()
	if err == nil || !strings.Contains(err.Error(), "row 1 has 1 cells, want 2") {
		t.Errorf("short row: err = %v", err)
	}
}

func TestRowFormats(t *testing.T) {
	got := Row(0.96812345, 3.2e-9, float32(0.5), 7, "x", math.NaN())
	want := []string{"0.9681", "3.2e-09", "0.5", "7", "x", "NaN"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Row = %q, want %q", got, want)
	}
}

func TestMeanSD(t *testing.T) {
	cases := []struct {
		in   []float64
		want string
	}{
		// mean 2, sample sd sqrt(((1-2)^2+(3-2)^2)/1) = 1.414
		{[]float64{1, 3}, "2 ± 1.414 (n=2)"},
		{[]float64{0.81}, "0.81 (n=1)"},
		{[]float64{0.81, math.NaN()}, "0.81 (n=1, 1 failed)"},
		{[]float64{math.NaN(), math.Inf(-1)}, "– (n=0, 2 failed)"},
		{nil, "– (n=0)"},
		{[]float64{0.96, 0.96, 0.96}, "0.96 ± 0 (n=3)"},
		// Finite but huge (a diverged run's error): the squared deviations overflowed to "± +Inf" before.
		{[]float64{1e200, 3e200}, "2e+200 ± 1.414e+200 (n=2)"},
		{[]float64{1e308, 1.5e308}, "1.25e+308 ± 3.536e+307 (n=2)"},
	}
	for _, c := range cases {
		if got := MeanSD(c.in); got != c.want {
			t.Errorf("MeanSD(%v) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(MeanSD(c.in), "NaN") {
			t.Errorf("MeanSD(%v) prints NaN", c.in)
		}
	}
}

package kernel

import (
	"encoding/base64"
	"regexp"
	"testing"
)

func TestSVGImgTag(t *testing.T) {
	svg, err := LinePlot{Title: `a "quoted" <title>`, Series: []Series{{Y: []float64{1, 2}}}}.SVG()
	if err != nil {
		t.Fatal(err)
	}
	tag := svgImgTag(svg)
	m := regexp.MustCompile(`^<img alt="([^"]*)" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"/>$`).FindStringSubmatch(tag)
	if m == nil {
		t.Fatalf("unexpected tag: %.200s", tag)
	}
	if m[1] != "a &#34;quoted&#34; &lt;title&gt;" {
		t.Errorf("alt = %q", m[1])
	}
	raw, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil || string(raw) != svg {
		t.Errorf("data URI does not decode to the SVG (err %v)", err)
	}
	if InNotebook() {
		t.Skip("running under GoNB")
	}
	DisplaySVG(svg) // no-op outside a notebook: must not block or panic
}

package kernel

import (
	"encoding/base64"
	"html"
	"regexp"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// InNotebook reports whether the program runs as a GoNB cell; the Display*
// functions do nothing outside one.
func InNotebook() bool { return gonbui.IsNotebook }

// DisplaySVG shows an SVG document (as returned by the SVG methods) as a cell
// output. The output carries two renderings of the same picture:
//
//   - text/html: an <img> whose source is the SVG as a data: URI. JupyterLab
//     sanitises the HTML of untrusted notebooks (one executed by nbconvert, or
//     opened from elsewhere) and drops inline <svg>, but keeps <img>, so the
//     figure shows in saved notebooks as well as live.
//   - image/svg+xml: the SVG itself, for viewers that prefer images.
//
// Nothing is loaded from the network: the page needs no JavaScript at all.
//
// Like every Display function here, it returns once GoNB has taken the
// output (gonbui.Sync): GoNB v0.11.4 stops reading a cell's display pipe
// when the cell's program exits, so a large figure sent just before the end
// of a cell could otherwise be lost.
func DisplaySVG(svg string) {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{
		protocol.MIMETextHTML:  svgImgTag(svg),
		protocol.MIMEImageSVG:  svg,
		protocol.MIMETextPlain: "[figure: " + svgTitle(svg) + "]",
	}})
	gonbui.Sync()
}

// DisplayHTML shows an HTML fragment as a cell output.
func DisplayHTML(fragment string) {
	gonbui.DisplayHTML(fragment)
	gonbui.Sync()
}

// DisplayMarkdown shows Markdown (with $...$ maths) as a cell output.
func DisplayMarkdown(markdown string) {
	gonbui.DisplayMarkdown(markdown)
	gonbui.Sync()
}

// svgImgTag wraps an SVG document in an <img> tag with a data: URI.
func svgImgTag(svg string) string {
	return `<img alt="` + html.EscapeString(svgTitle(svg)) + `" src="data:image/svg+xml;base64,` +
		base64.StdEncoding.EncodeToString([]byte(svg)) + `"/>`
}

// reSVGText matches the text elements vgsvg writes, one per line.
var reSVGText = regexp.MustCompile(`<text [^>]*>([^<]*)</text>`)

// svgTitle returns the first text drawn in the SVG (our figures draw their
// title first), for the alt text of the image.
func svgTitle(svg string) string {
	if m := reSVGText.FindStringSubmatch(svg); m != nil {
		return html.UnescapeString(strings.TrimSpace(m[1]))
	}
	return "figure"
}

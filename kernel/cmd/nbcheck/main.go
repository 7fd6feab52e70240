// Command nbcheck checks notebooks executed headless (kernel/run-notebooks.sh
// runs it on build/notebooks/*.ipynb) and exits 1 when any fails:
//
//   - a code cell was not executed, or has an error output, a GoNB error
//     report, or a panic on stderr;
//   - a CHECK line (printed by kernel.Check) has its value outside its bounds,
//     or is malformed;
//   - a cell tagged expect-figure shows no SVG/PNG figure, one tagged
//     expect-table no HTML table, one tagged expect-check no CHECK line;
//   - the notebook's kernelspec is not the one given by -kernel.
//
// With -source it checks notebooks as committed instead: the kernelspec, and
// no saved outputs or execution counts. With -committed PROFILE it checks
// notebooks committed executed: a stamp saying they ran in PROFILE from the
// cells they hold now and with the library as it is now (LibraryHash: not
// stale), and outputs that pass every rule above.
// With -stamp PROFILE it writes that stamp into executed notebooks (make
// executed-notebooks does, before copying them to notebooks/).
//
// Usage:
//
//	go run ./kernel/cmd/nbcheck [-kernel deeptucker-go] [-source] notebook.ipynb...
//
// It prints one summary line per notebook, its CHECK lines, and the problems.
// Exit status: 0 all passed, 1 a notebook failed, 2 bad usage or unreadable file.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	kernelName := flag.String("kernel", "deeptucker-go", `kernelspec name every notebook must declare ("" accepts any)`)
	quiet := flag.Bool("q", false, "do not list the CHECK lines of notebooks that pass")
	source := flag.Bool("source", false, "check notebooks as committed: kernel set, no outputs, no execution counts")
	committed := flag.String("committed", "", "check notebooks committed executed in this profile: fresh stamp, outputs that pass")
	stamp := flag.String("stamp", "", "write the execution stamp of this profile into the executed notebooks given")
	backend := flag.String("backend", "", "with -stamp: the GoMLX backend the notebooks ran on")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nbcheck [flags] executed.ipynb...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	library := ""
	if *stamp != "" || *committed != "" {
		root, err := moduleRoot(filepath.Dir(flag.Arg(0))) // the repository the notebooks are in
		if err == nil {
			library, err = LibraryHash(root)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "nbcheck: hashing the library: %v\n", err)
			os.Exit(2)
		}
	}
	if *stamp != "" {
		for _, path := range flag.Args() {
			if err := stampFile(path, *stamp, *backend, library); err != nil {
				fmt.Fprintf(os.Stderr, "nbcheck: %v\n", err)
				os.Exit(2)
			}
		}
		return
	}
	failed := false
	for _, path := range flag.Args() {
		r, err := checkFile(path, options{Kernel: *kernelName, Source: *source, Committed: *committed, Library: library})
		if err != nil {
			fmt.Fprintf(os.Stderr, "nbcheck: %v\n", err)
			os.Exit(2)
		}
		fmt.Println(r.summary())
		if !*quiet || len(r.Problems) > 0 {
			for _, c := range r.Checks {
				fmt.Printf("\t%s\n", c.Line)
			}
		}
		for _, p := range r.Problems {
			fmt.Printf("\tPROBLEM: %s\n", p)
		}
		failed = failed || len(r.Problems) > 0
	}
	if failed {
		os.Exit(1)
	}
}

// Command dockercheck checks what can be checked of the Dockerfile without a
// Docker engine, and that it stays in step with the Makefile and CI:
//
//   - every base image is pinned to an exact version tag or a digest;
//   - the final stage is FROM ${BASE}, and ARG BASE defaults to the official
//     Go image at an exact release on Debian bookworm (golang:1.26.8-bookworm),
//     so `make docker-check` can build on a local stand-in unedited;
//   - the image runs as a non-root USER, set before the repository is copied;
//   - it runs the setup command exactly once (`RUN make setup`), the same
//     command `make test` (CI, through .ci/run) and `make lab` depend on;
//   - CMD is `make lab`, which keeps token authentication on, and nothing
//     turns the token off; JupyterLab listens on 0.0.0.0 inside the container;
//   - the CUDA variant is wired: ARG GOMLX_BACKEND feeds ENV GOMLX_BACKEND;
//   - .dockerignore keeps .venv, build and .git out of the image.
//
// Usage: go run ./kernel/cmd/dockercheck [-dockerfile Dockerfile] [-makefile Makefile] [-ci .ci/run]
// `go test ./kernel/...` runs the same checks on the repository's files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dockerfile := flag.String("dockerfile", "Dockerfile", "Dockerfile to check (.dockerignore is read beside it)")
	makefile := flag.String("makefile", "Makefile", "Makefile holding the setup, lab and test rules")
	ciRun := flag.String("ci", ".ci/run", "CI entry script")
	flag.Parse()

	f, err := readFiles(*dockerfile, *makefile, *ciRun)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockercheck: %v\n", err)
		os.Exit(2)
	}
	problems := check(f)
	for _, p := range problems {
		fmt.Printf("dockercheck: PROBLEM: %s\n", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("dockercheck: ok: %s (pinned official base as ARG BASE, non-root, `%s`, token on, CUDA build arg)\n", *dockerfile, SetupCommand)
}

func readFiles(dockerfile, makefile, ciRun string) (files, error) {
	var f files
	for _, x := range []struct {
		path string
		dst  *string
	}{
		{dockerfile, &f.Dockerfile},
		{filepath.Join(filepath.Dir(dockerfile), ".dockerignore"), &f.DockerIgnore},
		{makefile, &f.Makefile},
		{ciRun, &f.CIRun},
	} {
		b, err := os.ReadFile(x.path)
		if err != nil {
			return files{}, err
		}
		*x.dst = string(b)
	}
	return f, nil
}

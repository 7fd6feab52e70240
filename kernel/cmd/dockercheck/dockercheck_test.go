package main

import (
	"strings"
	"testing"
)

// The repository's own files must pass: this is what CI enforces.
func TestRepositoryFiles(t *testing.T) {
	f, err := readFiles("../../../Dockerfile", "../../../Makefile", "../../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if p := check(f); len(p) > 0 {
		t.Errorf("the repository's Dockerfile fails its checks:\n%s", strings.Join(p, "\n"))
	}
}

const goodDockerfile = `# comment
ARG BASE=golang:1.26.8-bookworm
FROM ${BASE}
RUN apt-get update \
	&& apt-get install -y python3
RUN useradd -m u
USER u
COPY --chown=u . .
RUN make setup
ARG GOMLX_BACKEND=go
ENV GOMLX_BACKEND=${GOMLX_BACKEND} DEEPTUCKER_LAB_IP=0.0.0.0
CMD ["make", "lab"]
`

const goodMakefile = "setup: ## x\n\t@bash kernel/setup.sh\n\nlab: setup ## y\n\t@bash kernel/lab.sh\n\ntest: setup\n\tgo test ./...\n"

func good() files {
	return files{Dockerfile: goodDockerfile, DockerIgnore: ".git\n.venv/\nbuild\n", Makefile: goodMakefile, CIRun: "set -e\nexec make test\n"}
}

func TestGoodPasses(t *testing.T) {
	if p := check(good()); len(p) > 0 {
		t.Fatalf("good files fail: %q", p)
	}
}

func TestEachRuleCatchesItsProblem(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*files)
		want   string
	}{
		{"latest tag", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "golang:latest", 1)
		}, "not pinned"},
		{"minor-only tag", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "golang:1.26", 1)
		}, "not pinned"},
		{"no tag", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "golang", 1) }, "not pinned"},
		{"base not an ARG", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "ARG BASE=golang:1.26.8-bookworm\nFROM ${BASE}", "FROM golang:1.26.8-bookworm", 1)
		}, "want `ARG BASE=golang:<x.y.z>-bookworm`"},
		{"other ARG name", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "ARG BASE=golang:1.26.8-bookworm\nFROM ${BASE}", "ARG IMG=golang:1.26.8-bookworm\nFROM ${IMG}", 1)
		}, "want `ARG BASE="},
		{"final stage not the ARG", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "FROM ${BASE}\n", "FROM ${BASE} AS build\nFROM debian:12.5\n", 1)
		}, "final stage is FROM debian:12.5"},
		{"default not official", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "example.com/golang:1.26.8-bookworm", 1)
		}, "want the official Go image"},
		{"default not bookworm", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "golang:1.26.8-alpine3.22", 1)
		}, "want the official Go image"},
		{"default a local image", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "golang:1.26.8-bookworm", "localhost/deeptucker-base:go1.26.8-bookworm-0123", 1)
		}, "want the official Go image"},
		{"no default", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "ARG BASE=golang:1.26.8-bookworm", "ARG BASE", 1)
		}, "not pinned"},
		{"ARG after FROM does not reach it", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "ARG BASE=golang:1.26.8-bookworm\nFROM ${BASE}", "FROM ${BASE}\nARG BASE=golang:1.26.8-bookworm", 1)
		}, `BASE defaults to ""`},
		{"root user", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, "USER u", "USER root", 1) }, "runs as root"},
		{"uid 0", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, "USER u", "USER 0:0", 1) }, "runs as root"},
		{"no user", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, "USER u\n", "", 1) }, "no USER"},
		{"other setup", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, "RUN make setup", "RUN bash kernel/setup.sh", 1)
		}, "RUN make setup"},
		{"token off", func(f *files) { f.Dockerfile += "ENV JUPYTER_TOKEN=\n" }, "token authentication off"},
		{"token flag off", func(f *files) {
			f.Dockerfile = strings.Replace(f.Dockerfile, `CMD ["make", "lab"]`, `CMD jupyter lab --IdentityProvider.token=''`, 1)
		}, "token authentication off"},
		{"other cmd", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, `CMD ["make", "lab"]`, `CMD ["bash"]`, 1) }, "CMD is"},
		{"loopback", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, " DEEPTUCKER_LAB_IP=0.0.0.0", "", 1) }, "DEEPTUCKER_LAB_IP"},
		{"no cuda arg", func(f *files) { f.Dockerfile = strings.Replace(f.Dockerfile, "ARG GOMLX_BACKEND=go\n", "", 1) }, "CUDA variant"},
		{"dockerignore", func(f *files) { f.DockerIgnore = ".git\n" }, "does not exclude .venv"},
		{"ci", func(f *files) { f.CIRun = "go test ./...\n" }, "does not call `make test`"},
		{"test without setup", func(f *files) { f.Makefile = strings.Replace(f.Makefile, "test: setup", "test:", 1) }, "test does not depend on setup"},
		{"setup recipe", func(f *files) { f.Makefile = strings.Replace(f.Makefile, "bash kernel/setup.sh", "pip install x", 1) }, "setup recipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := good()
			c.mutate(&f)
			p := check(f)
			found := false
			for _, s := range p {
				found = found || strings.Contains(s, c.want)
			}
			if !found {
				t.Errorf("problems %q, want one containing %q", p, c.want)
			}
		})
	}
}

// Other spellings of the same pinned official base pass.
func TestBaseForms(t *testing.T) {
	for _, repl := range []string{
		"ARG BASE=golang:1.26.8-bookworm\nFROM $BASE",
		"ARG BASE=\"golang:1.26.8-bookworm\"\nFROM ${BASE}",
		"ARG BASE=docker.io/library/golang:1.26.8-bookworm\nFROM ${BASE}",
		"ARG BASE=golang:1.27.0-bookworm@sha256:" + strings.Repeat("ab", 32) + "\nFROM ${BASE}",
		"ARG BASE=golang:1.26.8-bookworm\nFROM --platform=linux/amd64 ${BASE}",
	} {
		f := good()
		f.Dockerfile = strings.Replace(f.Dockerfile, "ARG BASE=golang:1.26.8-bookworm\nFROM ${BASE}", repl, 1)
		if p := check(f); len(p) > 0 {
			t.Errorf("%q: %q", repl, p)
		}
	}
}

func TestParseJoinsContinuations(t *testing.T) {
	ins := parseDockerfile("# c\nFROM a:1.2.3\n\nRUN x \\\n  && y \\\n  && z\nuser bob\n")
	if len(ins) != 3 || ins[1].Cmd != "RUN" || ins[1].Args != "x && y && z" || ins[1].Line != 4 || ins[2].Cmd != "USER" {
		t.Errorf("parsed %+v", ins)
	}
}

package main

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int    // 1-based line where it starts
	Cmd  string // upper-cased keyword: FROM, RUN, USER, ...
	Args string
}

// parseDockerfile splits a Dockerfile into instructions: it drops comments
// and blank lines, and joins lines ending in a backslash. Heredocs are not
// supported (the check reports them as unknown instructions, harmlessly).
func parseDockerfile(src string) []instruction {
	var out []instruction
	var cur *instruction
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur == nil) {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSuffix(line, "\\")
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &instruction{Line: n, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		} else if line != "" {
			cur.Args = strings.TrimSpace(cur.Args + " " + line)
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// files are the three texts checked together.
type files struct {
	Dockerfile, DockerIgnore, Makefile, CIRun string
}

// SetupCommand is the one command that prepares a clone: README, CI (through
// `make test`, which depends on it) and the Dockerfile all run it.
const SetupCommand = "make setup"

// BaseArg is the build argument naming the base image: its default is the
// pinned official image, and `make docker-check` passes a local stand-in.
const BaseArg = "BASE"

var (
	// An exact version tag: at least major.minor.patch, or a digest.
	reExactTag = regexp.MustCompile(`^[^:@\s]+(:[^@\s]*\d+\.\d+\.\d+[^@\s]*)?(@sha256:[0-9a-f]{64})?$`)
	reArgRef   = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)
	// The official Go image on Debian bookworm at an exact Go release,
	// optionally by digest: what the final stage's BASE defaults to.
	reOfficialBase = regexp.MustCompile(`^(docker\.io/(library/)?)?golang:\d+\.\d+\.\d+-bookworm(@sha256:[0-9a-f]{64})?$`)
	// FROM ${BASE} or FROM $BASE, nothing else.
	reFromBaseArg = regexp.MustCompile(`^\$(\{` + BaseArg + `\}|` + BaseArg + `)$`)
	// Ways to switch token authentication off.
	reNoToken = regexp.MustCompile(`(?i)(token\s*=\s*(''|""|\s|$))|JUPYTER_TOKEN\s*=\s*(''|""|\s|$)|disable_check_xsrf|password\s*=\s*(''|"")|allow_unauthenticated_access\s*=\s*true`)
)

// check returns the problems found; none means the Dockerfile passes.
func check(f files) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	ins := parseDockerfile(f.Dockerfile)
	// ARG defaults declared before the first FROM: the only ones a FROM line
	// can use (Docker's global build arguments).
	args := map[string]string{}
	var (
		froms            int
		lastFrom         string // the final stage's image as written
		lastFromLine     int
		lastFromResolved string // ... with the ARG defaults substituted
		lastUser         string
		lastUserLine     int
		setupRuns        int
		cmdArgs          string
		hasBackendArg    bool
		backendEnv       bool
		labIPAllAddrs    bool
		afterLastFrom    bool
		userBeforeCopy   = true
	)
	for _, in := range ins {
		switch in.Cmd {
		case "ARG":
			name, def, _ := strings.Cut(in.Args, "=")
			if froms == 0 {
				args[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(def), `"'`)
			}
			if strings.TrimSpace(name) == "GOMLX_BACKEND" {
				hasBackendArg = true
			}
		case "FROM":
			froms++
			lastUser, afterLastFrom = "", true
			image := strings.Fields(in.Args + " ")
			if len(image) == 0 {
				bad("line %d: FROM without an image", in.Line)
				continue
			}
			ref := image[0]
			if strings.HasPrefix(ref, "--platform=") && len(image) > 1 {
				ref = image[1]
			}
			lastFrom, lastFromLine = ref, in.Line
			ref = reArgRef.ReplaceAllStringFunc(ref, func(m string) string {
				return args[reArgRef.FindStringSubmatch(m)[1]]
			})
			lastFromResolved = ref
			if !reExactTag.MatchString(ref) || (!strings.Contains(ref, ":") && !strings.Contains(ref, "@")) ||
				strings.HasSuffix(ref, ":latest") {
				bad("line %d: base image %q is not pinned to an exact version tag (like golang:1.26.8-bookworm) or digest", in.Line, ref)
			}
		case "USER":
			lastUser, lastUserLine = strings.TrimSpace(in.Args), in.Line
		case "COPY", "ADD":
			if afterLastFrom && lastUser == "" {
				userBeforeCopy = false
			}
		case "RUN":
			if strings.TrimSpace(in.Args) == SetupCommand {
				setupRuns++
			}
		case "ENV":
			if strings.Contains(in.Args, "GOMLX_BACKEND=${GOMLX_BACKEND}") || strings.Contains(in.Args, "GOMLX_BACKEND=$GOMLX_BACKEND") {
				backendEnv = true
			}
			if strings.Contains(in.Args, "DEEPTUCKER_LAB_IP=0.0.0.0") {
				labIPAllAddrs = true
			}
		case "CMD", "ENTRYPOINT":
			cmdArgs = in.Args
		}
		if reNoToken.MatchString(in.Args) {
			bad("line %d: %s %s turns token authentication off", in.Line, in.Cmd, in.Args)
		}
	}
	if froms == 0 {
		bad("no FROM instruction")
	} else {
		if !reFromBaseArg.MatchString(lastFrom) {
			bad("line %d: the final stage is FROM %s, want `ARG %s=golang:<x.y.z>-bookworm` before it and `FROM ${%[3]s}`, so a local base can stand in (make docker-check) without editing the file", lastFromLine, lastFrom, BaseArg)
		} else if !reOfficialBase.MatchString(lastFromResolved) {
			bad("line %d: %s defaults to %q, want the official Go image pinned to a release on Debian bookworm (like golang:1.26.8-bookworm): what `docker build .` uses and docker-check stands in for", lastFromLine, BaseArg, lastFromResolved)
		}
	}
	user, _, _ := strings.Cut(lastUser, ":")
	switch {
	case lastUser == "":
		bad("no USER after the last FROM: the image would run as root")
	case user == "root" || user == "0":
		bad("line %d: the image runs as root (USER %s); JupyterLab must run as a normal user", lastUserLine, lastUser)
	}
	if !userBeforeCopy {
		bad("the repository is copied before USER: its files would belong to root")
	}
	if setupRuns != 1 {
		bad("want exactly one `RUN %s` (the README's and CI's setup command), found %d", SetupCommand, setupRuns)
	}
	if norm := strings.Join(strings.Fields(strings.NewReplacer(`"`, " ", ",", " ", "[", " ", "]", " ").Replace(cmdArgs)), " "); norm != "make lab" {
		bad("CMD is %q, want [\"make\", \"lab\"]: the command the README gives, which keeps token authentication on", cmdArgs)
	}
	if !labIPAllAddrs {
		bad("ENV DEEPTUCKER_LAB_IP=0.0.0.0 is missing: JupyterLab would listen on the container's loopback, unreachable through -p")
	}
	if !hasBackendArg || !backendEnv {
		bad("the CUDA variant needs `ARG GOMLX_BACKEND=go` and `ENV GOMLX_BACKEND=${GOMLX_BACKEND}` (docker build --build-arg GOMLX_BACKEND=xla:cuda)")
	}

	ignored := map[string]bool{}
	for _, l := range strings.Split(f.DockerIgnore, "\n") {
		ignored[strings.Trim(strings.TrimSpace(l), "/")] = true
	}
	for _, p := range []string{".venv", "build", ".git"} {
		if !ignored[p] {
			bad(".dockerignore does not exclude %s (a host .venv holds absolute paths of the host clone)", p)
		}
	}

	// CI must run the same setup: .ci/run calls `make test`, whose rule
	// depends on setup, whose recipe runs kernel/setup.sh.
	if !regexp.MustCompile(`(?m)^\s*(exec\s+)?make\s+(.*\s)?test(\s|$)`).MatchString(f.CIRun) {
		bad(".ci/run does not call `make test`")
	}
	for _, target := range []string{"test", "lab"} {
		if !makeRuleHasPrereq(f.Makefile, target, "setup") {
			bad("Makefile: %s does not depend on setup", target)
		}
	}
	if !regexp.MustCompile(`(?m)^setup:.*\n\t@?bash kernel/setup\.sh\s*$`).MatchString(f.Makefile) {
		bad("Makefile: the setup recipe is not `bash kernel/setup.sh`")
	}
	return problems
}

// makeRuleHasPrereq reports whether the Makefile rule for target lists prereq.
func makeRuleHasPrereq(makefile, target, prereq string) bool {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:([^=\n#]*)`)
	m := re.FindStringSubmatch(makefile)
	if m == nil {
		return false
	}
	for _, p := range strings.Fields(m[1]) {
		if p == prereq {
			return true
		}
	}
	return false
}

package results

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Tests that need another process (a writer to kill, a process with a file
// size limit, shards) re-execute the test binary with childEnv naming the
// role; TestMain runs that role instead of the tests.
const childEnv = "RESULTS_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child returns a command re-running this test binary in a role, with env
// added to a copy of this process's environment less the shard variables.
func child(role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case ShardEnv, ShardCountEnv, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX", childEnv:
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, childEnv+"="+role)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

func runChild(role string) error {
	path := os.Getenv("RESULTS_TEST_PATH")
	switch role {
	case "kill-writer":
		return killWriter(path)
	case "fsize-writer":
		limit, err := strconv.ParseUint(os.Getenv("RESULTS_TEST_FSIZE"), 10, 64)
		if err != nil {
			return err
		}
		// Go ignores SIGXFSZ, so a write past the limit fails with EFBIG.
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			fmt.Println("no-rlimit", err)
			return nil
		}
		for _, line := range fillUntilFull(path) {
			fmt.Println(line)
		}
		return nil
	case "fsize-merge":
		// Merge path.a into path under a file size limit the merge exceeds; print its error.
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 4096, Max: 4096}); err != nil {
			fmt.Println("no-rlimit", err)
			return nil
		}
		fmt.Println("merge:", Merge(path, path+".a"))
		return nil
	case "shard":
		return shardWorker(path)
	}
	return fmt.Errorf("unknown role %q", role)
}

// padRow is a row with a payload, to make writes long enough to be cut.
type padRow struct {
	K   string
	Pad string
}

func padKey(r padRow) string { return r.K }

// killWriter appends batches of rows to path forever, printing "begin" before
// each Append and each key once its Append has returned (the row is then
// complete and synced).
func killWriter(path string) error {
	s, err := OpenStore(path, padKey)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	prefix := strconv.Itoa(os.Getpid())
	for i := 0; ; i++ {
		batch := make([]padRow, 1+rng.IntN(4))
		for j := range batch {
			batch[j] = padRow{K: fmt.Sprintf("%s-%d-%d", prefix, i, j), Pad: strings.Repeat("x", 1000+rng.IntN(100_000))}
		}
		fmt.Fprintln(out, "begin")
		out.Flush()
		if err := s.Append(batch...); err != nil {
			return err
		}
		for _, r := range batch {
			fmt.Fprintln(out, r.K)
		}
		out.Flush()
	}
}

// fillUntilFull appends rows of varied sizes to path until appends keep
// failing, then tries small rows again (they must fit where a failed large
// batch left nothing behind). It reports "ok <key>" for each row stored and
// "fail <error>" for each failed Append.
func fillUntilFull(path string) []string {
	var log []string
	s, err := OpenStore(path, padKey)
	if err != nil {
		return []string{"fail-open " + err.Error()}
	}
	fails := 0
	for i := 0; i < 400 && fails < 12; i++ {
		pad := 50 + (i*997)%3000
		if fails > 0 && i%2 == 0 {
			pad = 10 // small rows between failures
		}
		batch := make([]padRow, 1+i%3)
		for j := range batch {
			batch[j] = padRow{K: fmt.Sprintf("r%d-%d", i, j), Pad: strings.Repeat("y", pad)}
		}
		if err := s.Append(batch...); err != nil {
			fails++
			log = append(log, "fail "+strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		for _, r := range batch {
			log = append(log, "ok "+r.K)
		}
	}
	return log
}

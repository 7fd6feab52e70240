package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// XLAFlagsEnv is read by XLA when a client is created; --xla_gpu_cuda_data_dir in it
// tells the CUDA plugin where ptxas and libdevice live.
const XLAFlagsEnv = "XLA_FLAGS"

const cudaDataDirFlag = "--xla_gpu_cuda_data_dir"

// hasNvidiaGPU reports whether an NVIDIA GPU and driver are visible. A variable so that
// tests can pretend either way.
var hasNvidiaGPU = detectNvidiaGPU

// detectNvidiaGPU follows go-xla: device files /dev/nvidia*, else a working nvidia-smi.
func detectNvidiaGPU() bool {
	if m, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(m) > 0 {
		return true
	}
	if _, err := exec.LookPath("nvidia-smi"); err != nil {
		return false
	}
	out, err := exec.Command("nvidia-smi", "-L").CombinedOutput()
	return err == nil && strings.Contains(string(out), "GPU ")
}

var reCUDADataDir = regexp.MustCompile(cudaDataDirFlag + `(=|\s+)\S+`)

// cudaDataDirFromFlags returns the directory named by --xla_gpu_cuda_data_dir in XLA_FLAGS.
func cudaDataDirFromFlags(flags string) (string, bool) {
	m := reCUDADataDir.FindString(flags)
	if m == "" {
		return "", false
	}
	dir := strings.TrimLeft(strings.TrimPrefix(m, cudaDataDirFlag), "= \t")
	return dir, true
}

// hasLibdevice reports whether dir holds libdevice (nvvm/libdevice/libdevice.10.bc), which
// XLA's GPU compiler needs for every kernel; hasPtxas whether it holds bin/ptxas, which
// XLA runs unless it uses the PTX compiler library linked into the plugin.
func hasLibdevice(dir string) bool {
	return exists(filepath.Join(dir, "nvvm", "libdevice", "libdevice.10.bc"))
}

func hasPtxas(dir string) bool { return exists(filepath.Join(dir, "bin", "ptxas")) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cudaDataDirCandidates lists, best first, where the CUDA toolkit matching a CUDA PJRT
// plugin at pluginPath may be:
//   - go-xla's installer layout: <lib>/go-xla/nvidia/pjrt_c_api_cuda_plugin.so, with
//     nvidia/bin/ptxas and nvidia/cu13 (CUDA 13 wheels) beside it;
//   - a pip install of jax-cuda13-pjrt: <site-packages>/jax_plugins/xla_cuda13/xla_cuda_plugin.so,
//     with nvidia-cuda-nvcc / nvidia-nvvm in <site-packages>/nvidia/cu13 (CUDA 12: nvidia/cuda_nvcc);
//   - then $CUDA_HOME, $CUDA_PATH and /usr/local/cuda.
func cudaDataDirCandidates(pluginPath string, getenv func(string) string) []string {
	var dirs []string
	if pluginPath != "" {
		d := filepath.Dir(pluginPath)
		up1, up2 := filepath.Dir(d), filepath.Dir(filepath.Dir(d))
		dirs = append(dirs,
			filepath.Join(d, "cu13"), d,
			filepath.Join(up2, "nvidia", "cu13"), filepath.Join(up2, "nvidia", "cuda_nvcc"),
			filepath.Join(up1, "nvidia", "cu13"), filepath.Join(up1, "nvidia", "cuda_nvcc"), filepath.Join(up1, "nvidia"),
		)
	}
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if v := getenv(env); v != "" {
			dirs = append(dirs, v)
		}
	}
	return append(dirs, systemCUDARoot)
}

// systemCUDARoot is the system-wide CUDA toolkit, last among the candidates.
var systemCUDARoot = "/usr/local/cuda"

// chooseCUDADataDir picks the CUDA data dir for a plugin: the first candidate holding
// libdevice, else the first holding ptxas. If none does but <plugin dir>/../nvidia exists,
// it returns that: it is the directory go-xla v0.1.4 means to use, and naming it ourselves
// keeps go-xla from substituting its hard-coded path (see EnsureCUDADataDir).
func chooseCUDADataDir(pluginPath string, getenv func(string) string) (string, bool) {
	candidates := cudaDataDirCandidates(pluginPath, getenv)
	for _, test := range []func(string) bool{hasLibdevice, hasPtxas} {
		for _, d := range candidates {
			if test(d) {
				return d, true
			}
		}
	}
	if pluginPath != "" {
		goxla := filepath.Join(filepath.Dir(filepath.Dir(pluginPath)), "nvidia")
		if fi, err := os.Stat(goxla); err == nil && fi.IsDir() {
			return goxla, true
		}
	}
	return "", false
}

// EnsureCUDADataDir makes sure XLA_FLAGS names an existing --xla_gpu_cuda_data_dir for
// the CUDA PJRT plugin at pluginPath ("" when unknown), and returns the directory.
//
// Why: after loading a CUDA plugin, go-xla v0.1.4 appends
// --xla_gpu_cuda_data_dir=/home/janpf/.local/lib/go-xla/nvidia (a path hard-coded from
// its author's machine) to XLA_FLAGS whenever XLA_FLAGS does not name one already and an
// nvidia/ directory sits next to the plugin's directory. XLA then cannot find ptxas or
// libdevice and fails at the first compilation. Setting the flag first, to a directory
// that exists, makes go-xla leave it alone.
//
// A flag already in XLA_FLAGS is kept as it is (the user knows best); if it names a
// missing directory the returned error says so, without changing anything. If no
// candidate directory exists, nothing is set and XLA falls back on its own search.
func EnsureCUDADataDir(pluginPath string) (string, error) {
	flags := os.Getenv(XLAFlagsEnv)
	if dir, ok := cudaDataDirFromFlags(flags); ok {
		if _, err := os.Stat(dir); err != nil {
			return dir, newError(os.Getenv(EnvVar), ErrBackend,
				XLAFlagsEnv+" names "+cudaDataDirFlag+"="+dir+", which does not exist",
				"point it at the CUDA toolkit (the directory holding bin/ptxas and nvvm/libdevice), or remove the flag")
		}
		return dir, nil
	}
	dir, ok := chooseCUDADataDir(pluginPath, os.Getenv)
	if !ok {
		return "", nil
	}
	flags = strings.TrimSpace(flags + " " + cudaDataDirFlag + "=" + dir)
	if err := os.Setenv(XLAFlagsEnv, flags); err != nil {
		return "", err
	}
	return dir, nil
}

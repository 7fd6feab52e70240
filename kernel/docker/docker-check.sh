#!/usr/bin/env bash
# Builds the repository's Dockerfile for real and checks the running image
# (`make docker-check`). Docker Hub is not needed: the official base image
# (golang:<go>-bookworm, the Dockerfile's default BASE) is stood in for by a
# local one made the same way, from Debian's packages (debootstrap) plus the
# same Go toolchain, then the Dockerfile is built on it with a daemonless OCI
# builder (podman) and the container is checked:
#
#   1. the image's user and the JupyterLab process are the non-root user;
#   2. JupyterLab answers on its published port with the token (200, and
#      lists the "deeptucker-go" kernel) and refuses without it or with a
#      wrong one (403);
#   3. a headless nbconvert run of notebooks/00-quickstart.ipynb (ci
#      profile) inside the container succeeds, its checks included;
#   4. the CUDA variant (--build-arg GOMLX_BACKEND=xla:cuda) builds and
#      carries GOMLX_BACKEND=xla:cuda (running it needs an NVIDIA GPU).
#
# Everything is kept under build/docker/: the base root filesystem tarball,
# named by a hash of its recipe, and podman's storage (images and cached
# layers), so a second run rebuilds only what changed. Containers are removed
# on exit, pass or fail. `make clean` removes it all.
#
# Needs root (debootstrap, podman's storage), go and python3 on the host, and
# network access to Debian's mirror, the Go module proxy and PyPI. Installs
# podman and debootstrap with apt-get when they are missing.
#
# Environment:
#   DEEPTUCKER_DOCKER_STORAGE  podman storage driver: overlay (default when
#                              the kernel allows it) or vfs
#   DEEPTUCKER_DOCKER_CUDA     0 skips the CUDA variant's build (default 1)
#   DEBIAN_MIRROR              default http://deb.debian.org/debian
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
work="$root/build/docker"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
image="localhost/deeptucker:check"
cuda_image="localhost/deeptucker:check-cuda"

say() { printf 'docker-check: %s\n' "$*"; }
die() {
	printf 'docker-check: error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s; }
t_start="$(now)"

# --- Prerequisites -------------------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "run as root: debootstrap and podman's storage under build/docker need it"
# runc, not podman's default crun: crun refuses hosts whose cgroups are in
# hybrid mode (v1 controllers beside a v2 tree), runc works on all. iptables
# is what podman's network backend uses to publish a port.
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ((${#missing[@]})); then
	command -v apt-get >/dev/null 2>&1 || die "install ${missing[*]} (this script needs them) and run again"
	say "installing ${missing[*]} with apt-get"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null 2>&1 || die "go is not on PATH: it downloads the base image's Go toolchain from the module proxy"
command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH"

# The base the Dockerfile defaults to says which Go and which Debian release
# the stand-in must carry, so the two cannot drift apart.
default_base="$(sed -n 's/^ARG BASE=\(.*\)$/\1/p' "$root/Dockerfile" | head -n1)"
[[ "$default_base" =~ ^golang:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)$ ]] ||
	die "the Dockerfile's 'ARG BASE=...' default is '${default_base}', not golang:<x.y.z>-<debian release>: this script cannot make a stand-in for it"
go_version="${BASH_REMATCH[1]}"
suite="${BASH_REMATCH[2]}"

mkdir -p "$work"
# podman's storage lives under build/docker, one directory per driver (a
# graph root cannot switch drivers). overlay needs kernel support; vfs always
# works but copies every layer in full. The names start with a dot: the
# layers hold Go source trees (GOROOT, the module cache, a copy of this
# repository), which `go build ./...` here must not walk into.
driver="${DEEPTUCKER_DOCKER_STORAGE:-}"
storage_conf() { # storage_conf DRIVER: writes the config, prints its path
	local conf="$work/.storage-$1.conf"
	cat >"$conf" <<CONF
[storage]
driver = "$1"
graphroot = "$work/.storage-$1"
runroot = "$work/.run-$1"
CONF
	echo "$conf"
}
if [[ -z "$driver" ]]; then
	driver=overlay
	if ! CONTAINERS_STORAGE_CONF="$(storage_conf overlay)" podman info >/dev/null 2>"$work/.overlay.err"; then
		say "overlay storage unavailable ($(tail -n1 "$work/.overlay.err")); using vfs"
		driver=vfs
	fi
fi
case "$driver" in overlay | vfs) ;; *) die "DEEPTUCKER_DOCKER_STORAGE='$driver': use overlay or vfs" ;; esac
CONTAINERS_STORAGE_CONF="$(storage_conf "$driver")"
export CONTAINERS_STORAGE_CONF
# podman raises a root container's open-files and process limits to its own
# maxima, which needs CAP_SYS_RESOURCE when they are above this process's
# hard limits (the runtime then fails with "setrlimit RLIMIT_NOFILE:
# Operation not permitted"): containers and build steps get limits within
# this process's instead.
min() { if [[ "$1" == unlimited || "$1" -gt "$2" ]]; then echo "$2"; else echo "$1"; fi; }
nofile="$(min "$(ulimit -Hn)" 1048576)"
nproc="$(min "$(ulimit -Hu)" 32768)"
ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
CONTAINERS_CONF="$work/.containers.conf"
cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF
say "podman $(podman version --format '{{.Client.Version}}'), storage $driver in ${work#"$root"/}/.storage-$driver"

# --- Base image: Debian + the Go toolchain, as golang:<go>-<suite> has --------------
# What the official image holds (buildpack-deps:<suite>-scm plus the C
# toolchain for cgo), less mercurial and subversion.
packages="ca-certificates,curl,wget,gnupg,netbase,git,openssh-client,procps,g++,gcc,libc6-dev,make,pkg-config"
# The Go toolchain comes from the Go module proxy, as `go` itself fetches it
# for GOTOOLCHAIN switches: the module golang.org/toolchain, checked against
# the checksum database, not the host's GOROOT (which may be patched or newer).
toolchain="golang.org/toolchain@v0.0.1-go${go_version}.linux-amd64"
recipe="v1 $suite $mirror $packages $toolchain"
key="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
base_tar="$work/base-go${go_version}-${suite}-${key}.tar"
base_image="localhost/deeptucker-base:go${go_version}-${suite}-${key}"

# The overlay driver leaves its directory bind-mounted after each command;
# unmounted on exit so that `make clean` (rm -rf build) works.
unmount_storage() {
	local m="$work/.storage-$driver/overlay"
	if mountpoint -q "$m" 2>/dev/null; then umount "$m" 2>/dev/null || true; fi
}
trap unmount_storage EXIT

t0="$(now)"
if podman image exists "$base_image"; then
	say "base image $base_image (cached)"
else
	if [[ ! -f "$base_tar" ]]; then
		say "making the base root filesystem: debootstrap $suite ($mirror) + $toolchain"
		rootfs="$work/.rootfs.tmp"
		# A finished debootstrap of the same recipe is reused if a later step failed.
		done_mark="$work/.rootfs.tmp.done"
		if [[ ! -d "$rootfs" || "$(cat "$done_mark" 2>/dev/null)" != "$suite $mirror $packages" ]]; then
			rm -rf "$rootfs" "$done_mark"
			debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
				die "debootstrap failed; its log: ${work#"$root"/}/debootstrap.log ($(tail -n1 "$work/debootstrap.log"))"
			printf '%s\n' "$suite $mirror $packages" >"$done_mark"
		fi
		rm -rf "$rootfs/usr/local/go"
		# The official image's apt sources: the release, its updates and security.
		cat >"$rootfs/etc/apt/sources.list" <<SRC
deb ${mirror} ${suite} main
deb ${mirror} ${suite}-updates main
deb ${mirror%/debian}/debian-security ${suite}-security main
SRC
		rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

		zip="$(cd "$(mktemp -d)" && GOFLAGS= go mod download -json "$toolchain" |
			python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Zip") or sys.exit(d.get("Error")))')" ||
			die "could not download $toolchain from the Go module proxy ($(go env GOPROXY))"
		# The zip's entries start with "<module>@<version>/"; it lacks mode bits,
		# so the binaries are made executable as cmd/go does after a switch.
		python3 - "$zip" "$rootfs/usr/local/go" "$toolchain/" <<'PY'
import os, sys, zipfile
src, dst, prefix = sys.argv[1:4]
with zipfile.ZipFile(src) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefix):
            sys.exit("unexpected entry %r in %s" % (info.filename, src))
        rel = info.filename[len(prefix):]
        if not rel or info.is_dir():
            continue
        path = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as r, open(path, "wb") as w:
            w.write(r.read())
        exec_dir = rel.startswith("bin/") or rel.startswith("pkg/tool/")
        os.chmod(path, 0o755 if exec_dir else 0o644)
PY
		mkdir -p "$rootfs/go/src" "$rootfs/go/bin"
		chmod -R 1777 "$rootfs/go"
		tar --numeric-owner -C "$rootfs" -cf "$base_tar.tmp" .
		mv "$base_tar.tmp" "$base_tar"
		rm -rf "$rootfs" "$done_mark"
	fi
	say "importing ${base_tar#"$root"/} as $base_image"
	# The official image's environment.
	podman import --quiet \
		--change "ENV GOLANG_VERSION=${go_version}" \
		--change "ENV GOTOOLCHAIN=local" \
		--change "ENV GOPATH=/go" \
		--change "ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		--change "WORKDIR /go" \
		--change 'CMD ["bash"]' \
		"$base_tar" "$base_image" >/dev/null
	# The stand-in must be what it claims: the same Go, on PATH, runnable.
	got="$(podman run --rm --network none "$base_image" go version 2>&1)" ||
		die "cannot run a container of the base image: $got"
	if [[ "$got" != "go version go${go_version} linux/amd64" ]]; then
		podman rmi -f "$base_image" >/dev/null 2>&1 || true
		rm -f "$base_tar"
		die "the base image's Go says '$got', want go${go_version} (base removed; run again to remake it)"
	fi
	say "base image ready: $got"
fi

# Hosts behind a TLS-inspecting proxy trust a certificate authority that
# Debian's bundle lacks (this project's sandbox does): the build's pip and go
# would fail certificate checks. The certificates the host's bundle has
# beyond the base's are then added in a layer of their own on top of the
# stand-in, with PIP_CERT (bookworm's pip reads certifi's bundle, not the
# system one); on other hosts the stand-in is used as it is.
host_bundle=/etc/ssl/certs/ca-certificates.crt
build_base="$base_image"
if [[ -f "$host_bundle" ]]; then
	extra="$work/.hostca"
	rm -rf "$extra"
	mkdir -p "$extra"
	podman run --rm --network none "$base_image" cat "$host_bundle" >"$extra/base.crt"
	python3 - "$host_bundle" "$extra/base.crt" "$extra" <<'PY'
import re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")
def certs(path):
    return [re.sub(r"\s+", "", c) for c in pem.findall(open(path).read())], pem.findall(open(path).read())
host_norm, host_raw = certs(sys.argv[1])
base_norm, _ = certs(sys.argv[2])
have = set(base_norm)
n = 0
for norm, raw in zip(host_norm, host_raw):
    if norm not in have:
        n += 1
        open("%s/host-extra-%d.crt" % (sys.argv[3], n), "w").write(raw + "\n")
PY
	rm -f "$extra/base.crt"
	if compgen -G "$extra/host-extra-*.crt" >/dev/null; then
		ca_key="$(cat "$extra"/host-extra-*.crt | sha256sum | cut -c1-12)"
		build_base="$base_image-hostca-$ca_key"
		if ! podman image exists "$build_base"; then
			say "the host trusts $(ls "$extra"/host-extra-*.crt | wc -l) certificate authority(ies) beyond Debian's: adding them in a layer ($build_base)"
			cat >"$extra/Containerfile" <<CF
FROM $base_image
COPY host-extra-*.crt /usr/local/share/ca-certificates/
RUN cat /usr/local/share/ca-certificates/host-extra-*.crt >>$host_bundle
ENV PIP_CERT=$host_bundle
CF
			podman build -q --network none --runtime runc "${ulimits[@]}" -t "$build_base" "$extra" >/dev/null ||
				die "could not add the host's certificate authorities to the base"
		fi
	fi
fi
t_base=$(($(now) - t0))

# --- Build the Dockerfile on it --------------------------------------------------
# RUN steps reach the Go module proxy and PyPI through the host's network.
build() { # build TAG [--build-arg ...]
	local tag="$1"
	shift
	podman build --layers --network host --runtime runc "${ulimits[@]}" --build-arg "BASE=$build_base" "$@" \
		-t "$tag" -f "$root/Dockerfile" "$root"
}
# Each image must carry its own backend: a layer cache that ignored the
# build argument would hand one variant the other's ENV (see the Dockerfile).
want_env() { # want_env IMAGE VAR=VALUE
	local env
	env="$(podman image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1")"
	grep -qx "$2" <<<"$env" || die "$1 does not have $2 in its environment (a stale cached layer?): $env"
}
t0="$(now)"
say "building $image from Dockerfile (BASE=$build_base)"
build "$image" || die "podman build failed (its output is above)"
want_env "$image" GOMLX_BACKEND=go
t_build=$(($(now) - t0))

t0="$(now)"
t_cuda=-
if [[ "${DEEPTUCKER_DOCKER_CUDA:-1}" != 0 ]]; then
	say "building the CUDA variant $cuda_image (--build-arg GOMLX_BACKEND=xla:cuda)"
	build "$cuda_image" --build-arg GOMLX_BACKEND=xla:cuda || die "the CUDA variant does not build (its output is above)"
	want_env "$cuda_image" GOMLX_BACKEND=xla:cuda
	want_env "$image" GOMLX_BACKEND=go
	say "ok: the CUDA variant builds with GOMLX_BACKEND=xla:cuda (running it needs an NVIDIA GPU: not checked here)"
	t_cuda=$(($(now) - t0))
fi

# --- Run it and check -------------------------------------------------------------
t0="$(now)"
name="deeptucker-check-$$"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
cleanup() {
	podman rm -f -t 3 "$name" >/dev/null 2>&1 || true
	unmount_storage
}
trap cleanup EXIT
fail() {
	echo "--- container log ---" >&2
	podman logs "$name" 2>&1 | tail -n 40 >&2 || true
	die "$*"
}
say "starting $name: the README's command, port 8888 published on 127.0.0.1:$port"
podman run -d --name "$name" -p "127.0.0.1:$port:8888" -e JUPYTER_TOKEN="$token" "$image" >/dev/null ||
	die "podman run failed (its message is above)"
url="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
for ((i = 0; i < 120; i++)); do
	[[ "$(status "$url/api/status?token=$token")" == 200 ]] && break
	[[ "$(podman inspect -f '{{.State.Running}}' "$name")" == true ]] || fail "the container stopped before JupyterLab answered"
	sleep 1
done
((i < 120)) || fail "JupyterLab did not answer on $url within 120 s"
say "ok: JupyterLab answers on $url with the token after ${i}s"

user="$(podman inspect -f '{{.Config.User}}' "$name")"
[[ -n "$user" && "$user" != root && "$user" != 0 && "$user" != 0:* ]] || fail "the image's USER is '${user:-<root>}'"
uid="$(podman exec "$name" id -u)"
[[ "$uid" != 0 ]] || fail "a command in the container runs as uid 0"
# The server process itself, seen from the host (ps in the container's pid namespace).
procs="$(podman top "$name" user args)"
grep -q 'jupyter-lab\|jupyter lab' <<<"$procs" || fail "no JupyterLab process in the container: $procs"
if awk 'NR > 1 && /jupyter/ && ($1 == "root" || $1 == "0")' <<<"$procs" | grep -q .; then
	fail "JupyterLab runs as root: $procs"
fi
say "ok: USER $user (uid $uid); JupyterLab runs as $(awk 'NR > 1 && /jupyter/ {print $1; exit}' <<<"$procs")"

specs="$(curl -sf "$url/api/kernelspecs?token=$token")" || fail "GET /api/kernelspecs with the token failed"
grep -q '"deeptucker-go"' <<<"$specs" || fail "the server does not list the deeptucker-go kernel: $specs"
code="$(status "$url/api/kernelspecs")"
[[ "$code" == 403 ]] || fail "GET /api/kernelspecs without a token gave HTTP $code, want 403"
code="$(status "$url/api/kernelspecs?token=wrong-$token")"
[[ "$code" == 403 ]] || fail "GET /api/kernelspecs with a wrong token gave HTTP $code, want 403"
code="$(status -H "Authorization: token $token" "$url/api/kernelspecs")"
[[ "$code" == 200 ]] || fail "GET /api/kernelspecs with the token in the Authorization header gave HTTP $code, want 200"
say "ok: the kernel deeptucker-go is listed with the token; without it or with a wrong one: HTTP 403"

say "running notebooks/00-quickstart.ipynb headless in the container (DEEPTUCKER_PROFILE=ci)"
podman exec -e DEEPTUCKER_PROFILE=ci -e CI=true -e DEEPTUCKER_NB_OUT=/tmp/notebooks "$name" \
	bash kernel/run-notebooks.sh notebooks/00-quickstart.ipynb ||
	fail "the quickstart notebook failed inside the container (its output is above)"
say "ok: the quickstart runs headless inside the container"
t_check=$(($(now) - t0))

podman rm -f -t 3 "$name" >/dev/null
podman container exists "$name" && die "container $name is still there after teardown"
trap unmount_storage EXIT
say "passed: base ${t_base}s, build ${t_build}s, CUDA build ${t_cuda}s, run+checks ${t_check}s, total $(($(now) - t_start))s"
say "storage: $(du -sh "$work" 2>/dev/null | cut -f1) in ${work#"$root"/} (kept for the next run; make clean removes it)"

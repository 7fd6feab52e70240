# JupyterLab with the "Go (deep Tucker)" GoNB kernel and this repository,
# running as a normal user, token authentication on.
#
#   docker build -t deeptucker .
#   docker run --rm -p 127.0.0.1:8888:8888 deeptucker
#   # then open the http://127.0.0.1:8888/lab?token=... URL it prints
#
# Pass a token of your own with -e JUPYTER_TOKEN=...; it cannot be empty.
#
# CUDA variant: GoMLX's XLA backend on an NVIDIA GPU (host with the NVIDIA
# container toolkit). The build argument becomes the image's GOMLX_BACKEND:
#   docker build --build-arg GOMLX_BACKEND=xla:cuda -t deeptucker:cuda .
#   docker run --rm --gpus all -p 127.0.0.1:8888:8888 deeptucker:cuda
# XLA fetches its CUDA plugin (PyPI's jax-cuda wheels) on first use, so the
# container needs network access then; deeptucker/backend explains the errors.
#
# `make check-docker` checks this file statically (pinned base, non-root, the
# same `make setup` as CI); `make docker-check` builds it with podman on a
# local stand-in for the base image and runs it.
#
# BASE is the base image; the default is the pinned official one. Another
# image with the same Go and Debian may stand in for it (docker-check does):
#   docker build --build-arg BASE=localhost/my-golang:1.26.8-bookworm .
ARG BASE=golang:1.26.8-bookworm
FROM ${BASE}

RUN apt-get update \
	&& apt-get install -y --no-install-recommends python3 python3-venv make \
	&& rm -rf /var/lib/apt/lists/*

ARG USER=tucker
ARG UID=1000
RUN useradd --create-home --uid ${UID} --shell /bin/bash ${USER}
USER ${USER}
ENV GOPATH=/home/${USER}/go \
	GOTOOLCHAIN=local
WORKDIR /home/${USER}/deeptucker
COPY --chown=${USER}:${USER} . .

# The README's setup command, which `make test` (CI) and `make lab` run too.
RUN make setup
# Warm the build cache: GoMLX compiles for about a minute, once, here rather
# than in the user's first notebook cell.
RUN go build ./...

ARG GOMLX_BACKEND=go
# A RUN that reads the argument also keys the layer cache on its value: some
# builders (buildah 1.28, Debian bookworm's podman) record ARG and ENV steps
# without values and would hand one variant the other's cached ENV.
RUN test -n "${GOMLX_BACKEND}" || { echo "GOMLX_BACKEND is empty: use --build-arg GOMLX_BACKEND=go or xla:cuda" >&2; exit 1; }
ENV GOMLX_BACKEND=${GOMLX_BACKEND} \
	DEEPTUCKER_LAB_IP=0.0.0.0 \
	DEEPTUCKER_LAB_PORT=8888
EXPOSE 8888
CMD ["make", "lab"]

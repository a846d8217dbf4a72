#!/usr/bin/env bash
# Make a Docker engine answer for the llmos sandbox: install docker.io and start
# dockerd (no bridge, no iptables) when we are root and it is missing.
# Idempotent and quiet when the engine already answers.  Never fails the build:
# llmos keeps working without a sandbox, so every dead end prints what to do and
# exits 0.
set -u

LOG="${LLMOS_DOCKERD_LOG:-/var/log/llmos-dockerd.log}"
WAIT_S="${LLMOS_DOCKERD_WAIT:-60}"
SOCK="/var/run/docker.sock"

say() { echo "setup-docker: $*"; }

engine_up() {
    command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

if engine_up; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    say "no Docker engine answers and we are not root."
    say "to enable the sandbox: install docker.io and start dockerd as root, e.g."
    say "  sudo apt-get install -y docker.io && sudo dockerd --bridge=none --iptables=false --ip-forward=false &"
    say "or add yourself to the 'docker' group.  llmos runs without a sandbox meanwhile."
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    say "installing docker.io (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q docker.io >/tmp/llmos-apt-docker.log 2>&1; then
        say "apt-get install failed; running apt-get update and retrying ..."
        apt-get update -q >>/tmp/llmos-apt-docker.log 2>&1
        if ! apt-get install -y -q docker.io >>/tmp/llmos-apt-docker.log 2>&1; then
            say "could not install docker.io (see /tmp/llmos-apt-docker.log)."
            say "install a Docker engine by hand to enable the sandbox; llmos runs without it meanwhile."
            exit 0
        fi
    fi
    say "docker.io installed."
fi

# The image builder (python -m sandbox build) needs debootstrap.
if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap (apt-get) ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >>/tmp/llmos-apt-docker.log 2>&1 \
        || say "could not install debootstrap; \`python -m sandbox build\` will say what to do."
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    # A dockerd that died leaves its pid file and socket behind; both block a restart.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    [ -S "$SOCK" ] && rm -f "$SOCK"
    # containerd's own pid file, same story.
    [ -f /var/run/docker/containerd/containerd.pid ] && \
        ! kill -0 "$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null)" 2>/dev/null && \
        rm -f /var/run/docker/containerd/containerd.pid
    mkdir -p "$(dirname "$LOG")"
    say "starting dockerd (log: $LOG) ..."
    setsid nohup dockerd --bridge=none --iptables=false --ip-forward=false \
        >>"$LOG" 2>&1 </dev/null &
else
    say "dockerd is running but does not answer yet; waiting ..."
fi

for _ in $(seq 1 "$WAIT_S"); do
    if engine_up; then
        say "Docker engine is up."
        exit 0
    fi
    sleep 1
done

say "dockerd did not answer within ${WAIT_S}s; see $LOG."
say "the sandbox stays unavailable until a Docker engine answers at unix://$SOCK."
exit 0

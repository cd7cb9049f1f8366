#!/usr/bin/env bash
# Starts a real Docker engine for the Docker E2E test (DockerE2EIT), as root and without systemd:
#   1. installs docker.io and busybox-static when missing (apt-get update first);
#   2. starts dockerd by hand (flags from shared/reference/machine.md: no iptables, no bridge,
#      cgroupfs), log and pid file under $BERTH_E2E_DOCKER_DIR (default /var/tmp/berth-e2e-docker);
#   3. waits until `docker info` answers;
#   4. imports a busybox rootfs as the local image local/busybox:latest (there is no registry).
# Idempotent: a running dockerd and an existing image are reused. Stop it with e2e/docker/down.sh.
set -euo pipefail

dir="${BERTH_E2E_DOCKER_DIR:-/var/tmp/berth-e2e-docker}"
image=local/busybox:latest
mkdir -p "$dir"

say() { echo "e2e/docker/up.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  say "needs root (it installs packages and starts dockerd)" >&2
  exit 1
fi

# 1. Packages. dpkg -s, not `command -v docker`: a docker CLI alone (e.g. in /usr/local/bin) is not an engine.
missing=()
dpkg -s docker.io >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  # Keep the package scripts from starting a dockerd with default flags (iptables, bridge):
  # this script starts its own. Only a policy file we created ourselves is removed again.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=yes
  fi
  trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  timeout 600 apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# The engine's own CLI (docker.io's /usr/bin/docker) matches the daemon's API version.
docker=/usr/bin/docker
[ -x "$docker" ] || docker="$(command -v docker)"

engine_up() { timeout 10 "$docker" info >/dev/null 2>&1; }

# 2. dockerd.
if engine_up; then
  say "dockerd already answers; reusing it"
else
  if [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
    say "dockerd (pid $(cat "$dir/dockerd.pid")) is starting; waiting for it"
  else
    say "starting dockerd (log $dir/dockerd.log)"
    # setsid: dockerd must outlive this script and must not get the caller's terminal signals.
    setsid /usr/sbin/dockerd --host unix:///run/docker.sock --pidfile "$dir/dockerd.pid" \
      --storage-driver=overlay2 --iptables=false --ip-masq=false --bridge=none \
      --exec-opt native.cgroupdriver=cgroupfs >>"$dir/dockerd.log" 2>&1 </dev/null &
  fi
  # 3. Wait for it (a cold start with overlay2 takes a few seconds).
  for _ in $(seq 1 120); do
    engine_up && break
    sleep 0.5
  done
  if ! engine_up; then
    say "dockerd did not answer within 60 s; last lines of $dir/dockerd.log:" >&2
    tail -n 30 "$dir/dockerd.log" >&2 || true
    exit 1
  fi
  say "dockerd is up"
fi

# 4. The busybox image: /bin/busybox (static) and one symlink per applet, plus passwd/group.
if timeout 30 "$docker" image inspect "$image" >/dev/null 2>&1; then
  say "$image already imported"
else
  busybox=/bin/busybox
  [ -x "$busybox" ] || busybox="$(command -v busybox)"
  rootfs="$(mktemp -d "$dir/rootfs.XXXXXX")"
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,data}
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list-full); do
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  tar -C "$rootfs" -c . | timeout 120 "$docker" import -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
  rm -rf "$rootfs"
  say "imported $image"
fi

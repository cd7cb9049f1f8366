#!/usr/bin/env bash
# Undoes e2e/docker/up.sh: removes containers and volumes that use the berth driver, stops the
# dockerd that up.sh started (found by its pid file; a dockerd started by someone else is left
# running) and removes a stale /run/docker/plugins/berth.sock. Safe to run more than once.
set -uo pipefail

dir="${BERTH_E2E_DOCKER_DIR:-/var/tmp/berth-e2e-docker}"
plugin_socket="${BERTH_E2E_PLUGIN_SOCKET:-/run/docker/plugins/berth.sock}"
say() { echo "e2e/docker/down.sh: $*"; }

docker=/usr/bin/docker
[ -x "$docker" ] || docker="$(command -v docker || true)"

if [ -n "$docker" ] && timeout 10 "$docker" info >/dev/null 2>&1; then
  # Containers first (they hold the volumes), then the volumes. With Berth gone each call may
  # wait through dockerd's plugin retries, hence the generous timeouts.
  for volume in $(timeout 60 "$docker" volume ls -q --filter driver=berth 2>/dev/null); do
    for container in $(timeout 30 "$docker" ps -aq --filter "volume=$volume" 2>/dev/null); do
      say "removing container $container (uses $volume)"
      timeout 60 "$docker" rm -f "$container" >/dev/null 2>&1
    done
    say "removing volume $volume"
    timeout 90 "$docker" volume rm -f "$volume" >/dev/null 2>&1
  done
fi

if [ -f "$dir/dockerd.pid" ]; then
  pid="$(cat "$dir/dockerd.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd ignored SIGTERM for 30 s; killing it"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$dir/dockerd.pid"
fi

# A socket file nobody listens on would make the next dockerd wait through retries; a live one
# (a Berth someone else runs) is left alone.
if [ -S "$plugin_socket" ]; then
  if command -v curl >/dev/null && timeout 3 curl -s -o /dev/null --unix-socket "$plugin_socket" \
       -X POST http://plugin/Plugin.Activate; then
    say "$plugin_socket is served by a live process; leaving it"
  else
    say "removing stale $plugin_socket"
    rm -f "$plugin_socket"
  fi
fi
exit 0

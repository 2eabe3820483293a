#!/usr/bin/env bash
# Forwards Matchbox's gRPC API to 127.0.0.1:8081 for the `matchbox-config`
# deploy (.github/workflows/deploy.yml): the API has only a ClusterIP, and the
# Matchbox provider dials it as soon as it is configured, so nothing of that
# stack can be planned or applied without this.
#
# Matchbox may still be rolling out after the boot-server apply, and a
# port-forward to a Service whose pod is not running exits at once, so it
# retries, a bounded number of times, and prints kubectl's own message after
# each failed attempt. On success the forward keeps running in the background
# until the job ends (GitHub Actions ends a job's leftover processes).
#
# Environment:
#   MATCHBOX_NAMESPACE            required; stacks/boot-server-stack.ts MATCHBOX_NAMESPACE
#   PORT_FORWARD_ATTEMPTS         attempts before giving up (default 10)
#   PORT_FORWARD_WAIT_SECONDS     how long one attempt waits for the port (default 10)
#   PORT_FORWARD_BACKOFF_SECONDS  pause between attempts (default 10)
#   PORT_FORWARD_LOG              kubectl's output (default $RUNNER_TEMP/port-forward.log)
#
# Exit status: 0 when 127.0.0.1:8081 accepts connections, 1 when no attempt
# got there, 2 on a usage error. Output: one line per attempt on stderr, and
# "port-forward ready: pid <pid>" on stdout.
set -euo pipefail

namespace="${MATCHBOX_NAMESPACE:-}"
attempts="${PORT_FORWARD_ATTEMPTS:-10}"
wait_seconds="${PORT_FORWARD_WAIT_SECONDS:-10}"
backoff_seconds="${PORT_FORWARD_BACKOFF_SECONDS:-10}"
log="${PORT_FORWARD_LOG:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/port-forward.log}"

if [ -z "$namespace" ]; then
  echo "port-forward-matchbox: MATCHBOX_NAMESPACE is not set (the namespace of the Matchbox Service, e.g. netboot-matchbox)" >&2
  exit 2
fi
for pair in "PORT_FORWARD_ATTEMPTS=$attempts" "PORT_FORWARD_WAIT_SECONDS=$wait_seconds" "PORT_FORWARD_BACKOFF_SECONDS=$backoff_seconds"; do
  value="${pair#*=}"
  if ! [[ "$value" =~ ^[0-9]+$ ]] || [ "$value" -gt 600 ]; then
    echo "port-forward-matchbox: ${pair%%=*} must be a whole number of at most 600, got \"$value\"" >&2
    exit 2
  fi
done
if [ "$attempts" -lt 1 ]; then
  echo "port-forward-matchbox: PORT_FORWARD_ATTEMPTS must be at least 1" >&2
  exit 2
fi

# True once something accepts TCP connections on 127.0.0.1:8081 (bash's /dev/tcp, no netcat needed).
port_open() {
  (exec 3<>/dev/tcp/127.0.0.1/8081) 2>/dev/null
}

for ((attempt = 1; attempt <= attempts; attempt++)); do
  kubectl port-forward svc/matchbox 8081:8081 -n "$MATCHBOX_NAMESPACE" </dev/null >"$log" 2>&1 &
  pid=$!
  # Polled five times a second: kubectl exits within a moment when no pod is running.
  for ((tick = 0; tick < wait_seconds * 5; tick++)); do
    if port_open; then
      echo "port-forward ready: pid $pid"
      exit 0
    fi
    # kubectl gave up (no running pod behind the Service yet): no point in waiting longer.
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "port-forward-matchbox: attempt $attempt of $attempts: 127.0.0.1:8081 not reachable yet; kubectl said:" >&2
  sed 's/^/  /' "$log" >&2 || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$attempt" -lt "$attempts" ]; then
    sleep "$backoff_seconds"
  fi
done
echo "port-forward-matchbox: gave up after $attempts attempts; check the Matchbox pod: kubectl -n $MATCHBOX_NAMESPACE get pods,events" >&2
exit 1

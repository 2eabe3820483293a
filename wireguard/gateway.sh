#!/bin/bash
# netboot WireGuard gateway: installs the packet filter, then brings up the
# tunnel interface, from rendered files, then waits. The DaemonSet runs it in
# the pod; the end-to-end tests run this same script in network namespaces.
#
#   gateway.sh         set up and wait (the container's command); every step
#                      is reported on stderr
#   gateway.sh check   the pod's readiness and liveness probe: exits 0 only
#                      when the tunnel interface is up with its key and the
#                      packet filter of WG_RULES is loaded (every NETBOOT-*
#                      chain it declares, and at least its rules, per table)
#
# Restarts are safe: the filter is replaced atomically per table, and a tunnel
# interface left over by a run that was killed (SIGKILL, OOM: the interface
# outlives the process in the pod's network namespace) is removed and created
# again. The filter goes in before the interface exists, so there is no moment
# with a tunnel and without rules.
#
# Environment:
#   WG_IFACE             tunnel interface name (default wg0)
#   WG_CONFIG            rendered wg-quick style config without PrivateKey
#   WG_RULES             rendered iptables-restore rules
#   WG_PRIVATE_KEY_FILE  where the private key is (or is written to)
#   WG_KEY_SECRET        optional: projects/<p>/secrets/<s>/versions/<v>; the
#                        key is fetched from Secret Manager with the pod's
#                        Workload Identity into WG_PRIVATE_KEY_FILE
#   WG_EXPECTED_PUBLIC_KEY  optional: refuse to start unless the private key
#                        matches it (wireguard/gateway.pub)
#   WG_USERSPACE_IMPLEMENTATION  optional: e.g. wireguard-go, used only when the
#                        kernel cannot create a WireGuard interface (tests)
#   WG_ONESHOT           optional: set up and exit instead of waiting
#   WG_REFUSED_REPORT_SECONDS  optional: how often (default 60) the waiting
#                        gateway reports connection attempts to Matchbox HTTP
#                        it refused from a peer's own tunnel address (at most
#                        one line per peer per period)
set -euo pipefail
umask 077

IFACE="${WG_IFACE:-wg0}"
CONFIG="${WG_CONFIG:-/etc/netboot/wireguard/gateway.conf}"
RULES="${WG_RULES:-/etc/netboot/wireguard/rules.v4}"
KEY_FILE="${WG_PRIVATE_KEY_FILE:-/run/netboot/private.key}"
REPORT_SECONDS="${WG_REFUSED_REPORT_SECONDS:-60}"

log() { printf '%s gateway: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { printf '%s gateway: FATAL: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; exit 1; }

# The nf_tables backend needs only NET_ADMIN; the legacy one also needs
# NET_RAW, which this pod does not have. iptables and iptables-save of the
# same backend read what the restore wrote.
find_iptables() {
  RESTORE=$(command -v iptables-nft-restore || command -v iptables-restore) || die "iptables-restore is not installed"
  IPTABLES="${RESTORE%-restore}"
  SAVE="${RESTORE%-restore}-save"
}

# iptables-restore input (a rules file, or iptables-save output) on stdin ->
# one "<table> chain <name>" line per NETBOOT-* chain and one
# "<table> rules <count>" line per table.
summarize_rules() {
  awk '/^\*/ { t = substr($1, 2); n[t] += 0 }
       /^:NETBOOT-/ { print t, "chain", substr($1, 2) }
       /^-A / { n[t]++ }
       END { for (t in n) print t, "rules", n[t] }'
}

check_forwarding() {
  local forwarding
  forwarding=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo "unreadable")
  [ "$forwarding" = 1 ] || die "IPv4 forwarding is off in this network namespace (net.ipv4.ip_forward=$forwarding). The pod sets it through securityContext.sysctls; the node pool must allow it (kubelet allowed_unsafe_sysctls: net.ipv4.ip_forward)."
}

fetch_private_key() {
  local token response code body
  if ! command -v curl >/dev/null || ! command -v jq >/dev/null; then
    die "curl and jq are needed to read the key from Secret Manager"
  fi
  token=$(curl -sSf --max-time 10 -H 'Metadata-Flavor: Google' \
    'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token' | jq -r .access_token) \
    || die "no access token from the GKE metadata server; is Workload Identity enabled and the Kubernetes service account bound to the gateway's Google service account?"
  response=$(curl -sS --max-time 10 -w '\n%{http_code}' -H "Authorization: Bearer ${token}" \
    "https://secretmanager.googleapis.com/v1/${WG_KEY_SECRET}:access") || die "cannot reach Secret Manager"
  code=${response##*$'\n'}
  body=${response%$'\n'*}
  [ "$code" = 200 ] || die "Secret Manager answered HTTP ${code} for ${WG_KEY_SECRET}: $(jq -r '.error.message // empty' <<<"$body" 2>/dev/null). Create it with: wg genkey | gcloud secrets versions add <secret> --data-file=-"
  jq -r .payload.data <<<"$body" | base64 -d | tr -d '\r\n' >"$KEY_FILE"
}

install_packet_filter() {
  local tables
  "$RESTORE" <"$RULES" || die "${RESTORE} rejected ${RULES} (with only NET_ADMIN, the legacy iptables backend fails with 'Permission denied'; the nft backend is needed)"
  tables=$(summarize_rules <"$RULES" | awk '$2 == "rules" { printf "%s%s %s", sep, $1, $3; sep = ", " }')
  log "packet filter installed from ${RULES} with ${RESTORE##*/} (rules per table: ${tables}), before ${IFACE} exists"
}

# After SIGKILL or an OOM kill the tunnel interface outlives this script in the
# pod's network namespace, and creating it again fails. Remove it, but only if
# it is a WireGuard interface: WG_IFACE naming the pod's uplink must not cut it off.
remove_leftover_interface() {
  ip link show dev "$IFACE" >/dev/null 2>&1 || return 0
  if ! ip -details link show dev "$IFACE" | grep -qw wireguard && ! wg show "$IFACE" public-key >/dev/null 2>&1; then
    die "${IFACE} exists and is not a WireGuard interface; refusing to remove it (check WG_IFACE)"
  fi
  log "${IFACE} already exists, left over from an earlier run (the interface of a killed gateway outlives it: SIGKILL, OOM kill): removing it"
  ip link del dev "$IFACE" || die "cannot remove the leftover ${IFACE}"
  local i
  for ((i = 0; i < 50; i++)); do
    ip link show dev "$IFACE" >/dev/null 2>&1 || break
    sleep 0.1
  done
  ! ip link show dev "$IFACE" >/dev/null 2>&1 || die "${IFACE} still exists 5 s after ip link del"
  log "removed the leftover ${IFACE}"
}

create_interface() {
  local err
  if err=$(ip link add dev "$IFACE" type wireguard 2>&1); then
    log "created ${IFACE} (kernel WireGuard)"
    return
  fi
  if [ -n "${WG_USERSPACE_IMPLEMENTATION:-}" ]; then
    log "kernel WireGuard unavailable (${err}); using ${WG_USERSPACE_IMPLEMENTATION}"
    "$WG_USERSPACE_IMPLEMENTATION" "$IFACE" || die "${WG_USERSPACE_IMPLEMENTATION} could not create ${IFACE}"
    log "created ${IFACE} (${WG_USERSPACE_IMPLEMENTATION})"
    return
  fi
  die "the kernel cannot create a WireGuard interface (${err}). The node's kernel needs the wireguard module (built into current COS and Ubuntu GKE images); this pod has NET_ADMIN only and cannot load modules."
}

# Only wg(8) keys may reach `wg setconf`; Address and MTU are applied below, as wg-quick would.
wg_only_config() {
  grep -v -i -E '^[[:space:]]*(Address|MTU|DNS|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)[[:space:]]*=' "$CONFIG"
}

config_values() {
  sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//Ip" "$CONFIG" | tr ',' '\n' | sed -E 's/^[[:space:]]+|[[:space:]]+$//g' | grep -v '^$' || true
}

cleanup() {
  log "stopping: removing ${IFACE} (the packet filter stays)"
  ip link del dev "$IFACE" 2>/dev/null || true
}

# `gateway.sh check`: the probe. Quiet on success but for one line on stdout;
# says what is missing on stderr.
check_ready() {
  local problems=() key expected loaded table kind name count have
  [ -r "$RULES" ] || die "rules ${RULES} are missing or unreadable"
  find_iptables
  if ! ip link show dev "$IFACE" up 2>/dev/null | grep -q .; then
    problems+=("${IFACE} is missing or down")
  elif ! key=$(wg show "$IFACE" public-key 2>/dev/null) || [ -z "$key" ] || [ "$key" = "(none)" ]; then
    problems+=("${IFACE} has no WireGuard private key")
  fi
  expected=$(summarize_rules <"$RULES")
  grep -q ' chain NETBOOT-' <<<"$expected" || problems+=("${RULES} declares no NETBOOT-* chain: not rendered by lib/wireguard/render.ts?")
  loaded=$("$SAVE" 2>/dev/null | summarize_rules) || problems+=("${SAVE##*/} failed")
  while read -r table kind name; do
    case "$kind" in
      chain) grep -qxF "${table} chain ${name}" <<<"$loaded" || problems+=("chain ${name} is not loaded in table ${table}") ;;
      rules)
        count=$name
        have=$(awk -v t="$table" '$1 == t && $2 == "rules" { print $3 }' <<<"$loaded")
        [ "${have:-0}" -ge "$count" ] || problems+=("table ${table} has ${have:-0} rules loaded, ${RULES} has ${count}")
        ;;
    esac
  done <<<"$expected"
  if ((${#problems[@]} > 0)); then
    log "not ready: $(IFS=';'; printf '%s' "${problems[*]}" | sed 's/;/; /g')"
    exit 1
  fi
  echo "ready: ${IFACE} up, packet filter of ${RULES} loaded"
  exit 0
}

# Connection attempts to Matchbox HTTP that the filter refused from a peer's own
# tunnel address (NETBOOT-REFUSED, one counted rule per peer), reported at most
# once per peer per WG_REFUSED_REPORT_SECONDS. The kernel LOG line of that chain
# reaches the node's log only where the node allows logging from other network
# namespaces (net.netfilter.nf_log_all_netns=1); this line is in the pod's log.
declare -A refused_seen=()
report_refused() {
  local address gateway peer count previous
  while read -r address gateway peer count; do
    previous=${refused_seen[$peer]:-0}
    if [ "$count" -gt "$previous" ]; then
      log "refused $((count - previous)) connection attempt(s) (TCP SYNs, retries included) to ${gateway}:8080 from ${address}, the tunnel address of peer ${peer}: only sources in a peer's routedCidrs reach Matchbox HTTP (sourceNat: false). If ${peer} is a router that masquerades its boot VLAN into the tunnel, make it route the boot VLAN without NAT, or set sourceNat: true for ${peer} in wireguard/peers.yaml (docs/boot-path.md, "UDM Pro: import the tunnel and route the boot VLAN")"
    fi
    refused_seen[$peer]=$count
  done < <("$IPTABLES" -t filter -S INPUT -v 2>/dev/null |
    sed -n -E 's#^-A INPUT -s ([0-9.]+)/32 -d ([0-9.]+)/32 .*--comment "?netboot: 8080 from the tunnel address of peer ([a-z0-9-]+)"? .*-c ([0-9]+) [0-9]+ -j NETBOOT-REFUSED.*#\1 \2 \3 \4#p')
}

case "${1:-}" in
  check) check_ready ;;
  "") ;;
  *) die "unknown argument ${1}; usage: gateway.sh [check]" ;;
esac

[ -r "$CONFIG" ] || die "config ${CONFIG} is missing or unreadable"
[ -r "$RULES" ] || die "rules ${RULES} are missing or unreadable"
check_forwarding

if [ -n "${WG_KEY_SECRET:-}" ]; then
  mkdir -p "$(dirname "$KEY_FILE")"
  fetch_private_key
fi
[ -s "$KEY_FILE" ] || die "private key ${KEY_FILE} is missing or empty"
public_key=$(wg pubkey <"$KEY_FILE") || die "private key in ${KEY_FILE} is not a WireGuard key"
if [ -n "${WG_EXPECTED_PUBLIC_KEY:-}" ] && [ "$public_key" != "$WG_EXPECTED_PUBLIC_KEY" ]; then
  die "the private key's public key is ${public_key}, but wireguard/gateway.pub says ${WG_EXPECTED_PUBLIC_KEY}; the secret and the committed public key do not belong together"
fi

find_iptables
install_packet_filter
remove_leftover_interface
create_interface
trap cleanup EXIT
trap 'exit 0' TERM INT
wg setconf "$IFACE" <(wg_only_config) || die "wg setconf rejected ${CONFIG}"
wg set "$IFACE" private-key "$KEY_FILE"
for address in $(config_values Address); do
  ip address add "$address" dev "$IFACE"
done
mtu=$(config_values MTU | head -n 1)
ip link set dev "$IFACE" mtu "${mtu:-1380}" up
# Routes for what peers carry besides the tunnel subnet itself (their boot VLANs).
for cidr in $(config_values AllowedIPs); do
  ip route replace "$cidr" dev "$IFACE"
done
log "up: ${IFACE} $(config_values Address | tr '\n' ' ')mtu ${mtu:-1380}, public key ${public_key}, $(grep -c '^\[Peer\]' "$CONFIG") peer(s)"

if [ -n "${WG_ONESHOT:-}" ]; then
  trap - EXIT
  exit 0
fi
while true; do
  sleep "$REPORT_SECONDS" &
  wait $! || true
  report_refused || true
done

#!/bin/bash
# netboot WireGuard gateway: brings up the tunnel interface and the packet
# filter from rendered files, then waits. The DaemonSet runs it in the pod;
# the end-to-end test runs this same script in a network namespace.
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
set -euo pipefail
umask 077

IFACE="${WG_IFACE:-wg0}"
CONFIG="${WG_CONFIG:-/etc/netboot/wireguard/gateway.conf}"
RULES="${WG_RULES:-/etc/netboot/wireguard/rules.v4}"
KEY_FILE="${WG_PRIVATE_KEY_FILE:-/run/netboot/private.key}"

log() { printf '%s gateway: %s\n' "$(date -u +%FT%TZ)" "$*"; }
die() { printf '%s gateway: FATAL: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; exit 1; }

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

create_interface() {
  local err
  if err=$(ip link add dev "$IFACE" type wireguard 2>&1); then
    return
  fi
  if [ -n "${WG_USERSPACE_IMPLEMENTATION:-}" ]; then
    log "kernel WireGuard unavailable (${err}); using ${WG_USERSPACE_IMPLEMENTATION}"
    "$WG_USERSPACE_IMPLEMENTATION" "$IFACE" || die "${WG_USERSPACE_IMPLEMENTATION} could not create ${IFACE}"
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
  log "stopping: removing ${IFACE}"
  ip link del dev "$IFACE" 2>/dev/null || true
}

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

create_interface
trap cleanup EXIT
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
# The nf_tables backend needs only NET_ADMIN; the legacy one also needs
# NET_RAW, which this pod does not have.
restore=$(command -v iptables-nft-restore || command -v iptables-restore) || die "iptables-restore is not installed"
"$restore" <"$RULES" || die "${restore} rejected ${RULES} (with only NET_ADMIN, the legacy iptables backend fails with 'Permission denied'; the nft backend is needed)"
log "up: ${IFACE} $(config_values Address | tr '\n' ' ')mtu ${mtu:-1380}, public key ${public_key}, $(grep -c '^\[Peer\]' "$CONFIG") peer(s)"

if [ -n "${WG_ONESHOT:-}" ]; then
  trap - EXIT
  exit 0
fi
trap 'exit 0' TERM INT
while true; do
  sleep 3600 &
  wait $! || true
done

#!/usr/bin/env bash
# Builds the iPXE EFI binary that UEFI HTTP-boot clients load first (ADR 0008):
# Debian's iPXE source, pinned, with an embedded script that does DHCP and
# chains to Matchbox's /boot.ipxe on the gateway's tunnel IP. Deterministic:
# pinned source version, SOURCE_DATE_EPOCH from the source's changelog, fixed
# build flags and build ID; prints the binary's SHA-256 as its last line.
#
#   scripts/build-ipxe-efi.sh --chain-url http://10.99.0.1:8080/boot.ipxe --out DIR
#
# Source (in this order):
#   IPXE_SOURCE_DIR=DIR   an unpacked tree of the same source (the upstream
#                         commit ${IPXE_COMMIT}, which Debian's orig tarball
#                         is), for machines that cannot reach Debian's source
#                         packages; the SHA-256 then matches only if the tree does.
#   otherwise             `apt-get source ipxe=${IPXE_DEBIAN_VERSION}` with a
#                         private deb-src list (the system's apt config is not
#                         touched); apt checks it against Debian's signed Release.
# Needs: gcc, make, perl, binutils (build-essential); dpkg-dev for apt-get source.
# Writes DIR/netboot-chain.efi, DIR/netboot-chain.ipxe (the embedded script)
# and DIR/netboot-chain.efi.sha256.
set -euo pipefail

IPXE_DEBIAN_VERSION=1.0.0+git-20190125.36a4c85-5.1
IPXE_COMMIT=36a4c85
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=bookworm

chain_url=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --chain-url) chain_url=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$chain_url" ] || [ -z "$out" ]; then
  echo "usage: $0 --chain-url http://<gateway tunnel IP>:8080/boot.ipxe --out DIR" >&2
  exit 2
fi
case "$chain_url" in
  http://*/boot.ipxe) ;;
  *) echo "--chain-url must be an http:// URL ending in /boot.ipxe (Matchbox's chain script), not $chain_url" >&2; exit 2 ;;
esac
for tool in gcc make perl ld sha256sum; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install build-essential)" >&2; exit 1; }
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/netboot-ipxe-build.XXXXXX)
trap 'rm -rf "$work"' EXIT

src=$work/ipxe
if [ -n "${IPXE_SOURCE_DIR:-}" ]; then
  [ -f "$IPXE_SOURCE_DIR/src/Makefile" ] || { echo "IPXE_SOURCE_DIR=$IPXE_SOURCE_DIR has no src/Makefile" >&2; exit 1; }
  echo "source: $IPXE_SOURCE_DIR (IPXE_SOURCE_DIR; expected: upstream commit $IPXE_COMMIT)" >&2
  cp -a "$IPXE_SOURCE_DIR" "$src"
  epoch=$(date -u -d 2019-01-25 +%s)
else
  command -v dpkg-source >/dev/null || { echo "dpkg-source not found (apt-get install dpkg-dev)" >&2; exit 1; }
  apt_dir=$work/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR $DEBIAN_SUITE main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=root")
  cannot_fetch() {
    echo "error: cannot fetch Debian's iPXE source (ipxe=$IPXE_DEBIAN_VERSION, $DEBIAN_SUITE, from $DEBIAN_MIRROR): $1 (apt's messages above)." >&2
    echo "  Either make the mirror reachable (DEBIAN_MIRROR=<a Debian mirror> to use another), or unpack the same source (upstream iPXE commit $IPXE_COMMIT) and run again with IPXE_SOURCE_DIR=<that directory>." >&2
    exit 1
  }
  apt-get "${apt_opts[@]}" update -qq || cannot_fetch "apt-get update of the deb-src list failed"
  (cd "$work" && apt-get "${apt_opts[@]}" source -qq "ipxe=$IPXE_DEBIAN_VERSION") || cannot_fetch "apt-get source failed"
  mv "$work"/ipxe-1.0.0+git-20190125.36a4c85 "$src"
  epoch=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Timestamp)
fi

cat >"$out/netboot-chain.ipxe" <<EOF
#!ipxe
# netboot (ADR 0008): loaded by UEFI HTTP boot; DHCP again, then Matchbox's
# boot script. On failure return to the firmware, which tries its next boot
# option (the installed disk): Matchbox answers 404 for machines with boot: disk.
dhcp || exit 1
chain $chain_url || exit 1
EOF
cp "$out/netboot-chain.ipxe" "$work/chain.ipxe"

export SOURCE_DATE_EPOCH=$epoch TZ=UTC LC_ALL=C
# GCC >= 10 defaults to -fno-common, which this 2019 tree does not link with;
# its warnings under GCC 12 are not errors of ours.
start=$(date +%s)
# iPXE's build ID is random and its build timestamp is `date +%s` by default:
# derive the ID from the pinned version and the embedded script, and use
# SOURCE_DATE_EPOCH as the timestamp.
build_id=0x$(printf '%s\n' "$IPXE_DEBIAN_VERSION" | cat - "$work/chain.ipxe" | sha256sum | cut -c1-8)
make -C "$src/src" -j"$(nproc)" bin-x86_64-efi/ipxe.efi EMBED="$work/chain.ipxe" NO_WERROR=1 EXTRA_CFLAGS=-fcommon BUILD_ID_CMD="echo $build_id" BUILD_TIMESTAMP="$SOURCE_DATE_EPOCH" V=0 >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  exit 1
}
echo "built in $(($(date +%s) - start)) s" >&2
cp "$src/src/bin-x86_64-efi/ipxe.efi" "$out/netboot-chain.efi"
(cd "$out" && sha256sum netboot-chain.efi >netboot-chain.efi.sha256)
cut -d' ' -f1 "$out/netboot-chain.efi.sha256"

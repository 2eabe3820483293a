#!/bin/sh
# Fetches Matchbox's boot assets and checks each against its pinned SHA-256.
# Runs as an init container: if a checksum is unset or does not match, the
# pod does not start, so Matchbox never serves an unverified kernel.
#
# Usage: fetch-assets.sh <manifest> <assets-dir> <data-dir>
# Manifest lines: <sha256|UNSET> <path> <url> <settings-field>
set -eu
manifest=$1
assets=$2
data=$3

fail() { echo "fetch-assets: FATAL: $*" >&2; exit 1; }

# Matchbox's file store expects these directories under its data path.
for dir in profiles groups generic ignition cloud; do
  mkdir -p "$data/$dir"
done

unset_fields=$(awk '$1 == "UNSET" { print $4 }' "$manifest")
if [ -n "$unset_fields" ]; then
  fail "no SHA-256 pinned for: $(echo "$unset_fields" | tr '\n' ' ')- fill them in the site settings from the release's published checksums (Talos: the sha256sum.txt of the GitHub release, or sha256sum of the Image Factory files you reviewed), then deploy the boot-server stack again."
fi

while read -r sha path url field; do
  [ -n "$sha" ] || continue
  target="$assets/$path"
  mkdir -p "$(dirname "$target")"
  if [ -f "$target" ] && echo "$sha  $target" | sha256sum -c -s 2>/dev/null; then
    echo "fetch-assets: $path already present and verified"
    continue
  fi
  echo "fetch-assets: fetching $url"
  curl -fsSL --retry 3 --max-time 600 -o "$target.partial" "$url" || fail "download failed: $url"
  actual=$(sha256sum "$target.partial" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then
    rm -f "$target.partial"
    fail "SHA-256 mismatch for $path: expected $sha ($field), got $actual from $url. Refusing to serve it."
  fi
  mv "$target.partial" "$target"
  echo "fetch-assets: $path verified ($sha)"
done < "$manifest"

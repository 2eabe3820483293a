#!/usr/bin/env bash
# scripts/check-node-line.sh [--install]
#
# On the Node that is first on PATH, in this checkout: the README's quick start
# (`npm ci` with --install, then `npm run synth`) and the cdktf CLI commands the
# workflows run, as far as they get without Google credentials:
#   - `cdktf diff <stack> --skip-synth` (pull-request and drift workflows) and
#     `cdktf deploy <stack> --auto-approve --skip-synth` (deploy workflow) on the
#     example site with a GCS state bucket: both must stop at `terraform init`,
#     where the GCS backend asks for credentials, with Terraform's message, and
#     never earlier (issue 25: cdktf-cli's native PTY failed to load on Node 24,
#     ERR_DLOPEN_FAILED, before any command ran);
#   - test/terraform/cdktf-cli.test.ts: `cdktf deploy` and `cdktf diff` of an
#     offline app to the end (init and apply through scripts/cdktf-pty-pipe).
# .ci/run runs it on every Node line package.json's engines claim; the
# pull-request workflow's test job runs it on its matrix (20.9.0, 22, 24).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  printf 'check-node-line: Node %s: %s\n' "$(node --version)" "$1" >&2
  exit 1
}

echo "check-node-line: Node $(node --version), npm $(npm --version), in $PWD"
if [ "${1:-}" = --install ]; then
  npm ci --no-audit --no-fund
fi

work="$(mktemp -d)"
# A site file must be a file of the repository under CI=true (the path rule,
# lib/input/repo-files.ts): the GCS variant goes in an ignored test/.tmp-* directory.
site_dir="$(mktemp -d "$PWD/test/.tmp-node-line-XXXXXX")"
trap 'rm -rf "$work" "$site_dir"' EXIT

# The quick start, into its own output directory (cdktf.out stays as it was).
npm run synth -- --output "$work/out-example"
for stack in network gke boot-server matchbox-config; do
  [ -s "$work/out-example/stacks/$stack/cdk.tf.json" ] || fail "npm run synth wrote no stacks/$stack/cdk.tf.json"
done

# The example site with a GCS state bucket that no credentials reach.
node -e '
  const { readFileSync, writeFileSync } = require("node:fs");
  const YAML = require("yaml");
  const doc = YAML.parseDocument(readFileSync("sites/example.yaml", "utf8"));
  doc.set("state", { backend: "gcs", bucket: "netboot-node-line-check", prefix: "netboot" });
  writeFileSync(process.argv[1], String(doc));
' "$site_dir/site.yaml"
SITE_CONFIG="$site_dir/site.yaml" npm run synth -- --output "$work/out-gcs"

# No credentials at all: none in the environment, an empty gcloud configuration.
mkdir -p "$work/gcloud"
no_credentials=(env -u GOOGLE_APPLICATION_CREDENTIALS -u GOOGLE_CREDENTIALS -u GOOGLE_BACKEND_CREDENTIALS
  -u GOOGLE_OAUTH_ACCESS_TOKEN -u GOOGLE_ENCRYPTION_KEY CLOUDSDK_CONFIG="$work/gcloud" CHECKPOINT_DISABLE=1)

expect_credentials_stop() {
  local name="$1" log="$work/$2.log"
  shift 2
  local rc=0
  "${no_credentials[@]}" "$@" > "$log" 2>&1 || rc=$?
  if grep -Eq 'ERR_DLOPEN_FAILED|pty\.node|node-pty|Cannot find module' "$log"; then
    cat "$log" >&2
    fail "$name failed to load the cdktf CLI (see above)"
  fi
  if [ "$rc" = 0 ]; then
    cat "$log" >&2
    fail "$name succeeded without credentials: it cannot have initialized the GCS backend"
  fi
  if ! grep -q 'could not find default credentials' "$log" || ! grep -q 'terraform init failed' "$log"; then
    cat "$log" >&2
    fail "$name did not stop where the GCS backend needs credentials (see above)"
  fi
  echo "check-node-line: $name stopped at terraform init for lack of credentials, as expected"
}

expect_credentials_stop "cdktf diff network --skip-synth" diff \
  npx cdktf diff network --skip-synth --output "$work/out-gcs"
expect_credentials_stop "cdktf deploy network --auto-approve --skip-synth" deploy \
  npx cdktf deploy network --auto-approve --skip-synth --ignore-missing-stack-dependencies --output "$work/out-gcs"

npx jest test/terraform/cdktf-cli.test.ts --selectProjects terraform
echo "check-node-line: Node $(node --version): quick start and cdktf CLI passed"

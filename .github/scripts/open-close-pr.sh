#!/usr/bin/env bash
# Opens, or updates, the one pull request that closes boot windows
# (.github/workflows/close-boot-windows.yml), from the inventory edited in the
# working tree by close-boot-windows.js. One branch, force-pushed each run, so
# there is never more than one such pull request and it always holds exactly
# the machines of the latest status. With no machine to close, an open pull
# request of the branch is closed (its machines were closed another way, or
# stopped reporting installed).
#
# Uses `gh` with GH_TOKEN (the workflow's GITHUB_TOKEN: contents: write and
# pull-requests: write, nothing else) and pushes through gh's git credential
# helper, so the token is never written into .git/config or a URL.
#
# Environment:
#   INVENTORY_FILE  required; the inventory the edit changed (repository path)
#   BODY_FILE       required; the pull request's body (close-boot-windows.js body)
#   BASE_BRANCH     the branch to merge into (default main)
#   CLOSE_BRANCH    the pull request's branch (default netboot/close-boot-windows)
#   CLOSED_NAMES    the machines the edit closed, one a line (for the title and commit)
#
# Exit status: 0 when the pull request is open and current, or none is needed;
# 1 when git or gh failed; 2 on a usage error. Output: what was done, on stdout.
set -euo pipefail

inventory="${INVENTORY_FILE:-}"
body="${BODY_FILE:-}"
base="${BASE_BRANCH:-main}"
branch="${CLOSE_BRANCH:-netboot/close-boot-windows}"
names="${CLOSED_NAMES:-}"

if [ -z "$inventory" ] || [ -z "$body" ]; then
  echo "open-close-pr: INVENTORY_FILE and BODY_FILE must be set" >&2
  exit 2
fi
if [ ! -s "$body" ]; then
  echo "open-close-pr: BODY_FILE $body is missing or empty" >&2
  exit 2
fi

open_pr=$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[0].number // empty')

if git diff --quiet -- "$inventory"; then
  if [ -n "$open_pr" ]; then
    gh pr close "$open_pr" --delete-branch --comment "No installed machine is left on boot: install in the latest boot status; nothing to close. The close-boot-windows workflow opens a new pull request when one reports installed."
    echo "closed pull request #$open_pr: nothing left to close"
  else
    echo "no machine to close; no pull request needed"
  fi
  exit 0
fi

# Only the inventory goes into the commit, whatever else the job left behind.
count=$(printf '%s\n' "$names" | grep -c . || true)
list=$(printf '%s\n' "$names" | grep . | paste -sd, - | sed 's/,/, /g')
title="Close the boot window of ${count} installed machine(s): ${list}"
git checkout -q -B "$branch"
git add -- "$inventory"
git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit -q -m "$title" -m "Sets boot: disk for machines the boot-report receiver saw installed (npm run boot-status). Written by the close-boot-windows workflow."
gh auth setup-git
git push -q --force origin "HEAD:refs/heads/$branch"

if [ -n "$open_pr" ]; then
  gh pr edit "$open_pr" --title "$title" --body-file "$body"
  echo "updated pull request #$open_pr: $list"
else
  if ! gh pr create --base "$base" --head "$branch" --title "$title" --body-file "$body"; then
    echo "open-close-pr: gh could not open the pull request; if it said GitHub Actions is not permitted to create pull requests, allow it: Settings -> Actions -> General -> Workflow permissions -> Allow GitHub Actions to create and approve pull requests (docs/machine-lifecycle.md)" >&2
    exit 1
  fi
  echo "opened a pull request: $list"
fi

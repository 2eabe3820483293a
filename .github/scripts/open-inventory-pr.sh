#!/usr/bin/env bash
# Opens, or updates, the one pull request of a kind that the close-boot-windows
# workflow proposes, from the inventory edited in the working tree:
#   close      boot: disk for installed machines (close-boot-windows.js edit)
#   discovery  new entries with boot: maintenance (npm run discovered -- --append)
# One branch per kind, force-pushed each run, so there is never more than one
# such pull request and it always holds exactly the machines of the latest
# status. With no machine left, an open pull request of the branch is closed
# (its machines were handled another way, or stopped reporting).
#
# Uses `gh` with GH_TOKEN (the workflow's GITHUB_TOKEN: contents: write and
# pull-requests: write, nothing else) and pushes through gh's git credential
# helper, so the token is never written into .git/config or a URL.
#
# Environment:
#   PR_KIND         close (default) or discovery
#   INVENTORY_FILE  required; the inventory the edit changed (repository path)
#   BODY_FILE       required; the pull request's body
#   BASE_BRANCH     the branch to merge into (default main)
#   PR_BRANCH       the pull request's branch (default netboot/close-boot-windows
#                   or netboot/discovered-machines, by kind)
#   MACHINE_NAMES   the machines the edit closed or added, one a line (for the title and commit)
#
# Exit status: 0 when the pull request is open and current, or none is needed;
# 1 when git or gh failed; 2 on a usage error. Output: what was done, on stdout.
set -euo pipefail

kind="${PR_KIND:-close}"
inventory="${INVENTORY_FILE:-}"
body="${BODY_FILE:-}"
base="${BASE_BRANCH:-main}"
names="${MACHINE_NAMES:-}"

case "$kind" in
  close)
    branch="${PR_BRANCH:-netboot/close-boot-windows}"
    title_text="Close the boot window of %s installed machine(s): %s"
    commit_text="Sets boot: disk for machines the boot-report receiver saw installed (npm run boot-status). Written by the close-boot-windows workflow."
    none_comment="No installed machine is left on boot: install in the latest boot status; nothing to close. The close-boot-windows workflow opens a new pull request when one reports installed."
    none_done="nothing left to close"
    none_needed="no machine to close; no pull request needed"
    ;;
  discovery)
    branch="${PR_BRANCH:-netboot/discovered-machines}"
    title_text="Add %s discovered machine(s) in maintenance mode: %s"
    commit_text="Adds machines the boot-report receiver saw in maintenance mode that no inventory entry names, with boot: maintenance (npm run discovered -- --append). Merging installs nothing. Written by the close-boot-windows workflow."
    none_comment="No machine is left that booted through discovery and that no inventory entry names; nothing to add. The close-boot-windows workflow opens a new pull request when one reports in."
    none_done="nothing left to add"
    none_needed="no machine discovered; no pull request needed"
    ;;
  *)
    echo "open-inventory-pr: PR_KIND $kind: allowed: close, discovery" >&2
    exit 2
    ;;
esac

if [ -z "$inventory" ] || [ -z "$body" ]; then
  echo "open-inventory-pr: INVENTORY_FILE and BODY_FILE must be set" >&2
  exit 2
fi
if [ ! -s "$body" ]; then
  echo "open-inventory-pr: BODY_FILE $body is missing or empty" >&2
  exit 2
fi

open_pr=$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[0].number // empty')

if git diff --quiet -- "$inventory"; then
  if [ -n "$open_pr" ]; then
    gh pr close "$open_pr" --delete-branch --comment "$none_comment"
    echo "closed pull request #$open_pr: $none_done"
  else
    echo "$none_needed"
  fi
  exit 0
fi

# Only the inventory goes into the commit, whatever else the job left behind.
count=$(printf '%s\n' "$names" | grep -c . || true)
list=$(printf '%s\n' "$names" | grep . | paste -sd, - | sed 's/,/, /g')
# shellcheck disable=SC2059 # the format is one of the fixed texts above
title=$(printf "$title_text" "$count" "$list")
git checkout -q -B "$branch"
git add -- "$inventory"
git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit -q -m "$title" -m "$commit_text"
gh auth setup-git
git push -q --force origin "HEAD:refs/heads/$branch"

if [ -n "$open_pr" ]; then
  gh pr edit "$open_pr" --title "$title" --body-file "$body"
  echo "updated pull request #$open_pr: $list"
else
  if ! gh pr create --base "$base" --head "$branch" --title "$title" --body-file "$body"; then
    echo "open-inventory-pr: gh could not open the pull request; if it said GitHub Actions is not permitted to create pull requests, allow it: Settings -> Actions -> General -> Workflow permissions -> Allow GitHub Actions to create and approve pull requests (docs/machine-lifecycle.md)" >&2
    exit 1
  fi
  echo "opened a pull request: $list"
fi

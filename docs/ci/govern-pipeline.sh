#!/usr/bin/env bash
# A release pipeline for one governed AI system, as a plain shell script (the same steps as github-actions.yml):
# register the prompt version and model config kept in the team's repository, build and submit a release candidate,
# evaluate it, gate it, and promote it when the gate is open. When the gate is blocked only because reviewers have
# not decided yet, it opens the approval round and exits 3; run it again with the same GOVERN_IDEMPOTENCY_SCOPE once
# the reviewers approved: every write replays (same ids, nothing duplicated) and the release is promoted.
#
# Needs: `govern` on PATH (npx govern in this repository, or cli/dist/govern.mjs from `npm run build:cli`).
# Environment:
#   GOVERN_API_URL              the API: in AWS its CloudFront URL (output ApiUrl); default http://127.0.0.1:3000
#   GOVERN_TOKEN                a token, or GOVERN_OIDC=github in GitHub Actions (no stored secret)
#   GOVERN_SYSTEM_ID            the system (sys_...)                                             required
#   GOVERNANCE_DIR              folder with prompt.json, model-config.json, thresholds.json     default ./governance
#   GOVERN_ENVIRONMENT          staging or production                                           default production
#   GOVERN_DATASET_KINDS        dataset kinds the candidate is judged on     default "baseline regression adversarial routing"
#   GOVERN_IDEMPOTENCY_SCOPE    the scope of idempotency keys; in GitHub Actions the run (repository:run id) by default
# Exit codes: 0 promoted, 3 blocked (approvals requested, or a failing eval run), anything else: see docs/cli.md.
set -euo pipefail

: "${GOVERN_SYSTEM_ID:?set GOVERN_SYSTEM_ID to the system id (sys_...)}"
dir="${GOVERNANCE_DIR:-governance}"
environment="${GOVERN_ENVIRONMENT:-production}"
read -r -a kinds <<<"${GOVERN_DATASET_KINDS:-baseline regression adversarial routing}"
run_label="${GITHUB_REPOSITORY:-local}#${GITHUB_RUN_ID:-${GOVERN_IDEMPOTENCY_SCOPE:-manual}}"

echo "== register the prompt version and the model config of ${dir}" >&2
prompt_id=$(govern --quiet prompt create --system "$GOVERN_SYSTEM_ID" --file "$dir/prompt.json" --submit)
config_id=$(govern --quiet model-config create --system "$GOVERN_SYSTEM_ID" --file "$dir/model-config.json" --submit)
echo "prompt version ${prompt_id}, model config ${config_id}" >&2

echo "== build and submit the release candidate" >&2
datasets=$(govern --quiet datasets list --system "$GOVERN_SYSTEM_ID" --kind "${kinds[@]}" | paste -sd, -)
if [[ -z "$datasets" ]]; then
  echo "the system has no datasets of the kinds ${kinds[*]}" >&2
  exit 2
fi
candidate_id=$(govern --quiet candidate create --system "$GOVERN_SYSTEM_ID" \
  --prompt-version "$prompt_id" --model-config "$config_id" --dataset "$datasets" \
  --thresholds "$dir/thresholds.json" --environment "$environment" \
  --name "pipeline ${run_label}" --notes "built by ${run_label}" --submit)
echo "release candidate ${candidate_id}" >&2
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "candidate-id=${candidate_id}" >>"$GITHUB_OUTPUT"; fi

echo "== evaluate" >&2
govern evals run "$candidate_id" --wait --interval 1000

echo "== gate" >&2
gate=0
govern gate "$candidate_id" --environment "$environment" || gate=$?
case "$gate" in
  0)
    echo "== promote" >&2
    govern promote "$candidate_id" --environment "$environment" --expected-active current \
      --reason "promoted by ${run_label}"
    echo "promoted ${candidate_id} to ${environment}" >&2
    ;;
  3)
    # Blocked: open the approval round (7 means it is open already, or the candidate is past it) and stop here.
    status=0
    govern request-approval "$candidate_id" || status=$?
    if [[ "$status" -ne 0 && "$status" -ne 7 ]]; then exit "$status"; fi
    echo "blocked: ${candidate_id} waits for the reviewers; run again with the same idempotency scope after they decide" >&2
    exit 3
    ;;
  *)
    exit "$gate"
    ;;
esac

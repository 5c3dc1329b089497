#!/usr/bin/env bash
# Run docker-compose.yaml for real on images built by docker/local-base/build.sh, import the sample with
# the example DAG through the REST API, check it succeeded, then `down -v`. Needs a Docker engine.
# Usage: docker/local-base/compose-run.sh     (host ports: AIRFLOW_HOST_PORT, default 18080)
set -euo pipefail
cd "$(dirname "$0")/../.."
airflow_version=$(sed -n 's/^apache-airflow==\([^ ;]*\)$/\1/p' constraints/constraints.txt)
export AIRFLOW_BASE_IMAGE=${AIRFLOW_BASE_IMAGE:-filed-local/airflow:$airflow_version}
export POSTGRES_IMAGE=${POSTGRES_IMAGE:-filed-local/postgres:15}
export REDIS_IMAGE=${REDIS_IMAGE:-filed-local/redis:7}
export AIRFLOW_BUILD_NETWORK=${AIRFLOW_BUILD_NETWORK:-host}
export AIRFLOW_HOST_PORT=${AIRFLOW_HOST_PORT:-18080}
export FILED_EMULATOR_HOST_PORT=${FILED_EMULATOR_HOST_PORT:-18000}
compose=(${COMPOSE:-uv run --frozen docker-compose} -p filed-compose-run -f docker-compose.yaml)
api=http://127.0.0.1:$AIRFLOW_HOST_PORT
step() { printf '[compose-run %s] %s\n' "$(date +%T)" "$*"; }
cleanup() { step "docker compose down -v"; "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "build the image once and initialise (airflow-init)"
"${compose[@]}" up --build airflow-init
init_state=$("${compose[@]}" ps -a --format '{{.State}} {{.ExitCode}}' airflow-init)
[[ $init_state == "exited 0" ]] || { step "airflow-init did not succeed: $init_state"; exit 1; }
step "start every service"
"${compose[@]}" up -d
step "waiting for $api"
for _ in $(seq 1 120); do curl -fs "$api/api/v2/monitor/health" >/dev/null && break; sleep 5; done
token=
for _ in $(seq 1 60); do
  answer=$(curl -s -X POST "$api/auth/token" -H 'Content-Type: application/json' \
    -d '{"username": "airflow", "password": "airflow"}' || true)
  token=$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null) && break
  sleep 5
done
[[ -n $token ]] || { step "no token from $api/auth/token: $answer"; "${compose[@]}" logs --tail 40 airflow-apiserver; exit 1; }
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
for _ in $(seq 1 60); do curl -fs "${auth[@]}" "$api/api/v2/dags/filed_tax_season_import" >/dev/null && break; sleep 5; done
curl -fs -X PATCH "${auth[@]}" "$api/api/v2/dags/filed_tax_season_import" -d '{"is_paused": false}' >/dev/null
run=$(curl -fs -X POST "${auth[@]}" "$api/api/v2/dags/filed_tax_season_import/dagRuns" \
  -d '{"logical_date": null, "conf": {"staging_path": "/opt/airflow/staging"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["dag_run_id"])')
step "triggered filed_tax_season_import run $run"
state=queued
for _ in $(seq 1 180); do
  state=$(curl -fs "${auth[@]}" "$api/api/v2/dags/filed_tax_season_import/dagRuns/$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [[ $state == success || $state == failed ]] && break
  sleep 5
done
step "run $run: $state"
curl -fs "${auth[@]}" "$api/api/v2/dags/filed_tax_season_import/dagRuns/$run/taskInstances?limit=100" | python3 -c '
import json, sys
for ti in json.load(sys.stdin)["task_instances"]:
    print("  %-42s %3s %-8s on %s" % (ti["task_id"], ti["map_index"], ti["state"], ti["hostname"]))' || true
curl -fs "http://127.0.0.1:$FILED_EMULATOR_HOST_PORT/_emulator/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("  Filed: works per job", s["works_per_job"], "artifacts per job", s["artifacts_per_job"])' || true
[[ $state == success ]]

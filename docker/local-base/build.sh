#!/usr/bin/env bash
# Build, from Debian's packages and PyPI only, stand-ins for the images docker-compose.yaml pulls:
#   filed-local/debian:bookworm   debootstrap + docker import (no registry)
#   filed-local/airflow:<version> what apache/airflow:<version> provides to docker/Dockerfile and the
#                                 compose file (Python, Airflow[celery,postgres] pinned by constraints/,
#                                 user airflow, /entrypoint, curl)
#   filed-local/postgres:15, filed-local/redis:7
# For machines that reach no image registry. Needs a Docker engine, debootstrap, and root.
# Usage: docker/local-base/build.sh    (ONLY=postgres rebuilds one; then README.md, "Scaling out: docker-compose")
set -euo pipefail
cd "$(dirname "$0")/../.."
here=docker/local-base
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
airflow_version=$(sed -n 's/^apache-airflow==\([^ ;]*\)$/\1/p' constraints/constraints.txt)
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

step() { printf '[local-base] %s\n' "$*"; }

if ! docker image inspect filed-local/debian:bookworm >/dev/null 2>&1; then
  step "debootstrap Debian bookworm from $mirror"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$context/rootfs" "$mirror" >"$context/debootstrap.log" \
    || { tail -20 "$context/debootstrap.log"; exit 1; }
  rm -rf "$context/rootfs/var/cache/apt/archives/"*.deb "$context/rootfs/var/lib/apt/lists/"*
  step "docker import -> filed-local/debian:bookworm"
  tar -C "$context/rootfs" -c . | docker import - filed-local/debian:bookworm >/dev/null
  rm -rf "$context/rootfs"
fi

# pip and apt inside the build use this machine's network and CA bundle (a proxy may sign with its own CA).
cp "$here"/*.Dockerfile "$here"/*-entrypoint "$context"/
cp constraints/constraints.txt "$context"/
cp "${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" "$context/ca-certificates.crt"
for image in airflow postgres redis; do
  [[ -n "${ONLY:-}" && $image != "$ONLY" ]] && continue
  case $image in
    airflow) tag=filed-local/airflow:$airflow_version ;;
    postgres) tag=filed-local/postgres:15 ;;
    redis) tag=filed-local/redis:7 ;;
  esac
  step "docker build $tag"
  docker build --network host --build-arg "AIRFLOW_VERSION=$airflow_version" -t "$tag" \
    -f "$context/$image.Dockerfile" "$context" >"$context/$image.log" 2>&1 \
    || { tail -30 "$context/$image.log"; exit 1; }
done
step "done: AIRFLOW_BASE_IMAGE=filed-local/airflow:$airflow_version POSTGRES_IMAGE=filed-local/postgres:15 REDIS_IMAGE=filed-local/redis:7"

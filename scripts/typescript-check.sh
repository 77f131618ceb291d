#!/usr/bin/env bash
# Compiles the generated TypeScript module (types/call-feedback.ts) with
# `tsc --strict --noEmit`, then again beside the type tests in
# Tests/TypeScript (every `// @ts-expect-error` line must fail to compile,
# or tsc reports the unused directive), and runs the type tests with node.
# Installs Debian's node-typescript when tsc is missing (as root; otherwise
# prints the command to run).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'typescript-check: %s\n' "$*" >&2; }

if ! command -v tsc >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  install="apt-get install -y --no-install-recommends node-typescript"
  if [[ -f /etc/debian_version && $(id -u) -eq 0 ]]; then
    log "installing node-typescript (tsc)"
    export DEBIAN_FRONTEND=noninteractive
    $install >&2 || { apt-get update >&2 && $install >&2; }
  elif [[ -f /etc/debian_version ]]; then
    log "tsc is missing; install it with: sudo apt-get update && sudo $install"
    exit 1
  else
    log "tsc is missing: install TypeScript 4.8 or later (and node)"
    exit 1
  fi
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
log "$(tsc --version)"
tsc --strict --noEmit types/call-feedback.ts
tsc --strict --outDir "$out" --rootDir . types/call-feedback.ts Tests/TypeScript/call-feedback.type-test.ts
node "$out/Tests/TypeScript/call-feedback.type-test.js"

#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, format and Dockerfile lint, build, every test.
# The CNAF schema is read from ../shared/formats/cnaf/vrsb0801.xsd (the shared folder beside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-lint

echo "== swift format lint"
swift format lint --strict --recursive --parallel Package.swift Sources Tests

echo "== hadolint Dockerfile"
hadolint Dockerfile

echo "== build (the CLI is exercised by the end-to-end tests)"
swift build

echo "== tests"
swift test 2>&1 | tee .build/test-output.txt

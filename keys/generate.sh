#!/usr/bin/env bash
# Regenerates the TEST-ONLY keys in this folder with attestera itself.
# NOT FOR PRODUCTION: these private keys are public in the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$here/.."
# Unencrypted on purpose: test-only keys that the tests adopt as files.
cargo run --quiet -- --data-dir "$tmp/data" init --unencrypted-service-keys \
  --org "Testkommunens stadsdelsförvaltning (ENDAST TEST)" \
  --origin "test.attestera.local/log"
cp "$tmp/data/ca.cert.pem" "$here/test-ca.cert.pem"
cp "$tmp/data/ca.key.pem" "$here/test-ca.key.pem"
cp "$tmp/data/log.key.pem" "$here/test-log.key.pem"
cp "$tmp/data/log.vkey" "$here/test-log.vkey"
# An approver key made by OpenSSL (ECDSA P-256, PKCS#8), to test bring-your-own keys.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$here/test-approver-p256.key.pem" 2>/dev/null
chmod 600 "$here"/*.key.pem
echo "Regenerated test keys in $here"

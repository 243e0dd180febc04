#!/usr/bin/env bash
# Approves a registered document over HTTP with nothing but openssl and curl:
# what `attestera --server URL approve` does, step by step, so that anyone can
# see that an approval is just a signed text (docs/formats.md §3) and that
# the approver's own key signs it. Ed25519 keys (what `user add` makes),
# encrypted: openssl asks for the passphrase, or reads it as KEY_PASSIN says
# (openssl's -passin syntax, e.g. file:lösenfras.txt or env:VAR).
#
# usage: ATTESTERA_SERVER=http://127.0.0.1:8080 ATTESTERA_TOKEN=... \
#        [KEY_PASSIN=file:PATH] curl-approve.sh DOCUMENT KEY.pem CERT.pem
set -euo pipefail
file=$1 key=$2 cert=$3
server=${ATTESTERA_SERVER:-http://127.0.0.1:8080}

# 1. The document's id: SHA-256 of its canonical text, as the server computes it.
id=$(curl -sSf -H "Authorization: Bearer $ATTESTERA_TOKEN" --data-binary @"$file" "$server/api/v1/verify" |
  grep -o '"text_sha256":"[0-9a-f]\{64\}"' | head -n 1 | cut -d'"' -f4)

# 2. Name and role exactly as the certificate states them (CN and title).
subject=$(openssl x509 -in "$cert" -noout -subject -nameopt sep_multiline,utf8,-esc_msb,sname)
name=$(printf '%s\n' "$subject" | sed -n 's/^ *CN=//p')
role=$(printf '%s\n' "$subject" | sed -n 's/^ *title=//p')

# 3. The approval statement v1, signed with the approver's key.
statement=$(printf 'attestera-approval-v1\ndocument-text-sha256 %s\nname %s\nrole %s\nsigned-at %s\n' \
  "$id" "$name" "$role" "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%s\n' "$statement" >"$tmp"
signature=$(openssl pkeyutl -sign -rawin -inkey "$key" ${KEY_PASSIN:+-passin "$KEY_PASSIN"} -in "$tmp" | base64 -w0)

# 4. Submit it with the certificate; in JSON strings \ and " are escaped and
#    line breaks written as \n.
json_lines() { awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "%s\\n", $0 }' "$@"; }
curl -sSf -X POST "$server/api/v1/documents/$id/approvals" \
  -H "Authorization: Bearer $ATTESTERA_TOKEN" -H 'Content-Type: application/json' \
  --data-binary @- <<JSON
{"statement": "$(json_lines "$tmp")", "algorithm": "ed25519",
 "signature": "$signature", "certificate": "$(json_lines "$cert")"}
JSON
echo

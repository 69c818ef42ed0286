#!/usr/bin/env bash
# Local-only secrets of the stack, generated once under .stack/secrets (ignored by git). Idempotent:
# an existing key is kept, so tokens signed before a restart still verify.
#   .stack/secrets/jwt_ed25519.pem   tenancy's access-token signing key (Ed25519, PKCS#8 PEM, 0600)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=stack.env
source "$REPO/deploy/local/stack.env"
SECRETS_DIR="$STACK_DIR/secrets"
KEY="$SECRETS_DIR/jwt_ed25519.pem"

mkdir -p "$SECRETS_DIR"
chmod 700 "$SECRETS_DIR"
if [ ! -s "$KEY" ]; then
  # Written under a temporary name and moved: a crash never leaves a half-written key in place.
  tmp="$(mktemp "$SECRETS_DIR/.jwt_ed25519.XXXXXX")"
  (umask 077 && openssl genpkey -algorithm ed25519 -out "$tmp")
  chmod 600 "$tmp"
  mv "$tmp" "$KEY"
  echo "generated $KEY"
fi
chmod 600 "$KEY"

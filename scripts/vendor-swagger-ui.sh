#!/usr/bin/env bash
# Vendor Swagger UI (npm swagger-ui-dist, pinned, its integrity checked) into
# webapp/swagger_ui, so /api/docs loads nothing from a CDN. To update: set VERSION and
# INTEGRITY (`npm view swagger-ui-dist@VERSION dist.integrity`), run this, review, commit.
set -euo pipefail
VERSION=5.35.0
INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
FILES=(LICENSE NOTICE swagger-ui.css swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt
       swagger-ui-standalone-preset.js swagger-ui-standalone-preset.js.LICENSE.txt
       favicon-16x16.png favicon-32x32.png)

cd "$(dirname "$0")/.."
DEST=webapp/swagger_ui
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
TARBALL="$WORK/swagger-ui-dist-$VERSION.tgz"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [[ "$ACTUAL" != "$INTEGRITY" ]]; then
    echo "integrity mismatch: expected $INTEGRITY, got $ACTUAL" >&2
    exit 1
fi
tar -xzf "$TARBALL" -C "$WORK"
rm -rf "$DEST"
mkdir -p "$DEST"
for file in "${FILES[@]}"; do cp "$WORK/package/$file" "$DEST/"; done
printf 'swagger-ui-dist %s\n%s\n' "$VERSION" "$INTEGRITY" > "$DEST/VERSION"
echo "vendored swagger-ui-dist $VERSION into $DEST"

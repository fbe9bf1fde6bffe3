#!/usr/bin/env bash
# Refresh the vendored Det Fælles Designsystem (npm package dkfds) under broen/static/dkfds.
# Usage: scripts/update-dkfds.sh [VERSION]   (default: the version in broen/static/dkfds/VERSION)
# Copies only what pages use: the borger.dk theme CSS, the JS, the WOFF/WOFF2 fonts and the images.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/broen/static/dkfds"
version=${1:-$(cat "$dest/VERSION" 2>/dev/null || echo latest)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "dkfds@$version" >/dev/null && tar xzf dkfds-*.tgz)
src="$work/package/dist"
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/fonts/IBMPlexSans/complete" "$dest/img"
cp "$src/css/dkfds-borgerdk.min.css" "$dest/css/"
cp "$src/js/dkfds.min.js" "$dest/js/"
cp -r "$src/fonts/IBMPlexSans/complete/woff" "$src/fonts/IBMPlexSans/complete/woff2" \
  "$dest/fonts/IBMPlexSans/complete/"
cp "$src/img/all-svg-icons.svg" "$src/img/logo-borgerdk.svg" "$src/img/logo-placeholder.png" "$dest/img/"
cp -r "$src/img/svg-icons" "$dest/img/"  # the CSS draws selects, checkboxes, alerts... with these
cp "$src/LICENSE.md" "$dest/"
node -e 'console.log(require(process.argv[1]).version)' "$work/package/package.json" > "$dest/VERSION"
echo "dkfds $(cat "$dest/VERSION") vendored into broen/static/dkfds"

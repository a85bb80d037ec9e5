#!/bin/sh
# congo_install.sh: installs the CongoDB test peer (tests/peers/congo_peer.mjs)
# into tests/peers/congo/ (git-ignored apart from package.json and its lock
# file), only when it is missing. @push.rocks/smartmongo 2.2.0's own
# dependency list does not resolve from the npm registry, so the package is
# unpacked from `npm pack` and the few modules its congodb part imports are
# installed from the committed lock file (npm ci).
set -e
dir=$(cd "$(dirname "$0")" && pwd)/congo
ver=2.2.0
stamp=$dir/smartmongo/.installed-$ver
[ -f "$stamp" ] && [ -d "$dir/node_modules/mingo" ] && exit 0
command -v npm >/dev/null || { echo "congo_install: npm is missing (Debian package npm)" >&2; exit 1; }
cd "$dir"
echo "curate: installing the CongoDB test peer (npm)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@push.rocks/smartmongo@$ver" >/dev/null)
rm -rf smartmongo
mkdir smartmongo
tar xzf "$tmp"/push.rocks-smartmongo-$ver.tgz -C smartmongo --strip-components=1
touch "$stamp"

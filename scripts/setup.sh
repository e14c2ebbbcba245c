#!/usr/bin/env bash
# Install what eyni needs on Debian 12 (idempotent: present packages are skipped),
# then fetch the pinned model artefacts. Run as root or with sudo available.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

pkgs=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev git curl ca-certificates openssl
  libjansson-dev libmicrohttpd-dev libsqlite3-dev sqlite3 libssl-dev libcurl4-openssl-dev
  libpng-dev libjpeg62-turbo-dev libtiff-dev libopenjp2-7-dev
  libsndfile1-dev libfftw3-dev libopenblas-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
  libfaiss-dev libcmocka-dev libpq-dev postgresql
  chromium
)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm may come from outside Debian (e.g. a Node.js install); only ask apt when absent.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || { echo "setup: apt-get update failed" >&2; exit 1; }
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "setup: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
fi

"$here/fetch-artifacts.sh"

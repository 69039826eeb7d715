#!/usr/bin/env bash
# Installs what the project needs from Debian, only when it is missing:
# PostgreSQL (server and client), libpq-dev, libxml2-dev, libarchive-dev and pkg-config.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists libpq || missing+=(libpq-dev)
    pkg-config --exists libxml-2.0 || missing+=(libxml2-dev)
    pkg-config --exists libarchive || missing+=(libarchive-dev)
else
    missing+=(libpq-dev libxml2-dev libarchive-dev)
fi
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)

if ((${#missing[@]} > 0)); then
    echo "Installing missing packages: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "error: run as root or install sudo to install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null 2>&1 || {
    echo "error: the Swift toolchain (swift 6) is not on PATH; install it from swift.org first" >&2
    exit 1
}

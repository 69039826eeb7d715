#!/usr/bin/env bash
# scripts/install.sh PREFIX BIN_DIR: installs the crm-pipeline binary of BIN_DIR (a `swift build --show-bin-path`
# folder) with the migrations it reads at run time (SwiftPM puts them beside the binary) into PREFIX/lib/crm-pipeline,
# and links PREFIX/bin/crm-pipeline to it. `make install` builds a release first (PREFIX=/usr/local by default).
set -euo pipefail
prefix=${1:?usage: install.sh PREFIX BIN_DIR}
bin_dir=${2:?usage: install.sh PREFIX BIN_DIR}
for built in "$bin_dir/crm-pipeline" "$bin_dir/crm-pipeline_Migrate.resources"; do
    [ -e "$built" ] || { echo "install.sh: $built is missing: build crm-pipeline first" >&2; exit 66; }
done
lib="$prefix/lib/crm-pipeline"
mkdir -p "$lib" "$prefix/bin"
install -m 755 "$bin_dir/crm-pipeline" "$lib/crm-pipeline"
rm -rf "$lib/crm-pipeline_Migrate.resources"
cp -R "$bin_dir/crm-pipeline_Migrate.resources" "$lib/"
ln -sfn ../lib/crm-pipeline/crm-pipeline "$prefix/bin/crm-pipeline"
echo "installed $prefix/bin/crm-pipeline ($("$prefix/bin/crm-pipeline" --version))"

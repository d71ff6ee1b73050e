#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian 12, skipping what is there.
set -euo pipefail

packages=(
    g++ cmake ninja-build ccache pkg-config make
    qt6-base-dev qt6-base-dev-tools
    # The QML module, its tests (Qt Quick Test, offscreen) and qmllint
    qt6-declarative-dev qt6-declarative-dev-tools
    qml6-module-qtquick qml6-module-qttest qml6-module-qtquick-window
    qml6-module-qtqml qml6-module-qtqml-workerscript qml6-module-qtqml-models
    # The QML examples of the reference (QtQuick.Controls), linted by docs/snippets
    qml6-module-qtquick-controls qml6-module-qtquick-templates
    # The TLS tests make their certificates at test time
    openssl
    # The reference: QDoc, qhelpgenerator (.qch), Qt Help (the test that opens the .qch);
    # the Debian packages: dpkg-shlibdeps (dpkg-dev)
    qt6-documentation-tools qt6-tools-dev-tools qt6-tools-dev dpkg-dev
    # The check that every public declaration has its entry in the reference
    python3 clang
)
# Socket activation tests run the server under systemd's own tool
command -v systemd-socket-activate >/dev/null || packages+=(systemd)
# Node from elsewhere (nvm, NodeSource) serves as well as Debian's.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
fi

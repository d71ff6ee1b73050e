#!/usr/bin/env bash
# tests/packages/test-packages.sh DIR: what a new user does with the Debian packages in DIR.
# Installs them with `apt-get install ./*.deb` (so their dependencies must be right), then,
# with nothing from the source tree but the consumers' own sources (copied elsewhere) and
# no search paths set:
#   - builds and runs the CMake consumer (find_package(SocketIpc 0.1 COMPONENTS Qml)),
#   - the qmake consumers (QT += socketipc, C++ and QML), and the pkg-config one,
#   - runs the QML consumer, whose `import SocketIpc` must come from Qt's own QML directory,
#   - runs the installed socketipc tool,
#   - opens the installed socketipc.qch with Qt's help engine where Qt Creator finds it.
# Removes the packages again at the end. Needs root (or sudo). Refuses to run when a
# SocketIpc package is installed already, so as not to remove what a user installed.
set -euo pipefail
debs=$(cd "${1:?usage: test-packages.sh DIR-WITH-DEBS}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages=(libsocketipc0 libsocketipc-dev qml6-module-socketipc socketipc socketipc-doc)
sudo=()
((EUID == 0)) || sudo=(sudo)

for package in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        echo "$package is installed already: remove it first (this test removes what it installs)" >&2
        exit 1
    fi
done

work=$(mktemp -d -t socketipc-packages.XXXXXX)
cleanup() {
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get purge -y -qq "${packages[@]}" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "=== apt-get install: $(cd "$debs" && echo *.deb)"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "$debs"/*.deb >/dev/null
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
qt_qml=$(qmake6 -query QT_INSTALL_QML)
qt_docs=$(qmake6 -query QT_INSTALL_DOCS)
for file in /usr/lib/"$multiarch"/libSocketIpc.so /usr/include/SocketIpc/IpcServer \
        /usr/lib/"$multiarch"/cmake/SocketIpc/SocketIpcConfig.cmake \
        "$(qmake6 -query QT_HOST_DATA)"/mkspecs/modules/qt_lib_socketipc.pri \
        /usr/lib/"$multiarch"/pkgconfig/SocketIpc.pc "$qt_qml"/SocketIpc/qmldir \
        /usr/bin/socketipc "$qt_docs"/socketipc.qch "$qt_docs"/socketipc/index.html; do
    [[ -e $file ]] || { echo "not installed: $file" >&2; exit 1; }
done

# The consumers' sources, away from the tree (their CMakeLists.txt sees no SocketIpc source).
cp -r "$here/../install/consumer" "$work/src"
cp -r "$here/../docs/qchcheck" "$work/qchcheck"
: > "$work/.qmake.cache"  # qmake's stash goes here, not into a directory above
cd "$work"
unset QML_IMPORT_PATH QML2_IMPORT_PATH QMAKEPATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH

echo "=== CMake: find_package(SocketIpc 0.1 REQUIRED COMPONENTS Qml)"
cmake -S src -B cmake -G Ninja -DEXPECTED_QML_IMPORT_PATH="$qt_qml" >/dev/null
cmake --build cmake >/dev/null
cmake/consumer "$work/cmake.sock" /usr
cmake/qmlconsumer "$work/cmake-qml.sock" "$qt_qml"

echo "=== qmake: QT += socketipc"
mkdir qmake qmake-qml
(cd qmake && qmake6 ../src/consumer.pro >/dev/null && make -s >/dev/null)
qmake/consumer "$work/qmake.sock" /usr
(cd qmake-qml && qmake6 ../src/qmlconsumer.pro >/dev/null && make -s >/dev/null)
qmake-qml/qmlconsumer "$work/qmake-qml.sock" "$qt_qml"

echo "=== pkg-config --cflags --libs SocketIpc"
# shellcheck disable=SC2046  # the flags are words
g++ -std=c++17 src/main.cpp -o pkgconfig-consumer $(pkg-config --cflags --libs SocketIpc)
./pkgconfig-consumer "$work/pkgconfig.sock" /usr

echo "=== socketipc --version"
version=$(socketipc --version)
echo "$version"
[[ $version == *"$(dpkg-query -W -f='${Version}' socketipc | cut -d- -f1)"* ]]

echo "=== the reference in Qt's documentation directory, as Qt Creator's help opens it"
cmake -S qchcheck -B qchcheck-build -G Ninja >/dev/null
cmake --build qchcheck-build >/dev/null
qchcheck-build/qchcheck "$qt_docs"/socketipc.qch

echo "=== packages: all consumers built and ran against /usr"

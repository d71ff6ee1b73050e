# cmake -P install_pkgconfig.cmake with BUILD_DIR, WORK_DIR, CONSUMER_SOURCE_DIR, PKG_CONFIG,
# CXX_COMPILER and SANITIZE set. Installs into a prefix, then compiles the consumer with what
# `pkg-config --cflags --libs SocketIpc` says, and runs it.
include("${CMAKE_CURRENT_LIST_DIR}/install_common.cmake")
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
socketipc_install("${prefix}")

execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${prefix}/lib/pkgconfig"
        "${PKG_CONFIG}" --cflags --libs SocketIpc
    OUTPUT_VARIABLE pkg_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs SocketIpc failed (${result})")
endif()
message("pkg-config --cflags --libs SocketIpc: ${pkg_flags}")
separate_arguments(pkg_flags UNIX_COMMAND "${pkg_flags}")
set(flags "")
if(SANITIZE)
    set(flags "-fsanitize=${SANITIZE}")
endif()
run("${CXX_COMPILER}" -std=c++17 ${flags} "${CONSUMER_SOURCE_DIR}/main.cpp"
    -o "${WORK_DIR}/consumer" ${pkg_flags} "-Wl,-rpath,${prefix}/lib")
run("${WORK_DIR}/consumer" "${WORK_DIR}/consumer.sock" "${prefix}")

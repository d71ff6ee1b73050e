# cmake -P install_quickstart.cmake with BUILD_DIR, WORK_DIR, QUICKSTART_SOURCE_DIR, GENERATOR,
# CXX_COMPILER and SANITIZE set. Does what Getting Started tells a new user to do:
# installs the library into a prefix, builds examples/quickstart against it (here with
# warnings as errors), then runs its server and its client.
include("${CMAKE_CURRENT_LIST_DIR}/install_common.cmake")
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
socketipc_install("${prefix}")

set(cxx_flags "-Wall -Wextra -Werror")
set(linker_flags "")
if(SANITIZE)
    string(APPEND cxx_flags " -fsanitize=${SANITIZE}")
    set(linker_flags "-fsanitize=${SANITIZE}")
endif()
run("${CMAKE_COMMAND}" -S "${QUICKSTART_SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${cxx_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${linker_flags}")
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")

# Both programs without arguments, so at their default socket path in $XDG_RUNTIME_DIR: a
# private directory here (mode 0700, as Qt wants it), short enough for sun_path. The server
# runs in the background until the client is done; the client waits for it if it is early.
execute_process(COMMAND mktemp -d -t socketipc-quickstart.XXXXXX
    OUTPUT_VARIABLE runtime_dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "mktemp failed (${result})")
endif()
set(script [[
"$1" & server=$!
timeout 30 "$2"; status=$?
kill "$server"; wait "$server" 2>/dev/null
exit "$status"
]])
execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "XDG_RUNTIME_DIR=${runtime_dir}"
        sh -c "${script}" sh "${WORK_DIR}/build/server" "${WORK_DIR}/build/client"
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output TIMEOUT 60)
file(REMOVE_RECURSE "${runtime_dir}")
message("${output}")
if(NOT result EQUAL 0)
    message(FATAL_ERROR "the quick start's client exited with ${result}")
endif()
# The server's broadcast when the client joined, then its answer to the client's hello.
foreach(expected "received joined [-0-9a-f]+\n" "received welcome Hello, Ada!\n")
    if(NOT output MATCHES "${expected}")
        message(FATAL_ERROR "the client did not print \"${expected}\"")
    endif()
endforeach()

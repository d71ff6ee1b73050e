# Shared by the install tests (cmake -P scripts); BUILD_DIR is the build tree to install.

# run(COMMAND...): runs a command and stops the script if it fails.
function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        string(JOIN " " command ${ARGN})
        message(FATAL_ERROR "failed (${result}): ${command}")
    endif()
endfunction()

# socketipc_install(PREFIX): installs BUILD_DIR into PREFIX and checks that the headers and
# the CMake package are there.
function(socketipc_install prefix)
    run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
    foreach(installed
            include/SocketIpc/IpcServer include/SocketIpc/IpcClient include/SocketIpc/ipcserver.h
            lib/cmake/SocketIpc/SocketIpcConfig.cmake
            lib/cmake/SocketIpc/SocketIpcConfigVersion.cmake)
        if(NOT EXISTS "${prefix}/${installed}")
            # Debian's GNUInstallDirs may use a multiarch libdir.
            file(GLOB alternative "${prefix}/lib/*/cmake/SocketIpc/SocketIpcConfig.cmake")
            if(NOT installed MATCHES "^lib/" OR NOT alternative)
                message(FATAL_ERROR "not installed: ${installed}")
            endif()
        endif()
    endforeach()
endfunction()

# cmake -P install_consumer.cmake with BUILD_DIR, WORK_DIR, CONSUMER_SOURCE_DIR, GENERATOR,
# CXX_COMPILER and SANITIZE set.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        string(JOIN " " command ${ARGN})
        message(FATAL_ERROR "failed (${result}): ${command}")
    endif()
endfunction()

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(installed
        include/SocketIpc/IpcServer include/SocketIpc/IpcClient include/SocketIpc/ipcserver.h
        lib/cmake/SocketIpc/SocketIpcConfig.cmake lib/cmake/SocketIpc/SocketIpcConfigVersion.cmake)
    if(NOT EXISTS "${prefix}/${installed}")
        # Debian's GNUInstallDirs may use a multiarch libdir.
        file(GLOB alternative "${prefix}/lib/*/cmake/SocketIpc/SocketIpcConfig.cmake")
        if(NOT installed MATCHES "^lib/" OR NOT alternative)
            message(FATAL_ERROR "not installed: ${installed}")
        endif()
    endif()
endforeach()

set(flags "")
if(SANITIZE)
    set(flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
run("${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" ${flags})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
# The consumer links the installed library, not the build tree's.
run("${WORK_DIR}/build/consumer" "${WORK_DIR}/consumer.sock" "${prefix}")
# The installed QML module, found through QML_IMPORT_PATH.
if(QML)
    foreach(installed lib/qml/SocketIpc/qmldir lib/qml/SocketIpc/SocketIpcQml.qmltypes)
        if(NOT EXISTS "${prefix}/${installed}")
            message(FATAL_ERROR "not installed: ${installed}")
        endif()
    endforeach()
    run("${CMAKE_COMMAND}" -E env "QML_IMPORT_PATH=${prefix}/lib/qml"
        "${WORK_DIR}/build/qmlconsumer" "${WORK_DIR}/qmlconsumer.sock" "${prefix}")
endif()

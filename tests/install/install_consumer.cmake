# cmake -P install_consumer.cmake with BUILD_DIR, WORK_DIR, CONSUMER_SOURCE_DIR, GENERATOR,
# CXX_COMPILER, SANITIZE, QML and VERSION set.
include("${CMAKE_CURRENT_LIST_DIR}/install_common.cmake")
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
socketipc_install("${prefix}")

set(flags "")
if(SANITIZE)
    set(flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
run("${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DEXPECTED_VERSION=${VERSION}" "-DEXPECTED_QML_IMPORT_PATH=${prefix}/lib/qml" ${flags})
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
        "${WORK_DIR}/build/qmlconsumer" "${WORK_DIR}/qmlconsumer.sock" "${prefix}/lib/qml")
endif()

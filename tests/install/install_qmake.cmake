# cmake -P install_qmake.cmake with BUILD_DIR, WORK_DIR, CONSUMER_SOURCE_DIR, QMAKE, MAKE,
# SANITIZE and QML set. Installs into a prefix, then builds and runs the consumer with qmake
# (`QT += socketipc`) twice, once for each way the reference gives to point qmake at a
# prefix outside Qt's: the QMAKEPATH environment variable, and `qmake -set QMAKEMODULES`
# (in a private settings directory, so the user's own qmake settings are not touched).
include("${CMAKE_CURRENT_LIST_DIR}/install_common.cmake")
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
socketipc_install("${prefix}")
if(NOT EXISTS "${prefix}/mkspecs/modules/qt_lib_socketipc.pri")
    message(FATAL_ERROR "not installed: mkspecs/modules/qt_lib_socketipc.pri")
endif()

# qmake keeps a .qmake.stash at the top of the build tree it finds: here, not in the
# project's build directory above.
file(WRITE "${WORK_DIR}/.qmake.cache" "")

set(flags "")
if(SANITIZE)
    set(flags "QMAKE_CXXFLAGS+=-fsanitize=${SANITIZE}" "QMAKE_LFLAGS+=-fsanitize=${SANITIZE}")
endif()

# qmake_build(NAME PROJECT ENV...): qmake and make in WORK_DIR/NAME with the environment ENV.
function(qmake_build name project)
    set(dir "${WORK_DIR}/${name}")
    file(MAKE_DIRECTORY "${dir}")
    execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${ARGN}
            "${QMAKE}" "${CONSUMER_SOURCE_DIR}/${project}" ${flags}
        WORKING_DIRECTORY "${dir}" RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "qmake ${project} failed (${result})")
    endif()
    execute_process(COMMAND "${MAKE}" WORKING_DIRECTORY "${dir}" RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "make failed for ${project} (${result})")
    endif()
endfunction()

# 1. QMAKEPATH=<prefix>: qmake looks in <prefix>/mkspecs/modules.
qmake_build(env consumer.pro "QMAKEPATH=${prefix}")
run("${WORK_DIR}/env/consumer" "${WORK_DIR}/env.sock" "${prefix}")

# 2. qmake -set QMAKEMODULES <prefix>/mkspecs/modules: remembered in qmake's settings.
set(settings "XDG_CONFIG_HOME=${WORK_DIR}/settings")
run("${CMAKE_COMMAND}" -E env "${settings}"
    "${QMAKE}" -set QMAKEMODULES "${prefix}/mkspecs/modules")
set(project consumer.pro)
if(QML)
    set(project qmlconsumer.pro)
endif()
qmake_build(set "${project}" "${settings}")
if(QML)
    run("${CMAKE_COMMAND}" -E env "QML_IMPORT_PATH=${prefix}/lib/qml"
        "${WORK_DIR}/set/qmlconsumer" "${WORK_DIR}/set.sock" "${prefix}/lib/qml")
else()
    run("${WORK_DIR}/set/consumer" "${WORK_DIR}/set.sock" "${prefix}")
endif()

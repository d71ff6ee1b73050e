# cmake -P build_docs.cmake: runs QDoc and qhelpgenerator for the `docs` target. Variables:
#   QDOC, QHELPGENERATOR   the tools (QHELPGENERATOR may be empty: HTML only)
#   SOURCE_DIR             the source tree's root
#   OUTPUT_DIR             gets html/ and socketipc.qch
#   HEADERS_CONF           the generated headers.qdocconf (the public headers)
#   CLASSES                the public classes (|-separated): each must have its page
#   INCLUDE_DIRS           include directories for QDoc's clang (|-separated)
#   HEADERS_DIR            the build tree's include directory (SocketIpc/SocketIpc in it)
#   VERSION                the project version
#   QT_INSTALL_DOCS, QT_VERSION
#   PYTHON, CLANG, METATYPES for check_documented.py (skipped when PYTHON or CLANG is empty)
# Fails on any QDoc warning (the configuration's warning limit is 0), when a public class has
# no page, and when a public member is not documented: QDoc 6.4 leaves an undocumented member
# out without a word, so check_documented.py compares the headers with QDoc's index.
cmake_minimum_required(VERSION 3.21)

set(html "${OUTPUT_DIR}/html")
file(REMOVE_RECURSE "${html}")  # QDoc refuses to write into a non-empty directory
get_filename_component(headers_dir "${HEADERS_CONF}" DIRECTORY)
string(REPLACE "." "" version_tag "${VERSION}")
string(REGEX REPLACE "^([0-9]+\\.[0-9]+).*" "\\1" qt_ver "${QT_VERSION}")
string(REPLACE "." "" qt_version_tag "${QT_VERSION}")
string(REPLACE "|" ";" INCLUDE_DIRS "${INCLUDE_DIRS}")
string(REPLACE "|" ";" CLASSES "${CLASSES}")
set(include_args "")
foreach(dir IN LISTS INCLUDE_DIRS)
    list(APPEND include_args "-I${dir}")
endforeach()

execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env
        "QT_INSTALL_DOCS=${QT_INSTALL_DOCS}" "QT_VERSION=${QT_VERSION}" "QT_VER=${qt_ver}"
        "QT_VERSION_TAG=${qt_version_tag}" "SOCKETIPC_VERSION=${VERSION}"
        "SOCKETIPC_VERSION_TAG=${version_tag}" "SOCKETIPC_SOURCE_DIR=${SOURCE_DIR}"
        "SOCKETIPC_DOCS_BUILD_DIR=${headers_dir}"
        "${QDOC}" "${SOURCE_DIR}/docs/socketipc.qdocconf" --outputdir "${html}" ${include_args}
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
# QDoc's own progress lines (qt.qdoc: ...) say nothing a reader needs.
string(REGEX REPLACE "qt\\.qdoc: [^\n]*\n" "" output "${output}")
if(output)
    message("${output}")
endif()
if(NOT result EQUAL 0 OR output MATCHES "(warning|error):")
    message(FATAL_ERROR "QDoc reported problems (above): the reference must build without warnings")
endif()

foreach(class IN LISTS CLASSES)
    string(TOLOWER "${class}" page)
    if(NOT EXISTS "${html}/${page}.html")
        message(FATAL_ERROR "${class} has no reference page: document it with \\class or \\namespace")
    endif()
endforeach()

if(PYTHON AND CLANG)
    execute_process(COMMAND "${PYTHON}" "${SOURCE_DIR}/docs/check_documented.py"
            "${html}/socketipc.index" "${METATYPES}" "${CLANG}"
            "${HEADERS_DIR}/SocketIpc/SocketIpc" "${SOURCE_DIR}" ${include_args}
        RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "public API without documentation (above)")
    endif()
endif()

if(QHELPGENERATOR)
    execute_process(COMMAND "${QHELPGENERATOR}" "${html}/socketipc.qhp" -o "${OUTPUT_DIR}/socketipc.qch"
        RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    if(NOT result EQUAL 0 OR output MATCHES "[Ww]arning|[Ee]rror")
        message(FATAL_ERROR "qhelpgenerator failed (${result}):\n${output}")
    endif()
endif()

# cmake -P lint_qml.cmake with README, QMLLINT, IMPORT_DIR (the built SocketIpc module's
# parent), QT_QML_DIR (Qt's own modules) and WORK_DIR set: qmllint on every ```qml block of
# README. A block that starts with `import` is a whole file; any other is a fragment, linted
# inside an Item with QtQuick and SocketIpc imported. `<!-- snippet: skip -->` leaves a block
# out. A block importing a Qt module that is not installed is not linted, and the test is
# reported as skipped.
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/readme_blocks.cmake")
readme_blocks("${README}" block)

file(REMOVE_RECURSE "${WORK_DIR}")
set(failures "")
set(skipped "")
set(linted 0)
if(block_count GREATER 0)
    foreach(i RANGE 1 ${block_count})
        if(NOT block_${i}_language STREQUAL "qml" OR block_${i}_marker STREQUAL "skip")
            continue()
        endif()
        set(line ${block_${i}_line})
        set(text "${block_${i}_text}")
        # Blank lines first, so that qmllint's line numbers are the README's.
        if(text MATCHES "^[ \n]*import ")
            math(EXPR blank "${line} - 1")
            string(REPEAT "\n" ${blank} qml)
        else()
            math(EXPR blank "${line} - 4")
            string(REPEAT "\n" ${blank} qml)
            set(qml "import QtQuick\nimport SocketIpc\nItem {\n${qml}")
        endif()
        string(APPEND qml "${text}")
        if(NOT text MATCHES "^[ \n]*import ")
            string(APPEND qml "}\n")
        endif()

        set(missing "")
        string(REGEX MATCHALL "(^|\n) *import +[A-Za-z][A-Za-z0-9.]*" imports "${qml}")
        foreach(import IN LISTS imports)
            string(REGEX REPLACE "^[\n ]*import +" "" module "${import}")
            string(REPLACE "." "/" module_dir "${module}")
            if(NOT EXISTS "${IMPORT_DIR}/${module_dir}/qmldir"
               AND NOT EXISTS "${QT_QML_DIR}/${module_dir}/qmldir")
                list(APPEND missing "${module}")
            endif()
        endforeach()
        if(missing)
            string(JOIN ", " missing ${missing})
            string(APPEND skipped "README.md:${line}: not linted: ${missing} not installed\n")
            continue()
        endif()

        set(file "${WORK_DIR}/readme_line_${line}.qml")
        file(WRITE "${file}" "${qml}")
        execute_process(COMMAND "${QMLLINT}" -I "${IMPORT_DIR}" "${file}"
            RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
        math(EXPR linted "${linted} + 1")
        if(NOT result EQUAL 0 OR output MATCHES "Warning|Error")
            string(APPEND failures
                   "README.md:${line} (as ${file}, with the README's line numbers):\n${output}\n")
        endif()
    endforeach()
endif()

if(failures)
    message("${failures}")
    message(FATAL_ERROR "qmllint failed on QML blocks of README.md")
endif()
message("qmllint passed on ${linted} QML blocks of README.md")
if(skipped)
    message("${skipped}")
endif()

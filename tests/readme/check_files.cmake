# cmake -P check_files.cmake with README, SOURCE_DIR, FILES_DIR and WORK_DIR set: every code
# block of README marked `<!-- snippet: file PATH -->` must be SOURCE_DIR/PATH byte for byte,
# and every file under SOURCE_DIR/FILES_DIR (but its README.md) must be shown by such a block,
# so that what a reader copies from the README is what the tests build and run.
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/readme_blocks.cmake")
readme_blocks("${README}" block)

file(REMOVE_RECURSE "${WORK_DIR}")
set(failures "")
set(shown "")
if(block_count GREATER 0)
    foreach(i RANGE 1 ${block_count})
        if(NOT block_${i}_marker MATCHES "^file +(.+)$")
            continue()
        endif()
        set(path "${CMAKE_MATCH_1}")
        set(where "README.md:${block_${i}_line}")
        list(APPEND shown "${path}")
        if(NOT EXISTS "${SOURCE_DIR}/${path}")
            string(APPEND failures "${where}: shows ${path}, which does not exist\n")
            continue()
        endif()
        file(READ "${SOURCE_DIR}/${path}" content)
        if(NOT content STREQUAL block_${i}_text)
            # Say where they differ, with diff when there is one.
            set(copy "${WORK_DIR}/${path}")
            file(WRITE "${copy}" "${block_${i}_text}")
            execute_process(COMMAND diff -u --label "${path}" --label "${where}"
                "${SOURCE_DIR}/${path}" "${copy}" OUTPUT_VARIABLE difference ERROR_QUIET)
            string(APPEND failures
                   "${where}: the block differs from ${path}; make them the same:\n${difference}\n")
        endif()
    endforeach()
endif()

file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${FILES_DIR}/*")
foreach(path IN LISTS files)
    if(NOT path STREQUAL "${FILES_DIR}/README.md" AND NOT path IN_LIST shown)
        string(APPEND failures "README.md shows no block marked <!-- snippet: file ${path} -->\n")
    endif()
endforeach()

if(failures)
    message("${failures}")
    message(FATAL_ERROR "README.md and the files it shows differ")
endif()
list(LENGTH shown count)
message("README.md shows ${count} files as they are: ${shown}")

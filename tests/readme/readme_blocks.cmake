# readme_blocks(MARKDOWN_FILE PREFIX): the fenced code blocks of a Markdown file, for the
# README tests (at configure time and in cmake -P scripts). Sets in the caller's scope
#   PREFIX_count                 how many blocks there are
#   PREFIX_<i>_language          for i in 1..count: the word after the opening ``` (may be empty)
#   PREFIX_<i>_line              the line number of the block's first line of content
#   PREFIX_<i>_text              its content, every line ending in a newline
#   PREFIX_<i>_marker            WHAT of an HTML comment `<!-- snippet: WHAT -->` right before
#                                the block (blank lines allowed between), else empty
# Fences are ``` at the start of a line; the content is never put in a CMake list, so it may
# hold semicolons and brackets.
function(readme_blocks markdown prefix)
    file(READ "${markdown}" text)
    # Invariant: rest starts with the newline that ends line `line - 1`.
    set(rest "\n${text}")
    set(line 1)
    set(count 0)
    while(TRUE)
        string(FIND "${rest}" "\n```" open)
        if(open EQUAL -1)
            break()
        endif()
        string(SUBSTRING "${rest}" 0 ${open} before)
        _readme_count_newlines("${before}" newlines)
        math(EXPR fence_line "${line} + ${newlines}")

        math(EXPR open "${open} + 4")
        string(SUBSTRING "${rest}" ${open} -1 rest)
        string(FIND "${rest}" "\n" eol)
        if(eol EQUAL -1)
            message(FATAL_ERROR "${markdown}:${fence_line}: a code block that never ends")
        endif()
        string(SUBSTRING "${rest}" 0 ${eol} language)
        string(STRIP "${language}" language)
        math(EXPR eol "${eol} + 1")
        string(SUBSTRING "${rest}" ${eol} -1 rest)

        # The closing fence: a line that is ``` alone.
        if(rest MATCHES "^```\n")
            set(body "")
            set(after 3)
        else()
            string(FIND "${rest}" "\n```\n" close)
            if(close EQUAL -1)
                message(FATAL_ERROR "${markdown}:${fence_line}: a code block that never ends")
            endif()
            math(EXPR length "${close} + 1")
            string(SUBSTRING "${rest}" 0 ${length} body)
            math(EXPR after "${close} + 4")
        endif()
        string(SUBSTRING "${rest}" ${after} -1 rest)
        _readme_count_newlines("${body}" newlines)
        math(EXPR line "${fence_line} + ${newlines} + 2")

        set(marker "")
        if(before MATCHES "<!-- *snippet: *([^\n]*[^ \n]) *-->[ \n]*$")
            set(marker "${CMAKE_MATCH_1}")
        endif()
        math(EXPR count "${count} + 1")
        math(EXPR content_line "${fence_line} + 1")
        set(${prefix}_${count}_language "${language}" PARENT_SCOPE)
        set(${prefix}_${count}_line "${content_line}" PARENT_SCOPE)
        set(${prefix}_${count}_text "${body}" PARENT_SCOPE)
        set(${prefix}_${count}_marker "${marker}" PARENT_SCOPE)
    endwhile()
    set(${prefix}_count ${count} PARENT_SCOPE)
endfunction()

function(_readme_count_newlines text out)
    string(LENGTH "${text}" all)
    string(REPLACE "\n" "" text "${text}")
    string(LENGTH "${text}" without)
    math(EXPR newlines "${all} - ${without}")
    set(${out} ${newlines} PARENT_SCOPE)
endfunction()

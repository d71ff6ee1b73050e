# The frame codec, one concern per file: the library's, and compiled into the command-line
# tool, the codec tests and the fuzzers as well (the library hides these symbols).
set(SOCKETIPC_CODEC_SOURCES
    "${CMAKE_CURRENT_LIST_DIR}/ipcframe_p.h"         # the wire format's functions
    "${CMAKE_CURRENT_LIST_DIR}/ipcasciiscan_p.h"     # fast paths over plain ASCII
    "${CMAKE_CURRENT_LIST_DIR}/ipcjsonwriter.cpp"    # QVariant -> JSON text
    "${CMAKE_CURRENT_LIST_DIR}/ipcjsonreader.cpp"    # JSON text -> QVariant
    "${CMAKE_CURRENT_LIST_DIR}/ipcframing.cpp"       # stream decoder, frame encoder
    "${CMAKE_CURRENT_LIST_DIR}/ipcunencodable_p.h")

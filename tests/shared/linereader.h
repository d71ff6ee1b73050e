#ifndef LINEREADER_H
#define LINEREADER_H

// The one reader of JSON lines for every process the tests talk to: the peers write one JSON
// document per line on stdout (ipctestpeer, the Node peers, the socketipc tool, the stress
// client, the QML tests' PeerProcess) and read one per line on stdin.

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearraylist.h>

namespace IpcTest {

class LineReader
{
public:
    // Takes the bytes that came; returns the lines they complete, without their '\n'. The
    // rest waits for its newline.
    QByteArrayList feed(QByteArrayView bytes);
    // What came after the last newline.
    QByteArray partialLine() const { return m_partial; }

private:
    QByteArray m_partial;
};

}  // namespace IpcTest

#endif  // LINEREADER_H

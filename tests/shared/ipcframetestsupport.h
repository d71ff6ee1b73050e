#ifndef IPCFRAMETESTSUPPORT_H
#define IPCFRAMETESTSUPPORT_H

// For the tests that compile the private framing in (tst_ipcframe, tst_ipccodec): the
// Decoder's status by name in QCOMPARE's messages, and draining a decoder.

#include "ipcframe_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>

namespace IpcFrame {
// Found by argument-dependent lookup, so that QCOMPARE prints a Status by name.
inline char *toString(Decoder::Status status)
{
    switch (status) {
    case Decoder::Status::NeedMore: return qstrdup("NeedMore");
    case Decoder::Status::Frame: return qstrdup("Frame");
    case Decoder::Status::TooLarge: return qstrdup("TooLarge");
    }
    return qstrdup("?");
}
}  // namespace IpcFrame

namespace IpcTest {
// Hands out every whole frame the decoder holds; returns the status that stopped it.
inline IpcFrame::Decoder::Status drain(IpcFrame::Decoder &decoder, QList<QByteArray> &frames)
{
    QByteArrayView contents;
    IpcFrame::Decoder::Status status;
    while ((status = decoder.next(&contents)) == IpcFrame::Decoder::Status::Frame)
        frames.append(contents.toByteArray());
    return status;
}
}  // namespace IpcTest

#endif  // IPCFRAMETESTSUPPORT_H

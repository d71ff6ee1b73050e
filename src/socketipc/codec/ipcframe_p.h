#ifndef IPCFRAME_P_H
#define IPCFRAME_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipccodec.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

// The wire format, as pure functions: a frame is the UTF-8 JSON text of
// {"topic": string, "message": any JSON value} followed by two NUL bytes. The JSON writer is
// ipcjsonwriter.cpp, the reader ipcjsonreader.cpp, the framing (Decoder, encodeFrame)
// ipcframing.cpp.
namespace IpcFrame {

// Deep enough for any real message, shallow enough that recursion cannot exhaust the stack.
inline constexpr int MaxDepth = 512;

inline constexpr char Delimiter[] = {'\0', '\0'};
inline constexpr qsizetype DelimiterSize = 2;
inline constexpr qsizetype LengthPrefixSize = 4;

// The JSON codec's contents, without the delimiter: {"topic": ..., "message": ...}, plus
// "id", "re" and "error" for requests and replies.
bool encode(QByteArray &out, const IpcCodec::Frame &frame, QString *error);
bool decode(QByteArrayView json, IpcCodec::Frame *frame, QString *error);

// Appends one whole frame to out. On a value JSON cannot hold, returns false, leaves out as
// it was and says why in *error. An empty topic goes out as "none", as in the Node library.
bool encode(QByteArray &out, QStringView topic, const QVariant &message, QString *error);

// Parses the JSON text of one frame (without its delimiter). A frame without "message" (what
// the Node library sends for undefined) yields an invalid QVariant.
bool decode(QByteArrayView json, QString *topic, QVariant *message, QString *error);

// Any one JSON value, with the same rules as frames: JSON text as JSON.stringify writes it,
// and strict parsing as JSON.parse does it.
bool encodeValue(QByteArray &out, const QVariant &value, QString *error);
bool decodeValue(QByteArrayView json, QVariant *value, QString *error);

// Appends one whole frame, framing included, as codec encodes it.
bool encodeFrame(QByteArray &out, const IpcCodec &codec, const IpcCodec::Frame &frame,
                 QString *error);

// Splits a byte stream into frames. Frames may arrive split at any byte or many at once;
// the search resumes where it stopped, so a large frame is scanned once, not per read.
class Decoder
{
public:
    enum class Status { NeedMore, Frame, TooLarge };

    explicit Decoder(qint64 maxFrameSize) : m_maxFrameSize(maxFrameSize) { }

    void setMaxFrameSize(qint64 bytes) { m_maxFrameSize = bytes; }
    void setFraming(IpcCodec::Framing framing) { m_framing = framing; }
    qint64 maxFrameSize() const { return m_maxFrameSize; }

    void append(const QByteArray &bytes);
    // Room for up to size more bytes at the end, to read into directly; commit() then says
    // how many of them arrived.
    char *reserve(qsizetype size);
    void commit(qsizetype reserved, qsizetype arrived);
    // On Frame, *frame views the frame's JSON text until the next append() or next().
    Status next(QByteArrayView *frame);
    // Puts the frame the last next() returned back: the next call returns it again.
    void unread() { m_start = m_scan = m_previousStart; }
    // Bytes held that are not yet a whole frame.
    qsizetype pendingBytes() const { return m_buffer.size() - m_start; }
    void clear();

private:
    QByteArray m_buffer;
    qsizetype m_start = 0;  // first byte not yet handed out
    qsizetype m_scan = 0;   // where the delimiter search resumes
    qsizetype m_previousStart = 0;  // m_start before the last frame, for unread()
    qint64 m_maxFrameSize;
    IpcCodec::Framing m_framing = IpcCodec::Framing::Delimited;

    Status nextLengthPrefixed(QByteArrayView *frame);
    void compact();
};

}  // namespace IpcFrame

#endif  // IPCFRAME_P_H

// Framing: a byte stream split into frames (two NULs, or a length prefix), and a frame
// written with a codec's framing.

#include "ipcframe_p.h"
#include "ipcunencodable_p.h"

#include <QtCore/qendian.h>

#include <cstring>

namespace IpcFrame {

char *Decoder::reserve(qsizetype size)
{
    if (m_start > 0 && m_start == m_buffer.size()) {
        // All handed out: start over, keeping the allocation unless a huge frame left it big.
        if (m_buffer.capacity() > 4 * 1024 * 1024)
            m_buffer = QByteArray();
        else
            m_buffer.resize(0);
        m_start = m_scan = 0;
    }
    const qsizetype at = m_buffer.size();
    m_buffer.resize(at + size);
    return m_buffer.data() + at;
}

void Decoder::commit(qsizetype reserved, qsizetype arrived)
{
    m_buffer.truncate(m_buffer.size() - (reserved - qBound<qsizetype>(0, arrived, reserved)));
}

void Decoder::append(const QByteArray &bytes)
{
    if (m_start > 0 && m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = m_scan = 0;
    }
    if (m_buffer.isEmpty())
        m_buffer = bytes;  // implicitly shared: no copy in the common case
    else
        m_buffer.append(bytes);
}

bool encodeFrame(QByteArray &out, const IpcCodec &codec, const IpcCodec::Frame &frame,
                 QString *error)
{
    // Checked here rather than in each codec, so that a codec of the user's refuses it too.
    if (const QString reason = IpcUnencodableValue::reasonOf(frame.message); !reason.isNull()) {
        if (error)
            *error = reason;
        return false;
    }
    const qsizetype start = out.size();
    if (codec.framing() == IpcCodec::Framing::Delimited) {
        if (!codec.encode(out, frame, error)) {
            out.truncate(start);
            return false;
        }
        // JSON never holds two NULs; a codec of the user's might, or end with one, which the
        // delimiter would follow.
        if (&codec != IpcCodec::json().get()
            && (QByteArrayView(out).sliced(start).indexOf(QByteArrayView(Delimiter, DelimiterSize))
                        >= 0
                || (out.size() > start && out.endsWith('\0')))) {
            out.truncate(start);
            if (error)
                *error = QStringLiteral("the %1 codec wrote two NUL bytes in a row (or "
                                        "ended with one), which would end the frame early")
                                 .arg(codec.name());
            return false;
        }
        out.append(Delimiter, DelimiterSize);
        return true;
    }
    out.append(LengthPrefixSize, '\0');
    if (!codec.encode(out, frame, error)) {
        out.truncate(start);
        return false;
    }
    const qint64 length = out.size() - start - LengthPrefixSize;
    if (length > 0xffffffffLL) {
        out.truncate(start);
        if (error)
            *error = QStringLiteral("a frame of %1 bytes does not fit a length prefix").arg(length);
        return false;
    }
    qToBigEndian(quint32(length), out.data() + start);
    return true;
}

Decoder::Status Decoder::nextLengthPrefixed(QByteArrayView *frame)
{
    const qsizetype available = m_buffer.size() - m_start;
    if (available >= LengthPrefixSize) {
        const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_start);
        // Known before the frame arrives: no need to buffer what will be refused.
        if (qint64(length) > m_maxFrameSize)
            return Status::TooLarge;
        if (available - LengthPrefixSize >= qsizetype(length)) {
            *frame = QByteArrayView(m_buffer.constData() + m_start + LengthPrefixSize, length);
            m_previousStart = m_start;
            m_start += LengthPrefixSize + length;
            return Status::Frame;
        }
    }
    compact();
    return Status::NeedMore;
}

void Decoder::compact()
{
    if (m_start > 0) {
        // Moved down by hand: QByteArray::remove(0, n) would only move its start, and the
        // next read would then need a new allocation.
        char *data = m_buffer.data();
        std::memmove(data, data + m_start, size_t(m_buffer.size() - m_start));
        m_buffer.truncate(m_buffer.size() - m_start);
        m_scan = qMax<qsizetype>(0, m_scan - m_start);
        m_start = m_previousStart = 0;
    }
}

Decoder::Status Decoder::next(QByteArrayView *frame)
{
    if (m_framing == IpcCodec::Framing::LengthPrefixed)
        return nextLengthPrefixed(frame);
    const char *data = m_buffer.constData();
    const qsizetype size = m_buffer.size();
    qsizetype i = qMax(m_scan, m_start);
    while (i + 1 < size) {
        const void *nul = std::memchr(data + i, '\0', size - i - 1);
        if (!nul)
            break;
        i = static_cast<const char *>(nul) - data;
        if (data[i + 1] == '\0') {
            const qsizetype length = i - m_start;
            if (length > m_maxFrameSize)
                return Status::TooLarge;
            *frame = QByteArrayView(data + m_start, length);
            m_previousStart = m_start;
            m_start = m_scan = i + DelimiterSize;
            return Status::Frame;
        }
        ++i;
    }
    // No delimiter yet: a trailing NUL may be the first half of one.
    m_scan = qMax(m_start, size - 1);
    const bool halfDelimiter = size > m_start && data[size - 1] == '\0';
    if (size - m_start > m_maxFrameSize + (halfDelimiter ? 1 : 0))
        return Status::TooLarge;
    compact();
    return Status::NeedMore;
}

void Decoder::clear()
{
    m_buffer.clear();
    m_start = m_scan = m_previousStart = 0;
}

}  // namespace IpcFrame

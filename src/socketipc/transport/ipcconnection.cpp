#include "ipcconnection_p.h"

#include "ipcsocket_p.h"

#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

IpcConnection::IpcConnection(QIODevice *socket, std::shared_ptr<const IpcCodec> codec,
                             qint64 maxFrameSize, Handler *handler, QObject *parent)
    : QObject(parent),
      m_socket(socket),
      m_tls(qobject_cast<const QSslSocket *>(socket)),
      m_codec(std::move(codec)),
      m_handler(handler),
      m_decoder(maxFrameSize)
{
    m_decoder.setFraming(m_codec->framing());
    m_socket->setParent(this);
    m_peer = IpcSocket::peerOf(m_socket);
    connect(m_socket, &QIODevice::readyRead, this, &IpcConnection::readFrames);
    IpcSocket::watch(
            m_socket, this,
            [this](const QString &description, bool peerClosed) {
                onSocketError(description, peerClosed);
            },
            [this] { onDisconnected(); });
    // Bytes may have arrived with the connection itself.
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &IpcConnection::readFrames, Qt::QueuedConnection);
}

IpcConnection::~IpcConnection()
{
    // No callbacks from a connection being destroyed.
    m_socket->disconnect(this);
}

namespace {
// Pending output beyond this is written at once rather than at the end of the turn.
constexpr qsizetype FlushThreshold = 64 * 1024;
}  // namespace

IpcConnection::WriteResult IpcConnection::send(const IpcCodec::Frame &frame, QString *error)
{
    if (m_state != State::Open)
        return WriteResult::Queued;
    const qint64 before = pendingBytes();
    const qsizetype start = m_outgoing.size();
    if (!IpcFrame::encodeFrame(m_outgoing, *m_codec, frame, error))
        return WriteResult::EncodeError;
    // One frame always fits when nothing waits: the limit bounds a backlog, not a message.
    if (m_maxPendingBytes > 0 && before > 0
        && before + (m_outgoing.size() - start) > m_maxPendingBytes) {
        m_outgoing.truncate(start);
        return WriteResult::LimitReached;
    }
    queued();
    return WriteResult::Queued;
}

IpcConnection::WriteResult IpcConnection::write(const QByteArray &frame)
{
    if (m_state != State::Open)
        return WriteResult::Queued;
    if (m_maxPendingBytes > 0) {
        const qint64 pending = pendingBytes();
        if (pending > 0 && pending + frame.size() > m_maxPendingBytes)
            return WriteResult::LimitReached;
    }
    if (m_outgoing.isEmpty() && frame.size() >= FlushThreshold) {
        writeToSocket(frame);  // large: hand it over as it is, no copy
        return WriteResult::Queued;
    }
    m_outgoing.append(frame);
    queued();
    return WriteResult::Queued;
}

void IpcConnection::queued()
{
    if (m_outgoing.size() >= FlushThreshold) {
        flush();
    } else if (!m_flushScheduled) {
        m_flushScheduled = true;
        QMetaObject::invokeMethod(this, &IpcConnection::flush, Qt::QueuedConnection);
    }
}

void IpcConnection::flush()
{
    m_flushScheduled = false;
    if (m_outgoing.isEmpty() || m_state == State::Closed)
        return;
    writeToSocket(std::exchange(m_outgoing, {}));
}

void IpcConnection::writeToSocket(const QByteArray &data)
{
    // A write can find the peer gone. Say so from the event loop, as for a small frame,
    // never from inside the send() that wrote it.
    m_writing = true;
    const bool written = m_socket->write(data) == data.size();
    if (written)
        IpcSocket::flush(m_socket);  // into the kernel now, while this process goes on producing
    m_writing = false;
    if (!written) {
        QMetaObject::invokeMethod(
                this, [this, why = m_socket->errorString()] { fail(IpcError::SocketError, why); },
                Qt::QueuedConnection);
    }
}

void IpcConnection::close()
{
    if (m_state != State::Open)
        return;
    flush();
    if (m_state != State::Open)
        return;
    m_state = State::Closing;
    // Returns at once; disconnected() follows when the output buffer is empty, which
    // may be right now.
    IpcSocket::disconnectGracefully(m_socket);
    if (IpcSocket::isUnconnected(m_socket))
        onDisconnected();
}

void IpcConnection::closeRefused(int lingerMsecs)
{
    m_reading = false;
    m_decoder.clear();
    IpcSocket::stopReading(m_socket);
    close();
    if (m_state == State::Closing)
        QTimer::singleShot(lingerMsecs, this, &IpcConnection::abort);
}

void IpcConnection::abort()
{
    if (m_state == State::Closed)
        return;
    m_socket->disconnect(this);
    IpcSocket::abort(m_socket);
    m_outgoing.clear();
    finish();
}

void IpcConnection::readFrames()
{
    if (m_state == State::Closed || !m_reading)
        return;
    // Straight from the socket's buffer into the decoder's: one copy, no temporary.
    if (const qint64 available = m_socket->bytesAvailable(); available > 0) {
        char *into = m_decoder.reserve(available);
        m_decoder.commit(available, m_socket->read(into, available));
    }

    const QPointer<IpcConnection> guard(this);
    QByteArrayView contents;
    IpcCodec::Frame frame;
    QString error;
    for (;;) {
        switch (m_decoder.next(&contents)) {
        case IpcFrame::Decoder::Status::NeedMore:
            // Answers to what just arrived go out now, not a loop turn later.
            flush();
            return;
        case IpcFrame::Decoder::Status::TooLarge:
            fail(IpcError::FrameTooLargeError,
                 QStringLiteral("a frame exceeds the maximum frame size of %1 bytes")
                         .arg(m_decoder.maxFrameSize()));
            return;
        case IpcFrame::Decoder::Status::Frame:
            if (!m_codec->decode(contents, &frame, &error)) {
                fail(IpcError::DecodeError, QStringLiteral("malformed frame: %1").arg(error));
                return;
            }
            m_received = true;
            m_handler->connectionFrame(this, frame);
            // The handler may have closed or even deleted this connection.
            if (!guard || m_state == State::Closed)
                return;
            break;
        }
    }
}

void IpcConnection::onSocketError(const QString &description, bool peerClosed)
{
    if (m_state == State::Closed)
        return;
    if (m_writing) {
        QMetaObject::invokeMethod(
                this, [this, description, peerClosed] { onSocketError(description, peerClosed); },
                Qt::QueuedConnection);
        return;
    }
    // A peer closing is an ordinary end, not an error; disconnected() follows, once the
    // socket has handed over what it still holds (QSslSocket reports the close before it
    // has decrypted the last bytes). Ending the connection here would drop them.
    if (peerClosed) {
        QMetaObject::invokeMethod(
                this,
                [this] {
                    if (m_state != State::Closed && IpcSocket::isUnconnected(m_socket))
                        onDisconnected();
                },
                Qt::QueuedConnection);
        return;
    }
    if (m_state == State::Open)
        m_handler->connectionError(this, IpcError::SocketError, description);
    // Some errors end the socket without a disconnected() signal.
    if (m_state != State::Closed && IpcSocket::isUnconnected(m_socket))
        onDisconnected();
}

void IpcConnection::onDisconnected()
{
    if (m_state == State::Closed)
        return;
    if (m_writing) {
        QMetaObject::invokeMethod(this, &IpcConnection::onDisconnected, Qt::QueuedConnection);
        return;
    }
    // Whole frames that arrived before the end are still delivered; a trailing partial
    // frame from a dead peer is dropped.
    if (m_socket->bytesAvailable() > 0) {
        const QPointer<IpcConnection> guard(this);
        readFrames();
        if (!guard || m_state == State::Closed)
            return;
    }
    m_socket->disconnect(this);
    finish();
}

void IpcConnection::fail(IpcError::Error error, const QString &description)
{
    if (m_state == State::Closed)
        return;
    const QPointer<IpcConnection> guard(this);
    m_handler->connectionError(this, error, description);
    if (guard)
        abort();
}

void IpcConnection::finish()
{
    m_state = State::Closed;
    m_decoder.clear();
    m_handler->connectionClosed(this);
}

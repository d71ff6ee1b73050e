#include "ipcconnection_p.h"

#include "ipcsocket_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <cerrno>

#include <sys/socket.h>

IpcConnection::IpcConnection(QIODevice *socket, std::shared_ptr<const IpcCodec> codec,
                             qint64 maxFrameSize, Handler *handler, QObject *parent)
    : QObject(parent),
      m_socket(socket),
      m_tls(qobject_cast<const QSslSocket *>(socket)),
      m_local(qobject_cast<const QLocalSocket *>(socket)),
      m_plain(m_tls ? nullptr : qobject_cast<const QAbstractSocket *>(socket)),
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
// What one read asks the socket for, at least: a whole burst of small frames at once.
constexpr qsizetype ReadChunk = 64 * 1024;
// An outgoing buffer keeps its capacity between flushes, up to this.
constexpr qsizetype KeptOutputCapacity = 1024 * 1024;

// Writes out, once per event-loop iteration, what the connections of one thread have
// waiting: connected to the dispatcher's aboutToBlock and awake, one of which every
// iteration emits. No posted event, queued call or timer per message (each of those wakes
// the event loop through its eventfd), and nothing to do when no output waits.
class OutputFlusher : public QObject
{
public:
    static void schedule(IpcConnection *connection)
    {
        if (!t_flusher) {
            QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
            if (!dispatcher) {  // a thread without an event loop yet: the event queue
                QMetaObject::invokeMethod(connection, &IpcConnection::flush,
                                          Qt::QueuedConnection);
                return;
            }
            t_flusher = new OutputFlusher(dispatcher);
        }
        t_flusher->m_waiting.append(connection);
    }

    ~OutputFlusher() override { t_flusher = nullptr; }

private:
    explicit OutputFlusher(QAbstractEventDispatcher *dispatcher) : QObject(dispatcher)
    {
        connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, this,
                &OutputFlusher::flushAll);
        connect(dispatcher, &QAbstractEventDispatcher::awake, this, &OutputFlusher::flushAll);
    }

    void flushAll()
    {
        if (m_waiting.isEmpty())
            return;
        const QList<QPointer<IpcConnection>> waiting = std::exchange(m_waiting, {});
        for (const QPointer<IpcConnection> &connection : waiting) {
            if (connection)
                connection->flush();
        }
    }

    QList<QPointer<IpcConnection>> m_waiting;
    static thread_local OutputFlusher *t_flusher;
};

thread_local OutputFlusher *OutputFlusher::t_flusher = nullptr;

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
        OutputFlusher::schedule(this);
    }
}

void IpcConnection::flush()
{
    m_flushScheduled = false;
    if (m_outgoing.isEmpty() || m_state == State::Closed)
        return;
    writeToSocket(m_outgoing);
    // Emptied, not freed: the next frames are encoded into the same memory (a large
    // allocation is given back, not kept per connection).
    if (m_outgoing.capacity() > KeptOutputCapacity)
        m_outgoing = QByteArray();
    else
        m_outgoing.resize(0);
}

qsizetype IpcConnection::writeDirectly(const char *data, qsizetype size)
{
    const qintptr descriptor = m_local ? m_local->socketDescriptor()
            : m_plain                  ? m_plain->socketDescriptor()
                                       : -1;
    if (descriptor < 0 || m_socket->bytesToWrite() > 0)  // after what Qt holds, in order
        return 0;
    ssize_t sent;
    do {
        sent = ::send(int(descriptor), data, size_t(size), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    // Full (EAGAIN): Qt keeps the rest and writes it when the socket can take it. Any other
    // failure: Qt's own write meets it too, and reports it the way it reports any other.
    return sent > 0 ? qsizetype(sent) : 0;
}

void IpcConnection::writeToSocket(const QByteArray &data)
{
    const qsizetype direct = writeDirectly(data.constData(), data.size());
    if (direct == data.size())
        return;
    // A write can find the peer gone. Say so from the event loop, as for a small frame,
    // never from inside the send() that wrote it.
    m_writing = true;
    // As bytes, not as a QByteArray a buffered socket could keep a reference to (which would
    // make our buffer detach, and allocate, on the next frame).
    const qsizetype rest = data.size() - direct;
    const bool written = m_socket->write(data.constData() + direct, rest) == rest;
    if (written)  // into the kernel now, while this process goes on producing
        IpcSocket::flush(m_socket);
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
    // From the socket's buffer (Qt has read from the kernel already) straight into the
    // decoder's: one copy, no temporary, and no bytesAvailable() call. A frame under way is
    // read in chunks as large as what it has already, so that a large one takes few calls.
    for (;;) {
        const qsizetype chunk = qMax(ReadChunk, m_decoder.pendingBytes());
        char *into = m_decoder.reserve(chunk);
        const qint64 arrived = m_socket->read(into, chunk);
        m_decoder.commit(chunk, arrived);
        if (arrived < chunk)
            break;
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

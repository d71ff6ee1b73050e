#include "ipcconnection_p.h"

#include "ipcsocket_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <cerrno>

#include <unistd.h>

#include <sys/socket.h>

namespace {

// Pending output beyond this is written at once rather than at the end of the turn.
constexpr qsizetype FlushThreshold = 64 * 1024;
// What one read asks the socket for, at least: a whole burst of small frames at once.
constexpr qsizetype ReadChunk = 64 * 1024;
// A local socket's kernel buffer holds about 200 KiB: a large frame then crosses in many
// rounds of the peer reading and this process writing, and what does not fit waits in this
// process's memory. Once a connection sends large frames, its buffer is asked to hold four of
// them, up to this. Kernel memory, taken only while data waits for the peer.
constexpr int MaxSendBuffer = 4 * 1024 * 1024;
// What one event-loop turn reads of a connection, at most (more if a read brings more).
constexpr qsizetype ReadBudget = 256 * 1024;
// What one turn decodes and hands to the handler, at most: a few milliseconds of work,
// whatever the frames' size, so that timers, input and painting get their turn under any
// incoming rate. The rest is decoded on the next turns, before anything more is read.
constexpr int FrameBudget = 1024;
// An outgoing buffer keeps its capacity between flushes, up to this.
constexpr qsizetype KeptOutputCapacity = 4 * 1024 * 1024;

}  // namespace

IpcConnection::IpcConnection(QIODevice *socket, std::shared_ptr<const IpcCodec> codec,
                             qint64 maxFrameSize, Handler *handler, QObject *parent)
    : QObject(parent), m_codec(std::move(codec)), m_handler(handler), m_decoder(maxFrameSize)
{
    m_decoder.setFraming(m_codec->framing());
    m_counters.connectedSince = QDateTime::currentMSecsSinceEpoch();
    socket->setParent(this);
    m_peer = IpcSocket::peerOf(socket);
    m_local = qobject_cast<const QLocalSocket *>(socket) != nullptr;

    QByteArray buffered;
    m_descriptor = IpcSocket::release(socket, &buffered);
    if (m_descriptor >= 0) {
        m_readNotifier = new QSocketNotifier(m_descriptor, QSocketNotifier::Read, this);
        connect(m_readNotifier, &QSocketNotifier::activated, this, [this] { onReadable(); });
        m_writeNotifier = new QSocketNotifier(m_descriptor, QSocketNotifier::Write, this);
        m_writeNotifier->setEnabled(false);
        connect(m_writeNotifier, &QSocketNotifier::activated, this, &IpcConnection::writeOutgoing);
        // Bytes may have arrived with the connection itself.
        if (!buffered.isEmpty()) {
            m_decoder.append(buffered);
            QMetaObject::invokeMethod(this, [this] { decodeFrames(); }, Qt::QueuedConnection);
        }
        return;
    }

    m_socket = socket;
    m_tls = qobject_cast<const QSslSocket *>(socket);
    // Qt decrypts all that has arrived in one go, however much a flooding peer has sent:
    // bounded, so that one turn decodes a bounded amount (see onReadable()).
    IpcSocket::setReadBufferSize(m_socket, ReadBudget);
    connect(m_socket, &QIODevice::readyRead, this, [this] { readFrames(); });
    IpcSocket::watch(
            m_socket, this,
            [this](const QString &description, bool peerClosed) {
                onSocketError(description, peerClosed);
            },
            [this] { onDisconnected(); });
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, [this] { readFrames(); }, Qt::QueuedConnection);
}

IpcConnection::~IpcConnection()
{
    // No callbacks from a connection being destroyed.
    if (m_socket)
        m_socket->disconnect(this);
    closeDescriptor();
}

namespace {

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
                QMetaObject::invokeMethod(connection, &IpcConnection::flush, Qt::QueuedConnection);
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

IpcConnection::WriteResult IpcConnection::send(const IpcCodec::Frame &frame, QString *error,
                                               Kind kind)
{
    if (m_state != State::Open || m_writeBroken)
        return WriteResult::Queued;
    const qsizetype start = m_outgoing.size();
    if (!IpcFrame::encodeFrame(m_outgoing, *m_codec, frame, error))
        return WriteResult::EncodeError;
    // One frame always fits when nothing is backlogged: the limit bounds a backlog, not a
    // message.
    const qsizetype size = m_outgoing.size() - start;
    if (!fitsPendingLimit(0)) {
        m_outgoing.truncate(start);
        return WriteResult::LimitReached;
    }
    if (kind == Kind::Message)
        ++m_counters.messagesSent;
    m_counters.bytesSent += size;
    if (size >= FlushThreshold)
        fitSendBuffer(size);
    queued();
    if (m_tapped && kind == Kind::Message)
        m_handler->connectionSent(this, frame, size);
    return WriteResult::Queued;
}

IpcConnection::WriteResult IpcConnection::write(const QByteArray &frame)
{
    if (m_state != State::Open || m_writeBroken)
        return WriteResult::Queued;
    if (!fitsPendingLimit(frame.size()))
        return WriteResult::LimitReached;
    ++m_counters.messagesSent;
    m_counters.bytesSent += frame.size();
    if (frame.size() >= FlushThreshold) {
        fitSendBuffer(frame.size());
        // Large: handed over as it is, not copied first.
        if (m_socket) {
            flush();  // what was queued before it goes first
            writeToSocket(frame);
            return WriteResult::Queued;
        }
        writeOutgoing();  // what was queued before it goes first
        if (m_backlog.empty() && !m_writeBroken) {
            const qsizetype taken = sendSome(frame.constData(), frame.size());
            if (taken < 0 || taken == frame.size())
                return WriteResult::Queued;
            m_backlogSent = taken;
        }
        if (!m_writeBroken)
            appendToBacklog(frame);
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
    m_counters.lastActivity = QDateTime::currentMSecsSinceEpoch();  // once per turn
    if (!m_socket) {
        // Even while the write notifier waits for room: a producer that does not return to
        // the event loop finds the room its peer has made meanwhile.
        writeOutgoing();
        return;
    }
    writeToSocket(m_outgoing);
    emptyOutgoing();
}

void IpcConnection::emptyOutgoing()
{
    // Emptied, not freed: the next frames are encoded into the same memory (a large
    // allocation is given back, not kept per connection).
    if (m_outgoing.capacity() > KeptOutputCapacity)
        m_outgoing = QByteArray();
    else
        m_outgoing.resize(0);
}

void IpcConnection::fitSendBuffer(qsizetype frameSize)
{
    // TCP sizes its buffers itself (setting one would switch that off).
    if (!m_local || m_descriptor < 0 || m_sendBufferAsked >= MaxSendBuffer)
        return;
    const int wanted = int(qMin<qsizetype>(MaxSendBuffer, 4 * frameSize));
    if (wanted <= m_sendBufferAsked)
        return;
    m_sendBufferAsked = wanted;
    // The kernel caps it at net.core.wmem_max (and doubles it for its bookkeeping).
    ::setsockopt(m_descriptor, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof wanted);
}

qsizetype IpcConnection::sendSome(const char *data, qsizetype size)
{
    ssize_t sent;
    do {
        sent = ::send(m_descriptor, data, size_t(size), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    if (sent >= 0)
        return qsizetype(sent);
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    writeFailed(errno);
    return -1;
}

void IpcConnection::appendToBacklog(const QByteArray &buffer)
{
    m_backlogBytes += buffer.size() - (m_backlog.empty() ? m_backlogSent : 0);
    m_backlog.push_back(buffer);  // shared, not copied
    m_writeNotifier->setEnabled(true);
}

void IpcConnection::writeOutgoing()
{
    if (m_descriptor < 0 || m_writeBroken)
        return;
    // What waits from before goes first, a buffer at a time.
    while (!m_backlog.empty()) {
        const QByteArray &first = m_backlog.front();
        const qsizetype taken =
                sendSome(first.constData() + m_backlogSent, first.size() - m_backlogSent);
        if (taken < 0)
            return;
        m_backlogSent += taken;
        m_backlogBytes -= taken;
        if (m_backlogSent < first.size())
            break;  // the kernel is full
        recycle(std::move(m_backlog.front()));
        m_backlog.pop_front();
        m_backlogSent = 0;
    }
    if (!m_outgoing.isEmpty()) {
        if (m_backlog.empty()) {
            const qsizetype taken = sendSome(m_outgoing.constData(), m_outgoing.size());
            if (taken < 0)
                return;
            m_backlogSent = taken;
        }
        if (m_backlogSent == m_outgoing.size() && m_backlog.empty()) {
            m_backlogSent = 0;
            emptyOutgoing();
        } else if (!m_backlog.empty() && m_backlog.back().isDetached()
                   && m_backlog.back().size() + m_outgoing.size() <= KeptOutputCapacity) {
            // A little more behind a backlog: into its last buffer, if that is ours.
            m_backlog.back().append(m_outgoing);
            m_backlogBytes += m_outgoing.size();
            m_outgoing.resize(0);
        } else {
            // The buffer itself joins the backlog; frames to come go into the spare one.
            appendToBacklog(m_outgoing);
            m_outgoing = std::exchange(m_spare, QByteArray());
        }
    }
    m_writeNotifier->setEnabled(!m_backlog.empty());
    if (m_backlog.empty() && m_state == State::Closing)
        endOutput();
}

void IpcConnection::recycle(QByteArray &&buffer)
{
    if (m_spare.capacity() == 0 && buffer.isDetached() && buffer.capacity() <= KeptOutputCapacity) {
        buffer.resize(0);
        m_spare = std::move(buffer);
    }
}

void IpcConnection::writeFailed(int error)
{
    // Nothing more goes out. The handler hears of it from the event loop, never from inside
    // the send() that wrote.
    discardOutput();
    // Sending goes on being accepted, and dropped, until the handler hears of the end: frames
    // that arrived before it are still delivered, and answering them is no error.
    m_writeBroken = true;
    const bool peerGone = error == EPIPE || error == ECONNRESET;
    QMetaObject::invokeMethod(
            this,
            [this, peerGone, why = qt_error_string(error)] {
                if (m_state == State::Closed)
                    return;
                if (!peerGone) {
                    fail(IpcError::SocketError, why);
                    return;
                }
                // A peer that went away: an ordinary end, after what it sent before.
                const QPointer<IpcConnection> guard(this);
                if (m_reading)
                    onReadable(Drain::All);
                if (guard && m_state != State::Closed) {
                    closeDescriptor();
                    finish();
                }
            },
            Qt::QueuedConnection);
}

void IpcConnection::endOutput()
{
    if (m_local) {
        // Everything is with the peer's kernel, which keeps it for the peer to read.
        closeDescriptor();
        finish();
        return;
    }
    // TCP: our direction only, then the peer closes its side (see IpcSocket's halfClose()).
    ::shutdown(m_descriptor, SHUT_WR);
    QTimer::singleShot(IpcSocket::PeerCloseTimeout, this, &IpcConnection::abort);
}

void IpcConnection::discardOutput()
{
    m_outgoing.clear();
    m_backlog.clear();
    m_backlogSent = 0;
    m_backlogBytes = 0;
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
}

void IpcConnection::closeDescriptor()
{
    if (m_descriptor < 0)
        return;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    ::close(m_descriptor);
    m_descriptor = -1;
}

void IpcConnection::writeToSocket(const QByteArray &data)
{
    // A write can find the peer gone. Say so from the event loop, as for a small frame,
    // never from inside the send() that wrote it.
    m_writing = true;
    // As bytes, not as a QByteArray a buffered socket could keep a reference to (which would
    // make our buffer detach, and allocate, on the next frame).
    const bool written = m_socket->write(data.constData(), data.size()) == data.size();
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
    if (!m_socket) {
        if (m_backlog.empty())
            endOutput();
        // Else writeOutgoing() ends it once the kernel has taken the rest.
        return;
    }
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
    if (m_socket)
        IpcSocket::stopReading(m_socket);
    else
        m_readNotifier->setEnabled(false);
    close();
    if (m_state == State::Closing)
        QTimer::singleShot(lingerMsecs, this, &IpcConnection::abort);
}

void IpcConnection::abort()
{
    if (m_state == State::Closed)
        return;
    if (m_socket) {
        m_socket->disconnect(this);
        IpcSocket::abort(m_socket);
    }
    discardOutput();
    finish();
}

void IpcConnection::readFrames(Drain drain)
{
    if (m_state == State::Closed || !m_reading)
        return;
    if (m_decodeBacklog && drain == Drain::Turn)
        return;  // the frames read already come first (decodeBacklog())
    // From the socket's buffer (Qt has read from the kernel already) straight into the
    // decoder's: one copy, no temporary, and no bytesAvailable() call. A frame under way is
    // read in chunks as large as what it has already, so that a large one takes few calls.
    // At most a turn's worth (see onReadable()); the rest on the next turn, as the socket
    // does not signal again for what it holds already.
    qsizetype total = 0;
    bool more = false;
    for (;;) {
        const qsizetype chunk = qMax(ReadChunk, m_decoder.pendingBytes());
        char *into = m_decoder.reserve(chunk);
        const qint64 arrived = m_socket->read(into, chunk);
        m_decoder.commit(chunk, arrived);
        if (arrived > 0)
            m_counters.bytesReceived += arrived;
        if (arrived < chunk)
            break;
        total += arrived;
        if (total >= ReadBudget && drain == Drain::Turn) {
            more = true;
            break;
        }
    }
    m_counters.lastActivity = QDateTime::currentMSecsSinceEpoch();
    const QPointer<IpcConnection> guard(this);
    decodeFrames(drain);
    if (more && guard && m_state != State::Closed && m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, [this] { readFrames(); }, Qt::QueuedConnection);
}

void IpcConnection::decodeBacklog()
{
    if (!m_decodeBacklog)
        return;
    const QPointer<IpcConnection> guard(this);
    decodeFrames();
    // Then what arrived meanwhile: the socket signals only for what is new.
    if (guard && !m_decodeBacklog) {
        if (m_socket)
            readFrames();
        else
            onReadable();
    }
}

void IpcConnection::onReadable(Drain drain)
{
    if (m_state == State::Closed || !m_reading)
        return;
    if (m_decodeBacklog && drain == Drain::Turn)
        return;  // the frames read already come first (decodeBacklog())
    // Straight into the decoder's buffer, until a read comes back short (the kernel has
    // nothing more right now: no further call to hear EAGAIN) or a turn's worth has come: a
    // peer that sends faster than this process decodes does not pile up here, and the event
    // loop gets its turn.
    int error = 0;
    bool ended = false;
    qsizetype total = 0;
    for (;;) {
        const qsizetype chunk = qMax(ReadChunk, m_decoder.pendingBytes());
        char *into = m_decoder.reserve(chunk);
        ssize_t arrived;
        do {
            arrived = ::recv(m_descriptor, into, size_t(chunk), 0);
        } while (arrived < 0 && errno == EINTR);
        if (arrived < 0)
            error = errno;
        m_decoder.commit(chunk, arrived);
        if (arrived > 0)
            m_counters.bytesReceived += arrived;
        if (arrived < chunk) {
            ended = arrived == 0;
            break;
        }
        total += arrived;
        if (total >= ReadBudget && drain == Drain::Turn)
            break;
    }
    if (error == EAGAIN || error == EWOULDBLOCK) {
        error = 0;
    } else if (error == ECONNRESET) {  // the peer went away: an ordinary end, as a close
        error = 0;
        ended = true;
    }
    m_counters.lastActivity = QDateTime::currentMSecsSinceEpoch();  // once per read
    const QPointer<IpcConnection> guard(this);
    // A peer that is gone: everything it sent, now (a backlog would be dropped by finish()).
    decodeFrames(ended || error != 0 ? Drain::All : drain);
    if (!guard || m_state == State::Closed)
        return;
    if (error != 0)
        fail(IpcError::SocketError, qt_error_string(error));
    else if (ended)  // a trailing partial frame from a peer that is gone is dropped
        finish();
}

void IpcConnection::decodeFrames(Drain drain)
{
    if (m_state == State::Closed || !m_reading)
        return;
    m_decodeBacklog = false;
    int budget = drain == Drain::All ? -1 : FrameBudget;
    const QPointer<IpcConnection> guard(this);
    // The end is the handler's, whatever happens to this connection meanwhile (a slot's
    // nested event loop may delete it): the handler lives as long as this connection's
    // parent, its endpoint.
    m_handler->connectionReadBegan(this);
    struct ReadEnd
    {
        Handler *handler;
        QPointer<QObject> owner;
        ~ReadEnd()
        {
            if (owner)
                handler->connectionReadEnded();
        }
    } readEnd{ m_handler, parent() };
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
            if (budget-- == 0) {
                // A turn's worth: the rest on the next turns, before more is read.
                m_decodeBacklog = true;
                QMetaObject::invokeMethod(this, &IpcConnection::decodeBacklog, Qt::QueuedConnection);
                m_decoder.unread();
                flush();
                return;
            }
            if (!m_codec->decode(contents, &frame, &error)) {
                fail(IpcError::DecodeError, QStringLiteral("malformed frame: %1").arg(error));
                return;
            }
            m_received = true;
            m_lastFrameSize = contents.size();
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
    if (m_socket->bytesAvailable() > 0 || m_decodeBacklog) {
        const QPointer<IpcConnection> guard(this);
        readFrames(Drain::All);
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
    closeDescriptor();
    m_decoder.clear();
    m_handler->connectionClosed(this);
}

#ifndef IPCCONNECTION_P_H
#define IPCCONNECTION_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../codec/ipcframe_p.h"
#include "../ipcerror.h"
#include "../ipcpeercredentials.h"
#include "../ipcstatistics_p.h"

#include <QtCore/qobject.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslsocket.h>
#include <QtCore/qiodevice.h>
#include <QtCore/qsocketnotifier.h>

#include <deque>
#include <memory>

// One established connection, server side or client side: the single read and write path.
// It decodes incoming frames and reports them, one call per event, to its Handler.
class IpcConnection : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcConnection)
public:
    class Handler
    {
    public:
        // A message, a request (frame.requestId) or a reply (frame.replyTo).
        virtual void connectionFrame(IpcConnection *connection, const IpcCodec::Frame &frame) = 0;
        // The connection is dropped right after a Decode or FrameTooLarge error.
        virtual void connectionError(IpcConnection *connection, IpcError::Error error,
                                     const QString &description) = 0;
        // Called once, whatever ended the connection; the handler deletes it later.
        virtual void connectionClosed(IpcConnection *connection) = 0;
        // A message frame of size bytes was queued, on a connection setTapped(true).
        virtual void connectionSent(IpcConnection *, const IpcCodec::Frame &, qsizetype) { }
        // Around the frames of one read: what one event-loop turn brought (at most the read
        // budget). Work that can wait for the last of them (property notifications, model
        // rows) is done once, at the end. Ended comes even if the connection was deleted
        // meanwhile (not if its parent, the handler's endpoint, was).
        virtual void connectionReadBegan(IpcConnection *) { }
        virtual void connectionReadEnded() { }

    protected:
        ~Handler() = default;
    };

    // Takes ownership of a connected socket: a QLocalSocket, QTcpSocket or QSslSocket.
    IpcConnection(QIODevice *socket, std::shared_ptr<const IpcCodec> codec, qint64 maxFrameSize,
                  Handler *handler, QObject *parent = nullptr);
    ~IpcConnection() override;

    void setId(const QString &id) { m_id = id; }
    QString id() const { return m_id; }
    IpcPeerCredentials peerCredentials() const { return m_peer; }
    // Whether a whole frame has arrived yet.
    bool hasReceived() const { return m_received; }

    // Open: neither closing nor closed; only an open connection accepts writes.
    bool isOpen() const { return m_state == State::Open; }
    void setMaxFrameSize(qint64 bytes) { m_decoder.setMaxFrameSize(bytes); }
    enum class WriteResult { Queued, EncodeError, LimitReached };

    // Frames go out once per event-loop turn, many in one write, or at once when a lot is
    // pending. send() encodes straight into that buffer; write() queues an encoded frame.
    // Once something is backlogged (the kernel took less than was written), neither lets more
    // than maxPendingBytes wait for a peer that does not read; one frame may exceed it.
    // A Control frame (the library's own: greeting, token handshake, cancel) is not counted
    // as a message in counters().
    enum class Kind { Message, Control };
    WriteResult send(const IpcCodec::Frame &frame, QString *error, Kind kind = Kind::Message);
    WriteResult write(const QByteArray &frame);  // framed by codec()
    const std::shared_ptr<const IpcCodec> &codec() const { return m_codec; }
    void flush();
    void setMaxPendingBytes(qint64 bytes) { m_maxPendingBytes = bytes; }
    // Written but not yet taken by the peer's socket: here, in the socket's buffer and, on
    // TLS, encrypted in the buffer beneath it (where a peer that does not read leaves it).
    qint64 pendingBytes() const { return m_outgoing.size() + backloggedBytes(); }
    // What went over it so far (IpcStatistics). Messages received are counted by the
    // endpoint, which knows which frames are the application's (countReceived()).
    const IpcCounters &counters() const { return m_counters; }
    void countReceived() { ++m_counters.messagesReceived; }
    void countDropped() { ++m_counters.messagesDropped; }
    // Whether the handler hears of each message frame sent (connectionSent()): for monitors.
    void setTapped(bool tapped) { m_tapped = tapped; }
    // The size of the frame being handled, in connectionFrame().
    qsizetype lastFrameSize() const { return m_lastFrameSize; }
    // Ends the connection once pending output is written.
    void close();
    // The same, for a peer that was turned away: what it sends is no longer read, and the
    // connection is aborted after lingerMsecs if the peer has not taken the output by then.
    void closeRefused(int lingerMsecs);
    // Ends the connection now, discarding pending output.
    void abort();

private:
    // What the kernel has not taken yet (written, or offered to the socket), without what this
    // event-loop turn gathered in m_outgoing, which goes out at its end. The pending limit
    // applies once something is backlogged: a frame larger than the limit still goes to a peer
    // that keeps up, even after another frame in the same turn.
    qint64 backloggedBytes() const
    {
        if (!m_socket)
            return m_backlogBytes;
        return m_socket->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
    }
    // Whether a frame of size bytes may be added to what is pending.
    bool fitsPendingLimit(qint64 size) const
    {
        return m_maxPendingBytes <= 0 || backloggedBytes() == 0
                || pendingBytes() + size <= m_maxPendingBytes;
    }

    enum class State { Open, Closing, Closed };

    // How much one call reads and decodes: a turn's worth (ReadBudget bytes, FrameBudget
    // frames), or all there is (a peer that is gone).
    enum class Drain { Turn, All };
    // Through the socket object: TLS (and any socket whose descriptor cannot be taken).
    void readFrames(Drain drain = Drain::Turn);
    void writeToSocket(const QByteArray &data);
    void onSocketError(const QString &description, bool peerClosed);
    void onDisconnected();
    // On the descriptor itself: local and plain TCP connections. The kernel's buffers are
    // the only ones: a read lands in the decoder's buffer, a write goes to the kernel at once
    // and only what it does not take waits in m_outgoing, so one read, one write and the
    // event loop's one wait are all a message costs.
    void onReadable(Drain drain = Drain::Turn);
    // The frames a turn's budget left: decoded on the next turn, then reading resumes.
    void decodeBacklog();
    void writeOutgoing();
    void emptyOutgoing();
    // Bytes the kernel took, or -1 after writeFailed().
    qsizetype sendSome(const char *data, qsizetype size);
    void appendToBacklog(const QByteArray &buffer);
    void fitSendBuffer(qsizetype frameSize);
    void recycle(QByteArray &&buffer);
    void writeFailed(int error);
    void discardOutput();
    void endOutput();
    void closeDescriptor();

    void decodeFrames(Drain drain = Drain::Turn);
    void queued();
    void fail(IpcError::Error error, const QString &description);
    void finish();

    QIODevice *m_socket = nullptr;      // the socket object, unless m_descriptor is used
    const QSslSocket *m_tls = nullptr;  // m_socket, when it is one
    int m_descriptor = -1;
    bool m_local = false;       // m_descriptor: a local socket, not TCP
    int m_sendBufferAsked = 0;  // SO_SNDBUF asked for, 0: the system's default
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;  // enabled while the kernel's buffer is full
    IpcPeerCredentials m_peer;  // read once: a socket forgets its peer when it closes
    std::shared_ptr<const IpcCodec> m_codec;
    Handler *m_handler;
    IpcFrame::Decoder m_decoder;
    IpcCounters m_counters;
    qsizetype m_lastFrameSize = 0;
    bool m_tapped = false;
    QByteArray m_outgoing;  // encoded, not yet handed on
    // m_descriptor only: what the kernel has not taken yet, in order, in buffers of their own
    // (a large frame is queued as it is, not copied; a growing backlog is not one buffer
    // reallocated again and again), the first one sent up to m_backlogSent.
    std::deque<QByteArray> m_backlog;
    qsizetype m_backlogSent = 0;
    qint64 m_backlogBytes = 0;
    QByteArray m_spare;  // a sent buffer, emptied, to encode into next
    bool m_flushScheduled = false;
    bool m_writeBroken = false;    // a write failed: nothing more goes out
    qint64 m_maxPendingBytes = 0;  // 0: no limit
    bool m_received = false;
    bool m_reading = true;   // false once refused: nothing more is read or decoded
    bool m_decodeBacklog = false;  // whole frames wait in the decoder (FrameBudget)
    bool m_writing = false;  // inside writeToSocket(): socket signals wait for the event loop
    QString m_id;
    State m_state = State::Open;
};

#endif  // IPCCONNECTION_P_H

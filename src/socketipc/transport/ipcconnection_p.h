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

#include <QtCore/qobject.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslsocket.h>
#include <QtCore/qiodevice.h>

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
    // Neither lets more than maxPendingBytes wait for a peer that does not read.
    WriteResult send(const IpcCodec::Frame &frame, QString *error);
    WriteResult write(const QByteArray &frame);  // framed by codec()
    const std::shared_ptr<const IpcCodec> &codec() const { return m_codec; }
    void flush();
    void setMaxPendingBytes(qint64 bytes) { m_maxPendingBytes = bytes; }
    // Written but not yet taken by the peer's socket: here, in the socket's buffer and, on
    // TLS, encrypted in the buffer beneath it (where a peer that does not read leaves it).
    qint64 pendingBytes() const
    {
        return m_outgoing.size() + m_socket->bytesToWrite()
                + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
    }
    // Ends the connection once pending output is written.
    void close();
    // The same, for a peer that was turned away: what it sends is no longer read, and the
    // connection is aborted after lingerMsecs if the peer has not taken the output by then.
    void closeRefused(int lingerMsecs);
    // Ends the connection now, discarding pending output.
    void abort();

private:
    enum class State { Open, Closing, Closed };

    void readFrames();
    void queued();
    void writeToSocket(const QByteArray &data);
    // Hands bytes to the kernel without Qt's buffer: how many it took (0 if it took none).
    qsizetype writeDirectly(const char *data, qsizetype size);
    void onSocketError(const QString &description, bool peerClosed);
    void onDisconnected();
    void fail(IpcError::Error error, const QString &description);
    void finish();

    QIODevice *m_socket;
    const QSslSocket *m_tls;    // m_socket, when it is one
    // m_socket, when it is a local or plain TCP socket, whose descriptor writes go to
    // directly while Qt's buffer is empty (a Qt write would toggle the socket's write
    // notifier, which wakes the event loop twice).
    const QLocalSocket *m_local = nullptr;
    const QAbstractSocket *m_plain = nullptr;
    IpcPeerCredentials m_peer;  // read once: a socket forgets its peer when it closes
    std::shared_ptr<const IpcCodec> m_codec;
    Handler *m_handler;
    IpcFrame::Decoder m_decoder;
    QByteArray m_outgoing;
    bool m_flushScheduled = false;
    qint64 m_maxPendingBytes = 0;  // 0: no limit
    bool m_received = false;
    bool m_reading = true;   // false once refused: nothing more is read or decoded
    bool m_writing = false;  // inside writeToSocket(): socket signals wait for the event loop
    QString m_id;
    State m_state = State::Open;
};

#endif  // IPCCONNECTION_P_H

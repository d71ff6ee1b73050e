#ifndef IPCCODEC_H
#define IPCCODEC_H

#include "socketipcglobal.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <memory>

// How frames look on the wire: their framing and the encoding of their contents. Both ends
// of a connection must use the same codec. json() is the default and the Node library's
// format; cbor() carries QByteArray values as bytes. Implement encode() and decode() for a
// codec of your own (the Node library's "transcoder" option), and register it to select it
// by name (from QML, say). Codecs are immutable and used from any thread.
class SOCKETIPC_EXPORT IpcCodec
{
    class FrameExtension;

public:
    // One frame's contents. Requests and replies add the fields after message; a peer that
    // knows nothing of them (the Node library) sees an ordinary message.
    struct SOCKETIPC_EXPORT Frame
    {
        Frame();
        Frame(const Frame &other);
        Frame(Frame &&other) noexcept;
        Frame &operator=(const Frame &other);
        Frame &operator=(Frame &&other) noexcept;
        ~Frame();

        QString topic;
        QVariant message;
        qint64 requestId = 0;  // > 0: a request, to be answered with replyTo = requestId
        qint64 replyTo = 0;    // > 0: the answer to that request
        QString errorCode;     // a failed request's reply: "NoHandler" or "Handler"
        QString errorMessage;

        // With replyTo: a progress notification for that request, sent before its answer
        // (IpcRequest::sendProgress()), not the answer.
        bool isProgress() const;
        void setProgress(bool progress);
        // > 0: asks the peer to stop handling its request of that id (IpcReply::cancel()).
        qint64 cancelId() const;
        void setCancelId(qint64 id);

    private:
        // Room to grow: fields added later live behind this pointer, with accessors, so
        // that the size of a Frame and the place of the fields above never change (binary
        // compatibility). Null, so costing no allocation, until such a field is set.
        QSharedDataPointer<FrameExtension> m_extension;
    };

    enum class Framing {
        Delimited,       // contents followed by two NUL bytes (the contents never hold two)
        LengthPrefixed,  // a 4-byte big-endian length, then that many bytes of contents
    };

    IpcCodec() = default;
    virtual ~IpcCodec();
    Q_DISABLE_COPY_MOVE(IpcCodec)

    // A short lowercase name: "json", "cbor".
    virtual QString name() const = 0;
    virtual Framing framing() const = 0;
    // Appends the encoded contents of frame (no framing) to out. On a value the codec cannot
    // hold, returns false and says why in *error; what it appended is then discarded.
    virtual bool encode(QByteArray &out, const Frame &frame, QString *error) const = 0;
    // Decodes one frame's contents into *frame (all fields, the optional ones reset when
    // absent). Must be safe on hostile input: false, and why in *error.
    virtual bool decode(QByteArrayView contents, Frame *frame, QString *error) const = 0;

    static std::shared_ptr<const IpcCodec> json();
    static std::shared_ptr<const IpcCodec> cbor();
    // A registered codec by name(), json and cbor included; null if there is none.
    static std::shared_ptr<const IpcCodec> byName(const QString &name);
    // Makes codec selectable by name, replacing a registered one of the same name.
    static void registerCodec(std::shared_ptr<const IpcCodec> codec);
};

#endif  // IPCCODEC_H

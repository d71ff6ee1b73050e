#ifndef IPCCODEC_H
#define IPCCODEC_H

#include "socketipcglobal.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <memory>

class SOCKETIPC_EXPORT IpcCodec
{
    class FrameExtension;

public:
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
        qint64 requestId = 0;
        qint64 replyTo = 0;
        QString errorCode;
        QString errorMessage;

        bool isProgress() const;
        void setProgress(bool progress);
        qint64 cancelId() const;
        void setCancelId(qint64 id);

    private:
        // Room to grow: fields added later live behind this pointer, with accessors, so
        // that the size of a Frame and the place of the fields above never change (binary
        // compatibility). Null, so costing no allocation, until such a field is set.
        QSharedDataPointer<FrameExtension> m_extension;
    };

    enum class Framing {
        Delimited,
        LengthPrefixed,
    };

    IpcCodec() = default;
    virtual ~IpcCodec();
    Q_DISABLE_COPY_MOVE(IpcCodec)

    virtual QString name() const = 0;
    virtual Framing framing() const = 0;
    virtual bool encode(QByteArray &out, const Frame &frame, QString *error) const = 0;
    virtual bool decode(QByteArrayView contents, Frame *frame, QString *error) const = 0;

    static std::shared_ptr<const IpcCodec> json();
    static std::shared_ptr<const IpcCodec> cbor();
    static std::shared_ptr<const IpcCodec> byName(const QString &name);
    static void registerCodec(std::shared_ptr<const IpcCodec> codec);
};

#endif  // IPCCODEC_H

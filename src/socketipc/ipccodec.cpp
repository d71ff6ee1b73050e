#include "ipccodec.h"

#include "codec/ipccborcodec_p.h"
#include "codec/ipcjsoncodec_p.h"

#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>

IpcCodec::~IpcCodec() = default;

// The fields frames gained after the first version.
class IpcCodec::FrameExtension : public QSharedData
{
public:
    bool progress = false;
    qint64 cancelId = 0;
};

IpcCodec::Frame::Frame() = default;
IpcCodec::Frame::Frame(const Frame &other) = default;
IpcCodec::Frame::Frame(Frame &&other) noexcept = default;
IpcCodec::Frame &IpcCodec::Frame::operator=(const Frame &other) = default;
IpcCodec::Frame &IpcCodec::Frame::operator=(Frame &&other) noexcept = default;
IpcCodec::Frame::~Frame() = default;

bool IpcCodec::Frame::isProgress() const
{
    return m_extension && m_extension->progress;
}

void IpcCodec::Frame::setProgress(bool progress)
{
    if (progress || m_extension) {
        if (!m_extension)
            m_extension = new FrameExtension;
        m_extension->progress = progress;
    }
}

qint64 IpcCodec::Frame::cancelId() const
{
    return m_extension ? m_extension->cancelId : 0;
}

void IpcCodec::Frame::setCancelId(qint64 id)
{
    if (id != 0 || m_extension) {
        if (!m_extension)
            m_extension = new FrameExtension;
        m_extension->cancelId = id;
    }
}

std::shared_ptr<const IpcCodec> IpcCodec::json()
{
    static const auto codec = std::make_shared<const IpcJsonCodec>();
    return codec;
}

std::shared_ptr<const IpcCodec> IpcCodec::cbor()
{
    static const auto codec = std::make_shared<const IpcCborCodec>();
    return codec;
}

namespace {
struct Registry
{
    QMutex mutex;
    QHash<QString, std::shared_ptr<const IpcCodec>> codecs{
            {QStringLiteral("json"), IpcCodec::json()}, {QStringLiteral("cbor"), IpcCodec::cbor()}};
};

Registry &registry()
{
    static Registry instance;
    return instance;
}
}  // namespace

std::shared_ptr<const IpcCodec> IpcCodec::byName(const QString &name)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    return r.codecs.value(name);
}

void IpcCodec::registerCodec(std::shared_ptr<const IpcCodec> codec)
{
    if (!codec)
        return;
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    r.codecs.insert(codec->name(), std::move(codec));
}

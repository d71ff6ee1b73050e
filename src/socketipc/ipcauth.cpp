#include "ipcauth_p.h"

#include <QtCore/qmessageauthenticationcode.h>
#include <QtCore/qrandom.h>
#include <QtCore/qvariant.h>

namespace IpcAuth {

namespace {

constexpr qsizetype NonceSize = 32;

QByteArray proof(const char *side, const QString &token, const QByteArray &serverNonce,
                 const QByteArray &clientNonce)
{
    QMessageAuthenticationCode code(QCryptographicHash::Sha256, token.toUtf8());
    code.addData(side);
    code.addData(serverNonce);
    code.addData(clientNonce);
    return code.result();
}

IpcCodec::Frame frame(QVariant message)
{
    IpcCodec::Frame frame;
    frame.topic = Topic.toString();
    frame.message = std::move(message);
    return frame;
}

QString text(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

}  // namespace

QByteArray newNonce()
{
    QByteArray nonce(NonceSize, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(nonce.data()),
                                         reinterpret_cast<quint32 *>(nonce.data() + NonceSize));
    return nonce;
}

QByteArray clientProof(const QString &token, const QByteArray &serverNonce,
                       const QByteArray &clientNonce)
{
    return proof("socketipc client", token, serverNonce, clientNonce);
}

QByteArray serverProof(const QString &token, const QByteArray &serverNonce,
                       const QByteArray &clientNonce)
{
    return proof("socketipc server", token, serverNonce, clientNonce);
}

bool sameBytes(const QByteArray &a, const QByteArray &b)
{
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= uchar(a.at(i)) ^ uchar(b.isEmpty() ? 0 : b.at(i % b.size()));
    return difference == 0;
}

IpcCodec::Frame challenge(const QByteArray &serverNonce)
{
    return frame(QVariantMap{{QStringLiteral("nonce"), text(serverNonce)}});
}

IpcCodec::Frame response(const QByteArray &clientNonce, const QByteArray &proof)
{
    return frame(QVariantMap{{QStringLiteral("nonce"), text(clientNonce)},
                             {QStringLiteral("proof"), text(proof)}});
}

IpcCodec::Frame confirmation(const QByteArray &proof)
{
    return frame(QVariantMap{{QStringLiteral("proof"), text(proof)}});
}

IpcCodec::Frame refusal()
{
    return frame(false);
}

bool isRefusal(const IpcCodec::Frame &frame)
{
    return frame.topic == Topic && frame.message == QVariant(false);
}

QByteArray field(const IpcCodec::Frame &frame, QLatin1StringView key)
{
    if (frame.topic != Topic || frame.message.metaType().id() != QMetaType::QVariantMap)
        return {};
    const QVariant value = static_cast<const QVariantMap *>(frame.message.constData())->value(key);
    if (value.metaType().id() != QMetaType::QString)
        return {};
    const auto decoded = QByteArray::fromBase64Encoding(value.toString().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    return decoded ? *decoded : QByteArray();
}

}  // namespace IpcAuth

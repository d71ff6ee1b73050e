#ifndef IPCCBORCODEC_P_H
#define IPCCBORCODEC_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipccodec.h"

// CBOR (RFC 8949), length-prefixed frames: a map with the same keys as the JSON object.
// QByteArray values travel as byte strings, as they are.
class IpcCborCodec final : public IpcCodec
{
public:
    QString name() const override { return QStringLiteral("cbor"); }
    Framing framing() const override { return Framing::LengthPrefixed; }
    bool encode(QByteArray &out, const Frame &frame, QString *error) const override;
    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override;

    // One value, with the same rules as frames.
    static bool encodeValue(QByteArray &out, const QVariant &value, QString *error);
    static bool decodeValue(QByteArrayView cbor, QVariant *value, QString *error);
};

#endif  // IPCCBORCODEC_P_H

#ifndef IPCJSONCODEC_P_H
#define IPCJSONCODEC_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipccodec.h"

// The Node library's format: JSON text, frames delimited by two NULs.
class IpcJsonCodec final : public IpcCodec
{
public:
    QString name() const override { return QStringLiteral("json"); }
    Framing framing() const override { return Framing::Delimited; }
    bool encode(QByteArray &out, const Frame &frame, QString *error) const override;
    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override;
};

#endif  // IPCJSONCODEC_P_H

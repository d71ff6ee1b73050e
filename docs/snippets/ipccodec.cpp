// Snippets of the IpcCodec reference (src/socketipc/ipccodec.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcCodec>
#include <SocketIpc/IpcServer>

#include <memory>

namespace snippets_ipccodec {

//! [custom]
// JSON contents, framed by a length prefix instead of two NUL bytes.
class LengthPrefixedJsonCodec : public IpcCodec
{
public:
    QString name() const override { return QStringLiteral("json-lp"); }
    Framing framing() const override { return Framing::LengthPrefixed; }

    bool encode(QByteArray &out, const Frame &frame, QString *error) const override
    {
        return IpcCodec::json()->encode(out, frame, error);
    }

    bool decode(QByteArrayView contents, Frame *frame, QString *error) const override
    {
        return IpcCodec::json()->decode(contents, frame, error);
    }
};
//! [custom]

void useCustom(IpcServer &server, IpcClient &client)
{
//! [register]
IpcCodec::registerCodec(std::make_shared<LengthPrefixedJsonCodec>());
server.setCodecName(QStringLiteral("json-lp"));  // both ends must agree
client.setCodecName(QStringLiteral("json-lp"));
//! [register]
}

void useCbor(IpcServer &server, IpcClient &client)
{
//! [cbor]
server.setCodec(IpcCodec::cbor());
client.setCodec(IpcCodec::cbor());
client.send(QStringLiteral("thumbnail"), QByteArray("\x89PNG...", 7));  // travels as bytes
//! [cbor]
}

}  // namespace snippets_ipccodec

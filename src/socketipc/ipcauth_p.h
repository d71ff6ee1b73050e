#ifndef IPCAUTH_P_H
#define IPCAUTH_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipccodec.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

// The shared-token handshake, in frames on the topic "socketipc.auth". The token never
// travels: each side proves it holds it with an HMAC-SHA256 over both sides' nonces, and the
// client sends nothing (not even its proof) before the server has challenged it.
//
//   server -> client  {"nonce": S}                   on accepting the connection
//   client -> server  {"nonce": C, "proof": P}       P = HMAC(token, "client" S C)
//   server -> client  {"proof": Q}                   Q = HMAC(token, "server" S C), or false
//
// Nonces and proofs are base64 text (32 random bytes; 32 bytes of HMAC), so that JSON and CBOR
// carry them alike. Node peers never take part: they have no tokens.
namespace IpcAuth {

inline constexpr QStringView Topic = u"socketipc.auth";

QByteArray newNonce();
QByteArray clientProof(const QString &token, const QByteArray &serverNonce,
                       const QByteArray &clientNonce);
QByteArray serverProof(const QString &token, const QByteArray &serverNonce,
                       const QByteArray &clientNonce);
// Takes as long whatever the mismatch: the time says nothing of the expected value.
bool sameBytes(const QByteArray &a, const QByteArray &b);

IpcCodec::Frame challenge(const QByteArray &serverNonce);
IpcCodec::Frame response(const QByteArray &clientNonce, const QByteArray &proof);
IpcCodec::Frame confirmation(const QByteArray &proof);
IpcCodec::Frame refusal();

bool isRefusal(const IpcCodec::Frame &frame);
// The bytes under key in an auth frame's message, or null when it has none (or not base64).
QByteArray field(const IpcCodec::Frame &frame, QLatin1StringView key);

}  // namespace IpcAuth

#endif  // IPCAUTH_P_H

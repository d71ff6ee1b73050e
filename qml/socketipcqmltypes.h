#ifndef SOCKETIPCQMLTYPES_H
#define SOCKETIPCQMLTYPES_H

// QML registration of the library's classes that QML uses as they are.

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcEndpoint>
#include <SocketIpc/IpcError>
#include <SocketIpc/IpcMessageModel>
#include <SocketIpc/IpcPeerCredentials>
#include <SocketIpc/IpcStatistics>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcSingleInstance>
#include <SocketIpc/IpcTlsSettings>
#include <SocketIpc/IpcTopic>

#include <QtQml/qqml.h>

struct IpcTopicForeign
{
    Q_GADGET
    QML_FOREIGN(IpcTopic)
    QML_NAMED_ELEMENT(IpcTopic)
};

struct IpcMessageModelForeign
{
    Q_GADGET
    QML_FOREIGN(IpcMessageModel)
    QML_NAMED_ELEMENT(IpcMessageModel)
};

// The C++ classes behind the QML IpcServer and IpcClient, so tools know their members.
struct IpcEndpointForeign
{
    Q_GADGET
    QML_FOREIGN(IpcEndpoint)
    QML_ANONYMOUS
};

struct IpcServerBaseForeign
{
    Q_GADGET
    QML_FOREIGN(IpcServer)
    QML_ANONYMOUS
};

struct IpcClientBaseForeign
{
    Q_GADGET
    QML_FOREIGN(IpcClient)
    QML_ANONYMOUS
};

struct IpcSingleInstanceBaseForeign
{
    Q_GADGET
    QML_FOREIGN(IpcSingleInstance)
    QML_ANONYMOUS
};

// What request() returns: reply.cancel(), reply.finished, reply.progress.
struct IpcReplyForeign
{
    Q_GADGET
    QML_FOREIGN(IpcReply)
    QML_NAMED_ELEMENT(IpcReply)
    QML_UNCREATABLE("IpcReply is returned by request()")
};

struct IpcPeerCredentialsForeign
{
    Q_GADGET
    QML_FOREIGN(IpcPeerCredentials)
    QML_VALUE_TYPE(ipcPeerCredentials)
};

// server.statistics(clientId).messagesReceived, client.statistics().reconnectCount.
struct IpcStatisticsForeign
{
    Q_GADGET
    QML_FOREIGN(IpcStatistics)
    QML_VALUE_TYPE(ipcStatistics)
};

// server.tls.certificateFile: "server.pem", and so on.
struct IpcTlsSettingsForeign
{
    Q_GADGET
    QML_FOREIGN(IpcTlsSettings)
    QML_VALUE_TYPE(ipcTlsSettings)
};

// IpcError.DecodeError and friends.
namespace IpcErrorForeign {
Q_NAMESPACE
QML_FOREIGN_NAMESPACE(IpcError)
QML_NAMED_ELEMENT(IpcError)
}  // namespace IpcErrorForeign

#endif  // SOCKETIPCQMLTYPES_H

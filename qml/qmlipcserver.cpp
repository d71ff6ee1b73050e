#include "qmlipcserver.h"

QmlIpcServer::QmlIpcServer(QObject *parent)
    : IpcServer(parent),
      QmlEndpoint(this,
                  {[this] { return isListening(); }, [this] { listen(); },
                   [this] { emit activeChanged(); }})
{ }

bool QmlIpcServer::send(const QString &topic, const QJSValue &message, const QString &clientId)
{
    return IpcServer::send(topic, toValue(message), clientId);
}

void QmlIpcServer::broadcast(const QString &topic, const QJSValue &message)
{
    IpcServer::broadcast(topic, toValue(message));
}

void QmlIpcServer::request(const QString &topic, const QJSValue &message, const QString &clientId,
                           const QJSValue &callback, int timeoutMsecs)
{
    whenFinished(IpcServer::request(topic, toValue(message), clientId, timeoutMsecs), callback);
}

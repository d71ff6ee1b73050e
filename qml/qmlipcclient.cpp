#include "qmlipcclient.h"

QmlIpcClient::QmlIpcClient(QObject *parent)
    : IpcClient(parent),
      QmlEndpoint(this,
                  {[this] { return state() == State::Connecting || state() == State::Connected; },
                   [this] { connectToServer(); }, [this] { emit activeChanged(); }})
{ }

bool QmlIpcClient::send(const QString &topic, const QJSValue &message)
{
    return IpcClient::send(topic, toValue(message));
}

void QmlIpcClient::request(const QString &topic, const QJSValue &message, const QJSValue &callback,
                           int timeoutMsecs)
{
    whenFinished(IpcClient::request(topic, toValue(message), timeoutMsecs), callback);
}

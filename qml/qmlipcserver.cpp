#include "qmlipcserver.h"

#include "qmlrequests.h"
#include "qmlvalue.h"

#include <QtQml/qjsengine.h>

QmlIpcServer::QmlIpcServer(QObject *parent) : IpcServer(parent)
{
    // A new path while listening: move there.
    connect(this, &IpcServer::socketPathChanged, this, [this] {
        if (m_complete && m_active && isListening()) {
            close();
            listen();
        }
    });
}

void QmlIpcServer::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    emit activeChanged();
    apply();
}

void QmlIpcServer::componentComplete()
{
    m_complete = true;
    apply();
}

bool QmlIpcServer::send(const QString &topic, const QJSValue &message, const QString &clientId)
{
    return IpcServer::send(topic, plainValue(qjsEngine(this), message), clientId);
}

void QmlIpcServer::broadcast(const QString &topic, const QJSValue &message)
{
    IpcServer::broadcast(topic, plainValue(qjsEngine(this), message));
}

void QmlIpcServer::apply()
{
    if (!m_complete)
        return;
    if (m_active && !isListening())
        listen();
    else if (!m_active)
        close();
}

void QmlIpcServer::handle(const QString &topic, const QJSValue &function)
{
    if (!function.isCallable()) {
        removeHandler(topic);
        return;
    }
    setRequestHandler(topic, this, javaScriptHandler(this, function));
}

void QmlIpcServer::request(const QString &topic, const QJSValue &message, const QString &clientId,
                           const QJSValue &callback, int timeoutMsecs)
{
    callWhenFinished(
            IpcServer::request(topic, plainValue(qjsEngine(this), message), clientId, timeoutMsecs),
            callback);
}

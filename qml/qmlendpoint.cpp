#include "qmlendpoint.h"

#include "qmlrequests.h"
#include "qmlvalue.h"

#include <QtQml/qjsengine.h>

QmlEndpoint::QmlEndpoint(IpcEndpoint *endpoint, Lifecycle lifecycle)
    : m_endpoint(endpoint), m_lifecycle(std::move(lifecycle))
{
    // A new address while active: move there.
    QObject::connect(endpoint, &IpcEndpoint::addressChanged, endpoint, [this] {
        if (m_complete && m_active && m_lifecycle.isRunning()) {
            m_endpoint->close();
            m_lifecycle.start();
        }
    });
}

void QmlEndpoint::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    m_lifecycle.activeChanged();
    apply();
}

void QmlEndpoint::componentComplete()
{
    m_complete = true;
    apply();
}

void QmlEndpoint::apply()
{
    if (!m_complete)
        return;
    const bool running = m_lifecycle.isRunning();
    if (m_active && !running)
        m_lifecycle.start();
    else if (!m_active && running)
        m_endpoint->close();
}

QVariant QmlEndpoint::toValue(const QJSValue &message) const
{
    return plainValue(qjsEngine(m_endpoint), message);
}

void QmlEndpoint::handle(const QString &topic, const QJSValue &function)
{
    if (!function.isCallable()) {
        m_endpoint->removeHandler(topic);
        return;
    }
    m_endpoint->setRequestHandler(topic, m_endpoint, javaScriptHandler(m_endpoint, function));
}

IpcReply *QmlEndpoint::whenFinished(IpcReply *reply, const QJSValue &callback,
                                    const QJSValue &progress)
{
    callWhenFinished(reply, callback, progress.isCallable() ? progress : QJSValue());
    // Not JavaScript's to collect: it deletes itself once finished.
    QJSEngine::setObjectOwnership(reply, QJSEngine::CppOwnership);
    return reply;
}

int QmlEndpoint::timeoutOf(const QJSValue &progressOrTimeout, int timeoutMsecs)
{
    return progressOrTimeout.isNumber() ? progressOrTimeout.toInt() : timeoutMsecs;
}

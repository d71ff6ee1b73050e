#include "qmlrequests.h"

#include "qmlvalue.h"

#include <QtQml/qjsengine.h>

namespace {

QString describe(const QJSValue &error)
{
    // An Error object says what in "message"; anything else thrown speaks for itself.
    const QJSValue message = error.property(QStringLiteral("message"));
    return message.isString() ? message.toString() : error.toString();
}

// Settles a request when a promise returned by its handler does.
class PendingAnswer : public QObject
{
    Q_OBJECT
public:
    explicit PendingAnswer(const IpcRequest &request) : m_request(request) { }

    Q_INVOKABLE void resolve(const QJSValue &value)
    {
        m_request.reply(plainValue(value.toVariant()));
        deleteLater();
    }
    Q_INVOKABLE void reject(const QJSValue &error)
    {
        m_request.fail(describe(error));
        deleteLater();
    }

private:
    IpcRequest m_request;
};

}  // namespace

void callWhenFinished(IpcReply *reply, const QJSValue &callback)
{
    QObject::connect(reply, &IpcReply::finished, reply, [reply, callback]() mutable {
        reply->deleteLater();
        if (!callback.isCallable())
            return;
        QJSEngine *engine = qjsEngine(reply->parent());
        if (!engine)
            return;
        QJSValueList arguments{engine->toScriptValue(reply->value())};
        if (reply->error() != IpcError::NoError)
            arguments << QJSValue(reply->errorString()) << QJSValue(int(reply->error()));
        const QJSValue result = callback.call(arguments);
        if (result.isError())
            engine->throwError(result);  // reported by the engine, as any JS error
    });
}

std::function<void(IpcRequest &)> javaScriptHandler(QObject *owner, const QJSValue &function)
{
    return [owner, function](IpcRequest &request) mutable {
        QJSEngine *engine = qjsEngine(owner);
        if (!engine) {
            request.fail(QStringLiteral("the QML handler is gone"));
            return;
        }
        const QJSValue result = function.call(
                {engine->toScriptValue(request.message()), QJSValue(request.clientId())});
        if (result.isError()) {
            request.fail(describe(result));
            return;
        }
        const QJSValue then = result.property(QStringLiteral("then"));
        if (result.isObject() && then.isCallable()) {
            auto *answer = new PendingAnswer(request);
            QJSEngine::setObjectOwnership(answer, QJSEngine::CppOwnership);
            const QJSValue wrapper = engine->newQObject(answer);
            then.callWithInstance(result,
                                  {wrapper.property(QStringLiteral("resolve")),
                                   wrapper.property(QStringLiteral("reject"))});
            return;
        }
        request.reply(plainValue(result.toVariant()));
    };
}

#include "qmlrequests.moc"

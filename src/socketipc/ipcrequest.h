#ifndef IPCREQUEST_H
#define IPCREQUEST_H

#include "socketipcglobal.h"

#include <QtCore/qmetatype.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <memory>
#include <type_traits>

class IpcRequestPrivate;
class IpcRequestBroker;

class SOCKETIPC_EXPORT IpcRequest
{
public:
    IpcRequest();
    IpcRequest(const IpcRequest &other);
    IpcRequest(IpcRequest &&other) noexcept;
    IpcRequest &operator=(const IpcRequest &other);
    IpcRequest &operator=(IpcRequest &&other) noexcept;
    ~IpcRequest();

    bool isValid() const;
    QString topic() const;
    QVariant message() const;
    QString clientId() const;
    bool isAnswered() const;

    bool reply(const QVariant &value);
    bool fail(const QString &description);

    bool sendProgress(const QVariant &value);
    bool isCancelled() const;
    void onCancelled(const QObject *context, std::function<void()> functor);

    static QVariant error(const QString &description);
    static bool isError(const QVariant &value);

private:
    friend class IpcRequestBroker;
    std::shared_ptr<IpcRequestPrivate> d;
};

Q_DECLARE_METATYPE(IpcRequest)

namespace IpcPrivate {

template<typename Result>
QVariant toVariant(Result &&result)
{
    if constexpr (std::is_convertible_v<Result, QVariant>)
        return QVariant(std::forward<Result>(result));
    else
        return QVariant::fromValue(std::forward<Result>(result));
}

// The forms of a request handler, as one function on an IpcRequest.
template<typename Handler>
std::function<void(IpcRequest &)> requestHandler(Handler &&handler)
{
    using H = std::decay_t<Handler>;
    if constexpr (std::is_invocable_v<H &, IpcRequest &>) {
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable { h(request); };
    } else if constexpr (std::is_invocable_v<H &, const QVariant &, const QString &>) {
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable {
            using R = std::invoke_result_t<H &, const QVariant &, const QString &>;
            if constexpr (std::is_void_v<R>) {
                h(request.message(), request.clientId());
                request.reply(QVariant::fromValue(nullptr));
            } else {
                request.reply(toVariant(h(request.message(), request.clientId())));
            }
        };
    } else {
        static_assert(std::is_invocable_v<H &, const QVariant &>,
                      "a request handler takes (IpcRequest &), (const QVariant &message, "
                      "const QString &clientId) or (const QVariant &message)");
        return [h = H(std::forward<Handler>(handler))](IpcRequest &request) mutable {
            using R = std::invoke_result_t<H &, const QVariant &>;
            if constexpr (std::is_void_v<R>) {
                h(request.message());
                request.reply(QVariant::fromValue(nullptr));
            } else {
                request.reply(toVariant(h(request.message())));
            }
        };
    }
}

}  // namespace IpcPrivate

#endif  // IPCREQUEST_H

#ifndef IPCREPLY_H
#define IPCREPLY_H

#include "ipcerror.h"
#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <memory>
#include <utility>

class IpcReplyPrivate;
class IpcRequestBroker;

class SOCKETIPC_EXPORT IpcReply : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcReply)
    Q_PROPERTY(QString topic READ topic CONSTANT)
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
    Q_PROPERTY(QVariant value READ value NOTIFY finished)
    Q_PROPERTY(IpcError::Error error READ error NOTIFY finished)
    Q_PROPERTY(QString errorString READ errorString NOTIFY finished)
public:
    ~IpcReply() override;

    QString topic() const;
    bool isFinished() const;
    QVariant value() const;
    IpcError::Error error() const;
    QString errorString() const;

    Q_INVOKABLE void cancel();

Q_SIGNALS:
    void progress(const QVariant &value);
    void finished();

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    explicit IpcReply(const QString &topic, QObject *parent);
    friend class IpcReplyPrivate;
    friend class IpcRequestBroker;
    std::unique_ptr<IpcReplyPrivate> d;
};

namespace IpcPrivate {

// Calls functor(const IpcReply &) once reply has finished, while context lives, then deletes
// the reply: the body of the request() overloads that take a functor.
template<typename Functor>
void onFinished(IpcReply *reply, const QObject *context, Functor &&functor)
{
    QObject::connect(reply, &IpcReply::finished, context,
                     [reply, f = std::decay_t<Functor>(std::forward<Functor>(functor))]() mutable {
                         f(std::as_const(*reply));
                     });
    QObject::connect(reply, &IpcReply::finished, reply, &QObject::deleteLater);
}

}  // namespace IpcPrivate

#endif  // IPCREPLY_H

#include "ipcreply.h"
#include "ipcrequest_p.h"

#include <QtCore/qcoreevent.h>

IpcReply::IpcReply(const QString &topic, QObject *parent)
    : QObject(parent), d(std::make_unique<IpcReplyPrivate>())
{
    d->topic = topic;
}

IpcReply::~IpcReply()
{
    if (d->broker)
        d->broker->forget(this);
}

QString IpcReply::topic() const
{
    return d->topic;
}

bool IpcReply::isFinished() const
{
    return d->finished;
}

QVariant IpcReply::value() const
{
    return d->value;
}

IpcError::Error IpcReply::error() const
{
    return d->error;
}

QString IpcReply::errorString() const
{
    return d->errorString;
}

void IpcReply::cancel()
{
    if (d->finished || d->finishing || !d->broker)
        return;
    d->broker->sendCancel(this);
    d->broker->failLater(this, IpcError::CancelledError,
                         QStringLiteral("the request \"%1\" was cancelled").arg(d->topic));
}

void IpcReply::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != d->timeout.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    d->timeout.stop();
    if (d->broker && !d->finishing) {
        d->broker->sendCancel(this);  // the peer may stop working on it
        d->broker->finish(this, {}, IpcError::TimeoutError,
                          QStringLiteral("no reply to \"%1\" within the timeout").arg(d->topic));
    }
}

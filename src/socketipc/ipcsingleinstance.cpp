#include "ipcsingleinstance.h"

#include "ipcclient.h"
#include "ipcserver.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdir.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qpointer.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qtimer.h>

#include <algorithm>

namespace {

const QLatin1String ArgumentsKey("arguments");
const QLatin1String WorkingDirectoryKey("workingDirectory");
// A primary may be gone (or closing) while another launch is binding the socket: wait a
// little longer each time before the next election.
constexpr int ElectionPauseMs = 10;

// Lets the event loop run for msecs.
void pause(int msecs)
{
    QEventLoop loop;
    QTimer::singleShot(msecs, &loop, &QEventLoop::quit);
    loop.exec();
}

}  // namespace

class IpcSingleInstancePrivate
{
public:
    enum class Outcome { Activated, Gone, Failed };
    struct Attempt
    {
        Outcome outcome = Outcome::Failed;
        QString why;
    };

    explicit IpcSingleInstancePrivate(IpcSingleInstance *q) : q(q) { }

    bool listen();
    void onActivate(IpcRequest &request);
    // Static: q may be deleted by a slot that the local event loop runs.
    static Attempt tryActivate(const QString &address, const QVariantMap &launch,
                               const QDeadlineTimer &deadline);

    IpcSingleInstance *q;
    QString name;
    QString address;
    QString errorString;
    IpcServer *server = nullptr;
    IpcClient *client = nullptr;
    bool elected = false;
    bool closing = false;
};

// Becomes the primary if listen() wins; errorString says why not, unless a live primary (or a
// process starting to be one) holds the address.
bool IpcSingleInstancePrivate::listen()
{
    auto *candidate = new IpcServer(q);
    if (!candidate->listen(address)) {
        errorString = candidate->error() == IpcError::AddressInUseError ? QString()
                                                                        : candidate->errorString();
        delete candidate;
        return false;
    }
    server = candidate;
    errorString.clear();
    delete client;  // a secondary's, made before it took over
    client = nullptr;
    server->handle(IpcSingleInstance::activateTopic(), q,
                   [this](IpcRequest &request) { onActivate(request); });
    return true;
}

void IpcSingleInstancePrivate::onActivate(IpcRequest &request)
{
    if (closing) {
        // The sender elects again instead of handing its arguments to a process that quits.
        request.fail(QStringLiteral("the primary is closing"));
        return;
    }
    const QVariantMap launch = request.message().toMap();
    const QVariant arguments = launch.value(ArgumentsKey);
    const QVariant workingDirectory = launch.value(WorkingDirectoryKey);
    if (arguments.typeId() != QMetaType::QVariantList
        || workingDirectory.typeId() != QMetaType::QString) {
        request.fail(QStringLiteral("expected {arguments: [string], workingDirectory: string}"));
        return;
    }
    IpcRequest answer = request;  // a slot may destroy q, and this with it
    emit q->activated(arguments.toStringList(), workingDirectory.toString());
    answer.reply(true);
}

IpcSingleInstancePrivate::Attempt
IpcSingleInstancePrivate::tryActivate(const QString &address, const QVariantMap &launch,
                                      const QDeadlineTimer &deadline)
{
    QEventLoop loop;
    IpcClient attempt;  // destroyed before the loop, with its reply
    Attempt result;
    bool done = false;
    const auto finish = [&](Outcome outcome, const QString &why) {
        if (done)
            return;
        done = true;
        result = {outcome, why};
        loop.quit();
    };

    const QString silence = QStringLiteral("the primary at %1 did not answer").arg(address);
    QObject::connect(&attempt, &IpcClient::connectError, &loop, [&](const QString &why) {
        finish(Outcome::Gone, why);  // no socket, or a dead primary's: elect again
    });
    QObject::connect(&attempt, &IpcClient::connected, &loop, [&] {
        // 0: no limit, for a deadline that never comes.
        const int remaining =
                deadline.isForever() ? 0 : int(std::max<qint64>(1, deadline.remainingTime()));
        attempt.request(
                IpcSingleInstance::activateTopic(), launch, &loop,
                [&](const IpcReply &reply) {
                    switch (reply.error()) {
                    case IpcError::NoError: return finish(Outcome::Activated, {});
                    case IpcError::TimeoutError: return finish(Outcome::Failed, silence);
                    case IpcError::DisconnectedError:  // it quit or crashed meanwhile
                    case IpcError::HandlerError:       // it is closing
                        return finish(Outcome::Gone, reply.errorString());
                    default: return finish(Outcome::Failed, reply.errorString());
                    }
                },
                remaining);
    });
    if (!deadline.isForever()) {
        QTimer::singleShot(std::max<qint64>(0, deadline.remainingTime()), &loop,
                           [&] { finish(Outcome::Failed, silence); });
    }
    attempt.connectToServer(address);
    loop.exec();
    return result;
}

IpcSingleInstance::IpcSingleInstance(const QString &name, QObject *parent)
    : IpcSingleInstance(parent)
{
    elect(name);
}

IpcSingleInstance::IpcSingleInstance(QObject *parent)
    : QObject(parent), d(std::make_unique<IpcSingleInstancePrivate>(this))
{ }

IpcSingleInstance::~IpcSingleInstance() = default;

bool IpcSingleInstance::elect(const QString &name)
{
    if (d->elected) {
        qWarning("IpcSingleInstance: the election for %s has taken place already",
                 qUtf8Printable(d->name));
        return isPrimary();
    }
    d->elected = true;
    d->name = name;
    // A bare name is passed on as it is: IpcServer and IpcClient resolve it alike.
    d->address = name;
    d->listen();
    // Whatever the outcome: address (and in QML primary) changed from before the election.
    emit primaryChanged();
    if (!d->errorString.isEmpty())
        emit errorStringChanged();
    return isPrimary();
}

bool IpcSingleInstance::hasElected() const
{
    return d->elected;
}

QString IpcSingleInstance::name() const
{
    return d->name;
}

QString IpcSingleInstance::address() const
{
    if (d->server && d->server->isListening())
        return d->server->listeningAddress();
    return d->address;
}

bool IpcSingleInstance::isPrimary() const
{
    return d->server && !d->closing;
}

QString IpcSingleInstance::errorString() const
{
    return d->errorString;
}

IpcServer *IpcSingleInstance::server() const
{
    return d->server;
}

IpcClient *IpcSingleInstance::client()
{
    if (d->server || !d->elected)
        return nullptr;
    if (!d->client) {
        d->client = new IpcClient(this);
        d->client->connectToServer(d->address);
    }
    return d->client;
}

QString IpcSingleInstance::activateTopic()
{
    return QStringLiteral("socketipc.activate");
}

bool IpcSingleInstance::activatePrimary(const QStringList &arguments, int timeoutMsecs)
{
    QPointer<IpcSingleInstance> self(this);  // a slot run by the local loops may delete us
    const QString errorBefore = d->errorString;
    const auto notifyError = qScopeGuard([&] {
        if (self && d->errorString != errorBefore)
            emit errorStringChanged();
    });
    if (!d->elected || d->server) {
        d->errorString = d->elected ? QStringLiteral("this process is the primary")
                                    : QStringLiteral("no name was given");
        return false;
    }
    const QVariantMap launch{{ArgumentsKey, arguments}, {WorkingDirectoryKey, QDir::currentPath()}};
    const QDeadlineTimer deadline = timeoutMsecs < 0 ? QDeadlineTimer(QDeadlineTimer::Forever)
                                                     : QDeadlineTimer(timeoutMsecs);
    for (int election = 1;; ++election) {
        const auto attempt = IpcSingleInstancePrivate::tryActivate(d->address, launch, deadline);
        if (!self)
            return false;
        d->errorString = attempt.why;
        if (attempt.outcome == IpcSingleInstancePrivate::Outcome::Activated)
            return true;
        if (attempt.outcome == IpcSingleInstancePrivate::Outcome::Failed)
            return false;
        if (d->listen()) {
            emit primaryChanged();
            return false;
        }
        if (!d->errorString.isEmpty())
            return false;  // an unusable address: no election can be won
        // Another process holds the address: a live primary we just missed, one that is
        // closing, or one that is still starting. Give it a moment.
        if (deadline.hasExpired()) {
            d->errorString = QStringLiteral("no primary took the arguments within %1 ms (%2)")
                                     .arg(timeoutMsecs)
                                     .arg(attempt.why);
            return false;
        }
        const qint64 pauseMs = ElectionPauseMs * qint64(election);
        pause(int(deadline.isForever() ? pauseMs : std::min(pauseMs, deadline.remainingTime())));
        if (!self)
            return false;
    }
}

void IpcSingleInstance::close()
{
    if (d->client)
        d->client->close();
    if (!d->server || d->closing)
        return;
    d->closing = true;
    // After the answer an activated() slot is running for (if any) has been written: the
    // server ends its connections once their output is out.
    QMetaObject::invokeMethod(d->server, &IpcServer::close, Qt::QueuedConnection);
    emit primaryChanged();
}

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

/*!
    \class IpcSingleInstance
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcSingleInstance
    \brief The \l [CPP] {IpcSingleInstance} class keeps one primary process per name: later launches
    hand their
    command line to it and exit.

    An editor, a viewer, a tray tool: the first launch should open the window, and every later
    launch should hand its arguments and working directory to that one and exit. The first process
    to construct an \l [CPP] {IpcSingleInstance} of a name becomes the primary; the others are
    secondaries, which call activatePrimary():

    \snippet ipcsingleinstance.cpp main

    \section1 The election

    The election is \l [CPP] {IpcServer::listen()} on the name's address, run in the constructor,
    without an event loop (a QCoreApplication must exist). A socket file left by a primary that died
    (\c SIGKILL, power loss) is removed, and of launches started at the same moment exactly one
    wins: the library binds under a lock file beside the socket, and the others get
    \l [CPP] {IpcError::Error}{AddressInUseError} and are secondaries. No shared memory is involved.

    The address is the name: a socket path when it contains \c /, else a service name, a socket of
    this user and session (\c {$XDG_RUNTIME_DIR/org.example.editor}; inside Flatpak the app's
    directory, which the host sees too), so that only this user's launches meet. See
    \l {Addresses, Service Names and Transports}.

    Being the primary lasts until close() or destruction. A secondary becomes the primary only in
    activatePrimary(), when it finds the primary gone (primaryChanged() then).

    \section1 Activation

    activatePrimary() sends the arguments and \c {QDir::currentPath()} as a request on the reserved
    topic activateTopic() and waits for the answer in a local event loop: it blocks, so call it at
    start-up, before showing a window. The primary emits activated() with them (raise the window
    there) and answers once the connected slots have returned; then activatePrimary() returns true.

    A primary that vanished between the election and activatePrimary() (it crashed, quit, or was
    close()d) is not an error: activatePrimary() runs the election again, until its timeout. If
    another launch wins, the arguments go to that one; if this one wins, activatePrimary() returns
    false with isPrimary() now true (and primaryChanged()), and the program carries on as the
    primary, with its own arguments. False with isPrimary() false is a real failure: errorString()
    says why (a primary that never answered, an unusable address).

    A primary about to quit calls close(): the activations it has not yet taken are refused, so that
    their senders elect a new primary instead of handing their arguments to a process that exits,
    and its server closes once the answers already given are written.

    \snippet ipcsingleinstance.cpp close

    \section1 Beyond activation

    The two talk through the ordinary API: server() is the primary's \l [CPP] {IpcServer} (null on a
    secondary), client() a secondary's \l [CPP] {IpcClient}, connected to the primary on first use
    (null on the primary). Topics starting with \c socketipc. are reserved.

    \snippet ipcsingleinstance.cpp beyond

    In QML the name is a property, so the election runs once the component is complete; see the
    \l [QML] {IpcSingleInstance} QML type. \c examples/singleinstance is a console tool built on it,
    \c examples/singleinstance-widgets a Qt Widgets editor window that lists the launches forwarded
    to it.

    \sa {SocketIpc Examples}
*/

/*!
    \variable IpcSingleInstance::DefaultActivateTimeout

    The default timeout of activatePrimary(): 5000 milliseconds.
*/

/*!
    \property IpcSingleInstance::name
    \brief the name given: a socket path if it contains \c /, else a bare name, a service name.

    \l [CPP] {IpcServer} and \l [CPP] {IpcClient} resolve a bare name to the same address. Empty
    until the election (in QML, until the component is complete).
*/

/*!
    \property IpcSingleInstance::primary
    \brief whether this process is the primary.

    Set by the election. It becomes true in activatePrimary() when the primary was gone and this
    process won the election, and false on close(). The C++ getter is isPrimary().
*/

/*!
    \property IpcSingleInstance::address
    \brief where the primary listens.

    On the primary, \l [CPP] {IpcServer::}{listeningAddress} of server(); elsewhere the address a
    secondary connects to, the name. Notified with primaryChanged().
*/

/*!
    \property IpcSingleInstance::errorString
    \brief why this process is neither the primary nor activated it; empty otherwise.

    Set when another error than a live primary lost the election (an unusable address, such as a
    directory that does not exist), or when activatePrimary() failed (a primary that did not answer
    within the timeout, no usable address, or this process being the primary).
*/

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn void IpcSingleInstance::activated(const QStringList &arguments, const QString &workingDirectory)

    Emitted on the primary for each activatePrimary() of a secondary, with the \a arguments it
    passed (by default its QCoreApplication::arguments(), \c argv[0] first) and its
    \a workingDirectory. The secondary gets its answer once the connected slots have returned.
*/
// clang-format on

/*!
    \fn void IpcSingleInstance::primaryChanged()

    Emitted after the election (whatever its outcome: \l address and, in QML, \l primary are known
    then), when activatePrimary() made this process the primary, and on close().
*/

/*!
    \fn void IpcSingleInstance::errorStringChanged()

    Emitted when \l errorString changes.
*/

/*!
    Runs the election for \a name, a child of \a parent: this process becomes the primary, or a
    secondary.

    \a name is a socket path if it contains \c /, else a bare name, which \l [CPP] {IpcServer} and
    \l [CPP] {IpcClient} resolve to the same address. A QCoreApplication must exist; no event loop
    is needed.
*/
IpcSingleInstance::IpcSingleInstance(const QString &name, QObject *parent)
    : IpcSingleInstance(parent)
{
    elect(name);
}

/*!
    Constructs an instance without a name, a child of \a parent, for subclasses that learn the name
    later, such as the QML type: nothing happens until elect().
*/
IpcSingleInstance::IpcSingleInstance(QObject *parent)
    : QObject(parent), d(std::make_unique<IpcSingleInstancePrivate>(this))
{ }

/*!
    Destroys the instance. On the primary the server goes with it, and so does its socket file: this
    process stops being the primary, without the refusals of close().
*/
IpcSingleInstance::~IpcSingleInstance() = default;

/*!
    Runs the election for \a name, once, and returns isPrimary(). For subclasses constructed without
    a name. Emits primaryChanged() whatever the outcome. A second call changes nothing: it warns and
    returns isPrimary().
*/
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

/*!
    Returns whether the election has taken place (elect() was called).
*/
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

/*!
    Returns the primary's server, to \l [CPP] {IpcEndpoint::}{handle()} requests and send to
    secondaries as with any \l [CPP] {IpcServer}; null on a secondary. Requests on topics starting
    with \c socketipc. are reserved.

    After close() it still returns the server, which closes.

    \sa client()
*/
IpcServer *IpcSingleInstance::server() const
{
    return d->server;
}

/*!
    Returns a secondary's client, connected to the primary on first use (and reconnecting, as any
    \l [CPP] {IpcClient} does); the same client on later calls. Null on the primary, on an instance
    that was the primary (close()d), and before the election.

    \sa server()
*/
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

/*!
    Returns the topic of activatePrimary()'s request, \c socketipc.activate. Its message is
    \c {{"arguments": [string], "workingDirectory": string}}, answered with \c true; a message of
    another shape is answered with a \l [CPP] {IpcError::Error}{HandlerError}.
*/
QString IpcSingleInstance::activateTopic()
{
    return QStringLiteral("socketipc.activate");
}

/*!
    On a secondary: sends \a arguments and \c {QDir::currentPath()} to the primary, which emits
    activated() with them, and waits in a local event loop (blocking the caller) until the primary
    has answered. Returns whether the primary took them.

    If the primary is gone (it crashed, or quit or was close()d since the election), runs the
    election again, and again, until \a timeoutMsecs have passed: another secondary may have won
    meanwhile, and then gets the arguments. When this process wins, returns false with isPrimary()
    true (primaryChanged() emitted): it is the primary now, and its own arguments are its to handle.
    False with isPrimary() false: errorString() says why (the primary did not answer in time, or the
    address is unusable). \a timeoutMsecs -1 sets no limit.

    On the primary, returns false at once (errorString() says that this process is the primary); so
    it does before the election.

    Slots that the local event loop runs may delete this object; it returns false then.
*/
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

/*!
    The primary stops being it: the activations it has not yet read are refused (their senders elect
    a new primary), the socket file goes once the answers already given are written, and isPrimary()
    becomes false (primaryChanged()). For a primary about to quit; destroying the object ends it
    too, without the refusals.

    On a secondary, closes client().
*/
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

// socketipc-singleinstance: the first launch becomes the primary and listens on a per-user
// socket; every later launch forwards its arguments and working directory to the primary,
// waits for the primary to acknowledge them, and exits 0.
//
// Usage: socketipc-singleinstance [--name NAME] [--quit-after N] [--] [ARG...]
//   --name NAME      scope the instance: the socket is <runtime dir>/NAME.sock
//   --quit-after N   as the primary, exit once N later launches have been forwarded
// The primary prints one JSON line per launch on stdout (its own first): args, cwd, pid.
// Status lines go to stderr.

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtimer.h>

#include <cstdio>

static constexpr int RequestTimeoutMs = 5000;
// A primary may quit while we connect, or be still starting (listen() does not wait for a
// launch that is binding the socket at this moment): try again, a little later each time.
static constexpr int MaxElections = 40;
static constexpr int ElectionPauseMs = 10;  // times the elections so far: 8 s in all

static void status(const QString &line)
{
    std::fprintf(stderr, "socketipc-singleinstance: %s\n", qPrintable(line));
    std::fflush(stderr);
}

class SingleInstance : public QObject
{
public:
    SingleInstance(const QString &name, int quitAfter, const QStringList &args)
        : m_quitAfter(quitAfter),
          m_launch{{QStringLiteral("args"), args}, {QStringLiteral("cwd"), QDir::currentPath()}}
    {
        // $XDG_RUNTIME_DIR, or a private /tmp/runtime-$USER (0700, owner checked) without it.
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
        m_socketPath = dir + QLatin1Char('/') + name + QStringLiteral(".sock");
    }

    // Becomes the primary if no live primary answers on the socket, else forwards to it.
    void elect()
    {
        if (++m_elections > MaxElections)
            return fail(QStringLiteral("no primary could be reached or become one"));

        // listen() is the election: it removes a socket file left by a crashed primary, and
        // of launches that listen at once exactly one wins (the others get AddressInUseError).
        if (m_server.listen(m_socketPath))
            return becomePrimary();
        if (m_server.error() != IpcError::AddressInUseError)
            return fail(m_server.errorString());
        forward();
    }

private:
    void becomePrimary()
    {
        status(QStringLiteral("primary, listening on %1").arg(m_socketPath));
        QVariantMap own = m_launch;
        own.insert(QStringLiteral("pid"), QCoreApplication::applicationPid());
        printLaunch(own);

        // A request, not a plain message: the secondary exits only once we have the launch.
        m_server.handle(QStringLiteral("launch"), this,
                        [this](const QVariant &message, const QString &clientId) -> QVariant {
                            return onLaunch(message.toMap(), clientId);
                        });
        connect(&m_server, &IpcServer::closed, qApp, [] { QCoreApplication::exit(0); });
    }

    QVariant onLaunch(QVariantMap launch, const QString &clientId)
    {
        if (m_quitAfter > 0 && m_forwarded >= m_quitAfter)
            return IpcRequest::error(QStringLiteral("the primary is quitting"));
        if (launch.value(QStringLiteral("args")).typeId() != QMetaType::QVariantList
            || launch.value(QStringLiteral("cwd")).typeId() != QMetaType::QString)
            return IpcRequest::error(QStringLiteral("expected {args: [string], cwd: string}"));
        // The kernel's word on who is asking, not the sender's.
        launch.insert(QStringLiteral("pid"), m_server.peerCredentials(clientId).pid());
        printLaunch(launch);

        if (m_quitAfter > 0 && ++m_forwarded == m_quitAfter) {
            // After this reply is written: close() ends connections once their output is out.
            QMetaObject::invokeMethod(&m_server, &IpcServer::close, Qt::QueuedConnection);
        }
        return QVariantMap{{QStringLiteral("pid"), QCoreApplication::applicationPid()}};
    }

    void forward()
    {
        // A fresh client per attempt: if the primary vanishes, we elect again from scratch.
        auto *client = new IpcClient(this);
        const auto electAgain = [this, client](const QString &why) {
            if (client->state() == IpcClient::State::Closed)
                return;  // this attempt has given up already (a failed connect, then its reply)
            status(QStringLiteral("%1; trying again").arg(why));
            client->close();
            client->deleteLater();
            QTimer::singleShot(ElectionPauseMs * m_elections, this, [this] { elect(); });
        };
        connect(client, &IpcClient::connectError, this, [electAgain](const QString &why) {
            electAgain(QStringLiteral("the primary went away (%1)").arg(why));
        });
        connect(client, &IpcClient::connected, this, [this, client, electAgain] {
            client->request(
                    QStringLiteral("launch"), m_launch, this,
                    [electAgain](const IpcReply &reply) {
                        switch (reply.error()) {
                        case IpcError::NoError:
                            status(QStringLiteral("forwarded to the primary (pid %1)")
                                           .arg(reply.value()
                                                        .toMap()
                                                        .value(QStringLiteral("pid"))
                                                        .toLongLong()));
                            return QCoreApplication::exit(0);
                        case IpcError::DisconnectedError:  // the primary quit meanwhile
                        case IpcError::HandlerError:       // it is quitting
                            return electAgain(reply.errorString());
                        default: return fail(reply.errorString());
                        }
                    },
                    RequestTimeoutMs);
        });
        client->connectToServer(m_socketPath);
    }

    static void printLaunch(const QVariantMap &launch)
    {
        const QByteArray line =
                QJsonDocument(QJsonObject::fromVariantMap(launch)).toJson(QJsonDocument::Compact);
        std::printf("%s\n", line.constData());
        std::fflush(stdout);  // before the reply: whoever waits on the secondary sees the line
    }

    static void fail(const QString &why)
    {
        status(QStringLiteral("error: %1").arg(why));
        QCoreApplication::exit(1);
    }

    IpcServer m_server;
    QString m_socketPath;
    int m_quitAfter;
    int m_forwarded = 0;
    int m_elections = 0;
    QVariantMap m_launch;
};

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QString name = QStringLiteral("socketipc-singleinstance");
    int quitAfter = 0;
    QStringList args = QCoreApplication::arguments().mid(1);
    while (args.size() >= 2) {
        if (args.first() == QLatin1String("--name"))
            name = args.at(1);
        else if (args.first() == QLatin1String("--quit-after"))
            quitAfter = args.at(1).toInt();
        else
            break;
        args.remove(0, 2);
    }
    if (!args.isEmpty() && args.first() == QLatin1String("--"))
        args.removeFirst();
    if (name.isEmpty() || name.contains(QLatin1Char('/'))) {
        std::fputs("usage: socketipc-singleinstance [--name NAME] [--quit-after N] [--] "
                   "[ARG...]\n",
                   stderr);
        return 2;
    }

    SingleInstance instance(name, quitAfter, args);
    QMetaObject::invokeMethod(
            &instance, [&instance] { instance.elect(); }, Qt::QueuedConnection);
    return QCoreApplication::exec();
}

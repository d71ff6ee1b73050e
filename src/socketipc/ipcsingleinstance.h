#ifndef IPCSINGLEINSTANCE_H
#define IPCSINGLEINSTANCE_H

#include "socketipcglobal.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qobject.h>
#include <QtCore/qstringlist.h>

#include <memory>

class IpcClient;
class IpcServer;
class IpcSingleInstancePrivate;

// One primary process per name: the first launch becomes the primary, later ones hand their
// arguments and working directory to it and exit.
//     IpcSingleInstance instance(QStringLiteral("org.example.editor"));
//     if (!instance.isPrimary() && instance.activatePrimary())
//         return 0;  // the primary took our arguments
//     // the primary (see activatePrimary() for the case it vanished): connect to activated()
// The election is IpcServer::listen() on the name's address: a socket file left by a dead
// primary is removed, and of processes that start at the same moment exactly one wins. It
// happens in the constructor, without an event loop (a QCoreApplication must exist).
// Being the primary lasts until close() or destruction; a secondary becomes the primary only
// in activatePrimary(), when it finds the primary gone (primaryChanged() then).
class SOCKETIPC_EXPORT IpcSingleInstance : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcSingleInstance)
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(bool primary READ isPrimary NOTIFY primaryChanged)
    Q_PROPERTY(QString address READ address NOTIFY primaryChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
public:
    static constexpr int DefaultActivateTimeout = 5000;

    // Runs the election for name: a socket path if it contains '/', else a bare name, which
    // IpcServer and IpcClient resolve to the same address.
    explicit IpcSingleInstance(const QString &name, QObject *parent = nullptr);
    ~IpcSingleInstance() override;  // the primary's socket file goes with it

    QString name() const;
    // Where the primary listens: server()->listeningAddress() on the primary, else the
    // address a secondary connects to.
    QString address() const;
    bool isPrimary() const;
    // Why this process is not the primary when another error than a live primary (an
    // unusable address) lost the election, or why activatePrimary() failed; else empty.
    QString errorString() const;

    // The primary's server, to handle() and send to secondaries as with any IpcServer; null
    // on a secondary. Its requests on topics starting with "socketipc." are reserved.
    IpcServer *server() const;
    // A secondary's client, connected to the primary on first use (and reconnecting, as any
    // IpcClient does); null on the primary.
    IpcClient *client();

    // The topic of activatePrimary()'s request; the wire format is
    // {"arguments": [string], "workingDirectory": string}, answered with true.
    static QString activateTopic();

    // On a secondary: sends arguments and QDir::currentPath() to the primary, which emits
    // activated() with them, and waits in a local event loop (blocking the caller) until the
    // primary answered. Returns whether the primary took them.
    // If the primary is gone (crashed, or quit or close()d since the election), it runs the
    // election again, and again, until timeoutMsecs have passed: another secondary may have
    // won meanwhile, and then gets the arguments. When this process wins, it returns false
    // with isPrimary() true (primaryChanged() emitted): it is the primary now, and its own
    // arguments are its to handle. False with isPrimary() false: errorString() says why
    // (timeout, no usable address). On the primary it returns false at once. timeoutMsecs
    // -1: no limit.
    Q_INVOKABLE bool activatePrimary(const QStringList &arguments = QCoreApplication::arguments(),
                                     int timeoutMsecs = DefaultActivateTimeout);

public Q_SLOTS:
    // The primary stops being it: the activations it has not yet read are refused (their
    // senders elect a new primary), the socket file goes once the answers already given are
    // written, and isPrimary() becomes false. For a primary about to quit; destroying the
    // object ends it too, without the refusals. On a secondary, closes client().
    void close();

Q_SIGNALS:
    // On the primary, for each activatePrimary() of a secondary, with the arguments it passed
    // (by default its QCoreApplication::arguments(), argv[0] first) and its working
    // directory. The secondary gets its answer once the connected slots have returned.
    void activated(const QStringList &arguments, const QString &workingDirectory);
    // After the election (in QML, once the component is complete: primary and address are
    // known then), when activatePrimary() made this process the primary, and on close().
    void primaryChanged();
    void errorStringChanged();

protected:
    // For subclasses that learn the name later, such as the QML type: nothing happens until
    // elect(name).
    explicit IpcSingleInstance(QObject *parent);
    // Runs the election, once; returns isPrimary().
    bool elect(const QString &name);
    bool hasElected() const;

private:
    std::unique_ptr<IpcSingleInstancePrivate> d;
};

#endif  // IPCSINGLEINSTANCE_H

#ifndef IPCACCEPTOR_P_H
#define IPCACCEPTOR_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qobject.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>

#include <functional>

// Surviving a process that runs out of file descriptors (EMFILE, ENFILE) while peers keep
// connecting. Left to themselves, QLocalServer closes for good and unlinks its socket file,
// and QTcpServer stops accepting for good. Here a connection that cannot be given a
// descriptor is accepted on a spare one kept for the purpose and closed at once (so it does
// not wait in the backlog, waking the loop), accepting pauses for a moment, and the owner
// hears of it once per shortage.
class IpcSpareDescriptor
{
public:
    IpcSpareDescriptor();
    ~IpcSpareDescriptor();
    Q_DISABLE_COPY_MOVE(IpcSpareDescriptor)

    // Accepts and closes what waits on listener, using the spare descriptor; returns how many.
    int turnAway(qintptr listener);

private:
    int m_fd = -1;
};

// Accepts on a listening local socket's descriptor itself (the QLocalServer that made it has
// maxPendingConnections 0, so it never accepts), handing each new descriptor to onAccepted.
class IpcLocalAcceptor : public QObject
{
    Q_OBJECT
public:
    // onShortage(description) comes once per shortage, when descriptors first run out.
    IpcLocalAcceptor(qintptr listener, std::function<void(qintptr descriptor)> onAccepted,
                     std::function<void(const QString &description)> onShortage,
                     QObject *parent = nullptr);

    static constexpr int PauseMsecs = 100;

private:
    void acceptAll();

    qintptr m_listener;
    std::function<void(qintptr)> m_onAccepted;
    std::function<void(const QString &)> m_onShortage;
    QSocketNotifier m_notifier;
    QTimer m_resume;
    IpcSpareDescriptor m_spare;
    bool m_short = false;
};

namespace IpcDescriptors {
// How many more descriptors this process may open before RLIMIT_NOFILE, less a reserve for
// the rest of the process; a large number when there is no limit.
qint64 toSpare();
}  // namespace IpcDescriptors

#endif  // IPCACCEPTOR_P_H

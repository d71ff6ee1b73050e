#include "ipcacceptor_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qpointer.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int openSpare()
{
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool isShortage(int error)
{
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

IpcSpareDescriptor::IpcSpareDescriptor() : m_fd(openSpare()) { }

IpcSpareDescriptor::~IpcSpareDescriptor()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

int IpcSpareDescriptor::turnAway(qintptr listener)
{
    int turned = 0;
    for (;;) {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        const int fd = ::accept4(int(listener), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            m_fd = openSpare();
            return turned;
        }
        ::close(fd);
        ++turned;
        m_fd = openSpare();
        if (m_fd < 0)  // another thread took it meanwhile: one is enough for now
            return turned;
    }
}

IpcLocalAcceptor::IpcLocalAcceptor(qintptr listener, std::function<void(qintptr)> onAccepted,
                                   std::function<void(const QString &)> onShortage, QObject *parent)
    : QObject(parent),
      m_listener(listener),
      m_onAccepted(std::move(onAccepted)),
      m_onShortage(std::move(onShortage)),
      m_notifier(listener, QSocketNotifier::Read)
{
    // QLocalServer leaves its socket blocking: accept() must return, not wait, once the
    // backlog is empty.
    ::fcntl(int(listener), F_SETFL, ::fcntl(int(listener), F_GETFL) | O_NONBLOCK);
    connect(&m_notifier, &QSocketNotifier::activated, this, &IpcLocalAcceptor::acceptAll);
    m_resume.setSingleShot(true);
    m_resume.setInterval(PauseMsecs);
    connect(&m_resume, &QTimer::timeout, this, [this] {
        m_notifier.setEnabled(true);
        acceptAll();
    });
}

void IpcLocalAcceptor::acceptAll()
{
    QPointer<IpcLocalAcceptor> guard(this);
    for (int i = 0; i < 64 && guard; ++i) {  // then the event loop gets a turn
        const int fd = ::accept4(int(m_listener), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            m_short = false;
            m_onAccepted(fd);
            continue;
        }
        const int error = errno;
        if (error == EINTR || error == ECONNABORTED)
            continue;
        if (!isShortage(error))  // EAGAIN: nothing more waits
            return;
        m_spare.turnAway(m_listener);
        if (!std::exchange(m_short, true))
            m_onShortage(QStringLiteral("out of file descriptors (%1): connections are turned "
                                        "away until some are free again")
                                 .arg(QString::fromLocal8Bit(std::strerror(error))));
        if (guard) {
            m_notifier.setEnabled(false);
            m_resume.start();
        }
        return;
    }
}

qint64 IpcDescriptors::toSpare()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return std::numeric_limits<qint64>::max();
    // Open now: what /proc says, less the directory listing's own descriptor.
    const qint64 open = qint64(
            QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System).size());
    constexpr qint64 Reserve = 16;  // for the rest of the process: files, pipes, timers
    return qint64(limit.rlim_cur) - open - Reserve;
}

#include "moc_ipcacceptor_p.cpp"

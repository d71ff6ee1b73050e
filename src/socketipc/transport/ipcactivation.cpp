#include "ipcactivation_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qmutex.h>

#include <cstddef>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// The first descriptor passed, as SD_LISTEN_FDS_START.
constexpr int FirstDescriptor = 3;

struct Inherited
{
    int descriptor;
    QString name;  // from LISTEN_FDNAMES; may be empty
};

// The path a Unix stream socket that listens is bound to ("@name" for an abstract one); empty
// if the descriptor is something else.
QString listeningPath(int descriptor)
{
    int value = 0;
    socklen_t size = sizeof value;
    if (::getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &value, &size) != 0 || !value)
        return {};
    size = sizeof value;
    if (::getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &value, &size) != 0 || value != SOCK_STREAM)
        return {};
    sockaddr_un address = {};
    size = sizeof address;
    if (::getsockname(descriptor, reinterpret_cast<sockaddr *>(&address), &size) != 0
        || address.sun_family != AF_UNIX || size <= offsetof(sockaddr_un, sun_path))
        return {};
    const qsizetype length = qsizetype(size - offsetof(sockaddr_un, sun_path));
    if (address.sun_path[0] == '\0')  // abstract: the name is every byte after the NUL
        return QLatin1Char('@') + QFile::decodeName(QByteArray(address.sun_path + 1, length - 1));
    return QFile::decodeName(QByteArray(address.sun_path, qstrnlen(address.sun_path, length)));
}

bool samePath(const QString &a, const QString &b)
{
    if (a == b)
        return true;
    const QString canonicalA = QFileInfo(a).canonicalFilePath();
    return !canonicalA.isEmpty() && canonicalA == QFileInfo(b).canonicalFilePath();
}

QMutex mutex;
std::vector<Inherited> *inherited = nullptr;  // under mutex; read from the environment once

std::vector<Inherited> &load()
{
    if (inherited)
        return *inherited;
    inherited = new std::vector<Inherited>;
    bool ok = false;
    const qint64 pid = qEnvironmentVariable("LISTEN_PID").toLongLong(&ok);
    if (!ok || pid != ::getpid())
        return *inherited;  // not for us (a parent's, passed down by mistake): left alone
    const int count = qEnvironmentVariable("LISTEN_FDS").toInt(&ok);
    const QStringList names = qEnvironmentVariable("LISTEN_FDNAMES").split(QLatin1Char(':'));
    qunsetenv("LISTEN_PID");
    qunsetenv("LISTEN_FDS");
    qunsetenv("LISTEN_FDNAMES");
    if (!ok || count <= 0)
        return *inherited;
    for (int i = 0; i < count; ++i) {
        const int descriptor = FirstDescriptor + i;
        if (::fcntl(descriptor, F_SETFD, FD_CLOEXEC) != 0)
            continue;  // not open
        inherited->push_back({descriptor, names.value(i)});
    }
    return *inherited;
}

}  // namespace

namespace IpcActivation {

void prepare()
{
    const QMutexLocker locker(&mutex);
    load();
}

QString boundPathForName(const QString &name)
{
    const QMutexLocker locker(&mutex);
    for (const Inherited &socket : load()) {
        const QString bound = listeningPath(socket.descriptor);
        if (!bound.isEmpty() && (socket.name == name || QFileInfo(bound).fileName() == name))
            return bound;
    }
    return {};
}

int takeLocal(const QString &path, const QString &name, QString *boundPath)
{
    const QMutexLocker locker(&mutex);
    std::vector<Inherited> &sockets = load();
    const QString fileName = QFileInfo(path).fileName();
    for (auto it = sockets.begin(); it != sockets.end(); ++it) {
        const QString bound = listeningPath(it->descriptor);
        if (bound.isEmpty())
            continue;
        // Named so in LISTEN_FDNAMES, or, for a service name, a socket of that name wherever
        // the service manager put it (a system unit's /run rather than the user's runtime
        // directory; systemd-socket-activate, which passes no XDG_RUNTIME_DIR).
        const bool named = (!it->name.isEmpty()
                            && (it->name == name || (!fileName.isEmpty() && it->name == fileName)))
                || (!name.isEmpty() && QFileInfo(bound).fileName() == name);
        if (!named && !samePath(bound, path))
            continue;
        const int descriptor = it->descriptor;
        sockets.erase(it);
        const int flags = ::fcntl(descriptor, F_GETFL);
        ::fcntl(descriptor, F_SETFL, flags | O_NONBLOCK);
        *boundPath = bound;
        return descriptor;
    }
    return -1;
}

}  // namespace IpcActivation

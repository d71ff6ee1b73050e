#include "ipclocalpath_p.h"

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace IpcLocalPath {

QString resolve(const QString &path)
{
    if (path.isEmpty() || isAbstract(path))
        return path;
    return QDir::cleanPath(QDir::current().absoluteFilePath(path));
}

QString invalidReason(const QString &resolvedPath)
{
    if (resolvedPath.isEmpty() || resolvedPath == QLatin1String("@"))
        return QStringLiteral("no socket path is set");
#if !defined(Q_OS_LINUX)
    if (isAbstract(resolvedPath))
        return QStringLiteral("abstract socket names (\"@name\") exist on Linux only");
#endif
    constexpr qsizetype maxLength = sizeof(sockaddr_un::sun_path) - 1;
    const qsizetype length = QFile::encodeName(resolvedPath).size();
    if (length > maxLength)
        return QStringLiteral("the socket path %1 is %2 bytes long; the limit is %3")
                .arg(resolvedPath)
                .arg(length)
                .arg(maxLength);
    return {};
}

Probe probe(const QString &resolvedPath, QString *error)
{
    const QByteArray encoded = QFile::encodeName(resolvedPath);
    struct stat status;
    if (::lstat(encoded.constData(), &status) != 0) {
        if (errno == ENOENT)
            return Probe::Absent;
        *error = QString::fromLocal8Bit(std::strerror(errno));
        return Probe::Failed;
    }
    if (!S_ISSOCK(status.st_mode))
        return Probe::NotASocket;

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        return Probe::Failed;
    }
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, encoded.constData(),
                qMin<size_t>(encoded.size(), sizeof address.sun_path - 1));
    const int result = ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
    const int connectErrno = errno;
    ::close(fd);

    // A full backlog (EAGAIN) still means someone is listening.
    if (result == 0 || connectErrno == EAGAIN || connectErrno == EINPROGRESS)
        return Probe::Live;
    if (connectErrno == ECONNREFUSED)
        return Probe::Stale;
    if (connectErrno == ENOENT)
        return Probe::Absent;
    *error = QString::fromLocal8Bit(std::strerror(connectErrno));
    return Probe::Failed;
}

FileId fileId(const QString &path)
{
    struct stat info;
    if (::lstat(QFile::encodeName(path).constData(), &info) != 0)
        return {};
    return {quint64(info.st_dev), quint64(info.st_ino)};
}

void closeKeepingOthersFile(const QString &path, FileId ours, const std::function<void()> &close)
{
    const FileId there = fileId(path);
    if (there.isNull() || there == ours) {
        close();
        return;
    }
    // Someone else's socket: a hard link keeps it while close() unlinks the name, then
    // takes the name back.
    const QByteArray name = QFile::encodeName(path);
    const QByteArray keep = name + ".keep-" + QByteArray::number(qint64(::getpid()));
    const bool kept = ::link(name.constData(), keep.constData()) == 0;
    close();
    if (!kept)
        return;
    if (fileId(path) == there || ::rename(keep.constData(), name.constData()) != 0)
        ::unlink(keep.constData());
}

}  // namespace IpcLocalPath

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

bool isName(const QString &text)
{
    return !text.isEmpty() && !text.contains(QLatin1Char('/')) && !isAbstract(text)
            && text != QLatin1String(".") && text != QLatin1String("..");
}

namespace {

// Whether dir is this user's private directory (creating it, 0700, if asked and absent).
bool ensurePrivateDirectory(const QString &dir, bool create, QString *error)
{
    const QByteArray encoded = QFile::encodeName(dir);
    struct stat status;
    if (::lstat(encoded.constData(), &status) != 0) {
        if (errno != ENOENT) {
            *error = QStringLiteral("cannot use %1: %2")
                             .arg(dir, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        if (!create)
            return true;  // nobody listens there yet: connecting says so
        const QFileInfo info(dir);
        if (!QDir().mkpath(info.absolutePath())) {
            *error = QStringLiteral("cannot create %1").arg(info.absolutePath());
            return false;
        }
        if (::mkdir(encoded.constData(), 0700) != 0 && errno != EEXIST) {
            *error = QStringLiteral("cannot create %1: %2")
                             .arg(dir, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        // Created, or made by someone else at this moment: checked like any other.
        if (::lstat(encoded.constData(), &status) != 0) {
            *error = QStringLiteral("cannot use %1: %2")
                             .arg(dir, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
    }
    const char *why = nullptr;
    if (S_ISLNK(status.st_mode))
        why = "it is a symbolic link";
    else if (!S_ISDIR(status.st_mode))
        why = "it is not a directory";
    if (why) {
        *error = QStringLiteral("refusing %1: %2").arg(dir, QLatin1StringView(why));
        return false;
    }
    if (status.st_uid != ::getuid()) {
        *error = QStringLiteral("refusing %1: it belongs to uid %2, not to this user (uid %3), "
                                "who could take names there first or read what is sent")
                         .arg(dir)
                         .arg(status.st_uid)
                         .arg(::getuid());
        return false;
    }
    if ((status.st_mode & 077) != 0) {
        *error = QStringLiteral("refusing %1: its mode is %2, it must be private to its user "
                                "(0700)")
                         .arg(dir)
                         .arg(QString::number(status.st_mode & 07777, 8)
                                      .rightJustified(4, QLatin1Char('0')));
        return false;
    }
    return true;
}

}  // namespace

QString resolveName(const QString &name, bool create, QString *error)
{
#if defined(Q_OS_WIN)
    // QLocalServer makes a name a named pipe, \\.\pipe\NAME, which is per machine: the
    // pipe's security descriptor (SocketAccess) is what keeps other users out.
    Q_UNUSED(create);
    Q_UNUSED(error);
    return name;
#else
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty() && QDir::isAbsolutePath(runtime)) {
        const QString flatpak = qEnvironmentVariable("FLATPAK_ID");
        if (flatpak.isEmpty())
            return QDir::cleanPath(runtime) + QLatin1Char('/') + name;
        if (!isName(flatpak)) {
            *error = QStringLiteral("FLATPAK_ID \"%1\" is not an application id").arg(flatpak);
            return {};
        }
        // The sandbox's own runtime directory is private to it; this one, the app's, is the
        // same directory inside and outside the sandbox.
        const QString dir = QDir::cleanPath(runtime) + QLatin1String("/app/") + flatpak;
        return ensurePrivateDirectory(dir, create, error) ? dir + QLatin1Char('/') + name
                                                          : QString();
    }
    // macOS: TMPDIR is a per-user directory already (/var/folders/...); elsewhere /tmp. Either
    // way a directory of our own in it, checked.
    const QString dir =
            QDir::cleanPath(QDir::tempPath()) + QStringLiteral("/socketipc-%1").arg(::getuid());
    return ensurePrivateDirectory(dir, create, error) ? dir + QLatin1Char('/') + name : QString();
#endif
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

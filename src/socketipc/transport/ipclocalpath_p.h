#ifndef IPCLOCALPATH_P_H
#define IPCLOCALPATH_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qstring.h>

#include <functional>

// Socket file paths: resolving them as the Node library does (relative to the working
// directory) and telling a live server from a file left behind by a dead one.
namespace IpcLocalPath {

// "@name": a Linux abstract-namespace socket, no file at all (gone with its process).
inline bool isAbstract(const QString &path)
{
    return path.startsWith(QLatin1Char('@'));
}

// Relative paths resolve against the working directory (QLocalServer would use /tmp).
QString resolve(const QString &path);

// A service name rather than a path: no '/', not abstract ("@"), not "." or "..".
bool isName(const QString &text);

// Where a service name lives for this user and session (Linux):
//   $XDG_RUNTIME_DIR/NAME                          when XDG_RUNTIME_DIR is set (absolute);
//   $XDG_RUNTIME_DIR/app/$FLATPAK_ID/NAME          inside Flatpak (reachable from the host);
//   TMPDIR/socketipc-UID/NAME                      else, in a directory of this user's alone.
// The directories SocketIpc chooses itself (the last two) are created 0700 when create is
// set, and refused, with *error, when they exist but are not this user's private directory
// (another owner, group or world access, a symbolic link): someone else could take the name
// first or read what is sent. Empty, and *error, when refused.
QString resolveName(const QString &name, bool create, QString *error);

// Why a path cannot be a socket address (empty, too long for sun_path), or empty if it can.
QString invalidReason(const QString &resolvedPath);

enum class Probe {
    Absent,      // nothing there
    Live,        // a server accepts connections there
    Stale,       // a socket file nobody listens on: safe to remove
    NotASocket,  // some other file: never touched
    Failed,      // could not tell (no permission...): *error says why
};

Probe probe(const QString &resolvedPath, QString *error);

// Which file a path names (device and inode), to tell later whether it is still the same
// one; null when nothing is there.
struct FileId
{
    quint64 device = 0;
    quint64 inode = 0;
    bool isNull() const { return inode == 0; }
    friend bool operator==(FileId a, FileId b)
    {
        return a.device == b.device && a.inode == b.inode;
    }
};
FileId fileId(const QString &path);

// Runs close, which unlinks path (QLocalServer::close() does, unconditionally), but keeps a
// file there that is not ours: one a newer server created after ours was removed.
void closeKeepingOthersFile(const QString &path, FileId ours, const std::function<void()> &close);

}  // namespace IpcLocalPath

#endif  // IPCLOCALPATH_P_H

#ifndef IPCLOCALPATH_P_H
#define IPCLOCALPATH_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qstring.h>

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

}  // namespace IpcLocalPath

#endif  // IPCLOCALPATH_P_H

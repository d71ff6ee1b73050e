// Around each C++ fragment of the README (tests/readme/CMakeLists.txt): the names the
// fragments take for granted. A fragment is the body of Snippet::run(), a member function of a
// QObject (for `this` and connect()) that has a server, a client and a queue of requests.
#ifndef SNIPPET_HARNESS_H
#define SNIPPET_HARNESS_H

#include <SocketIpc/SocketIpc>

#include <QtCore>

class Snippet : public QObject
{
public:
    void run();

    IpcServer server;
    IpcClient client;
    QQueue<IpcRequest> m_jobs;
};

#endif  // SNIPPET_HARNESS_H

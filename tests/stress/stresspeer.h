#ifndef STRESSPEER_H
#define STRESSPEER_H

// One ipcstressclient process, seen from a test through the shared TestPeer: its stdout lines
// as JSON events, its stdin for commands, SIGKILLed when this object goes.

#include "testpeer.h"

class StressPeer : public TestPeer
{
public:
    using TestPeer::TestPeer;

    // ipcstressclient MODE PATH options...
    void start(const QStringList &arguments)
    {
        TestPeer::start(QStringLiteral(SOCKETIPC_STRESSCLIENT), arguments);
        m_pid = process().processId();
    }
    // Kept after the process is gone, for the figures.
    qint64 pid() const { return m_pid; }

private:
    qint64 m_pid = -1;
};

#endif  // STRESSPEER_H

#ifndef SAY_H
#define SAY_H

#include <QtCore/qstring.h>

#include <cstdio>

// One line on stdout, flushed at once: the workers' lines go to the same terminal.
inline void say(const QString &who, const QString &text)
{
    std::printf("[%s] %s\n", qPrintable(who), qPrintable(text));
    std::fflush(stdout);
}

#endif  // SAY_H

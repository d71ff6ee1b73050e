#include "linereader.h"

namespace IpcTest {

QByteArrayList LineReader::feed(QByteArrayView bytes)
{
    m_partial.append(bytes);
    QByteArrayList lines;
    qsizetype start = 0;
    qsizetype newline;
    while ((newline = m_partial.indexOf('\n', start)) >= 0) {
        lines.append(m_partial.sliced(start, newline - start));
        start = newline + 1;
    }
    m_partial.remove(0, start);
    return lines;
}

}  // namespace IpcTest

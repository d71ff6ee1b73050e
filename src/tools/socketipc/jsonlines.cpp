#include "jsonlines.h"

#include "ipcframe_p.h"

#include <cstdio>

namespace JsonLines {

static bool writeLine(QByteArray line, bool pretty);

bool print(const Members &members, bool pretty)
{
    QByteArray line = "{";
    for (const auto &[key, value] : members) {
        if (line.size() > 1)
            line += ',';
        line += '"' + QByteArray(key.data(), key.size()) + "\":";
        QString error;
        if (!IpcFrame::encodeValue(line, value, &error))
            line += "null";  // cannot happen for values that came off the wire
    }
    line += '}';
    return writeLine(line, pretty);
}

bool printValue(const QVariant &value, bool pretty)
{
    QByteArray line;
    QString error;
    if (!IpcFrame::encodeValue(line, value, &error))
        line = "null";
    return writeLine(line, pretty);
}

static bool writeLine(QByteArray line, bool pretty)
{
    if (pretty)
        line = indent(line);
    line += '\n';
    const size_t written = std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    // Flushed even after a short write, so that what did fit is not held back.
    const bool flushed = std::fflush(stdout) == 0;
    return written == size_t(line.size()) && flushed;
}

QByteArray indent(const QByteArray &compact)
{
    QByteArray out;
    out.reserve(compact.size() * 2);
    int depth = 0;
    bool inString = false;
    auto newline = [&out, &depth] {
        out += '\n';
        out += QByteArray(depth * 2, ' ');
    };
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact.at(i);
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < compact.size())
                out += compact.at(++i);
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            out += c;
            break;
        case '{':
        case '[':
            out += c;
            // Keep empty containers on one line.
            if (i + 1 < compact.size() && (compact.at(i + 1) == '}' || compact.at(i + 1) == ']')) {
                out += compact.at(++i);
                break;
            }
            ++depth;
            newline();
            break;
        case '}':
        case ']':
            --depth;
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':': out += ": "; break;
        default: out += c;
        }
    }
    return out;
}

void Reader::feed(const QByteArray &bytes)
{
    m_pending += bytes;
    qsizetype start = 0;
    qsizetype newline;
    while ((newline = m_pending.indexOf('\n', start)) >= 0) {
        const QByteArray line = m_pending.mid(start, newline - start).trimmed();
        start = newline + 1;
        ++m_number;
        if (!line.isEmpty())
            m_handler(line, m_number);
    }
    m_pending.remove(0, start);
}

void Reader::finish()
{
    const QByteArray line = std::exchange(m_pending, {}).trimmed();
    ++m_number;
    if (!line.isEmpty())
        m_handler(line, m_number);
}

}  // namespace JsonLines

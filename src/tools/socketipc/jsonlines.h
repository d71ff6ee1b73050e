#ifndef JSONLINES_H
#define JSONLINES_H

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <functional>

// Writing and reading the tool's JSON lines.
namespace JsonLines {

// An object's members in this order; values are any JSON-compatible QVariant.
using Members = QList<std::pair<QLatin1StringView, QVariant>>;

// Writes the object as one line to stdout (indented over several with pretty) and flushes.
// False when it could not: standard output is closed (a pipe whose reader has gone).
[[nodiscard]] bool print(const Members &members, bool pretty);
// One value (an object from the wire, as it came) as one line.
[[nodiscard]] bool printValue(const QVariant &value, bool pretty);

// The same JSON, indented by two spaces per level.
QByteArray indent(const QByteArray &compact);

// Splits input into lines and hands each non-empty one, with its 1-based number, to
// handler. Keeps a trailing partial line for the next call; finish() handles it at EOF.
class Reader
{
public:
    explicit Reader(std::function<void(const QByteArray &line, int number)> handler)
        : m_handler(std::move(handler))
    { }
    void feed(const QByteArray &bytes);
    void finish();

private:
    std::function<void(const QByteArray &, int)> m_handler;
    QByteArray m_pending;
    int m_number = 0;
};

}  // namespace JsonLines

#endif  // JSONLINES_H

#ifndef STRESSCOMMON_H
#define STRESSCOMMON_H

// Shared by the stress tests and their peer process (ipcstressclient): the message patterns
// both ends must agree on, and what a process can say about its own resources.

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#if defined(__SANITIZE_ADDRESS__)
#    define STRESS_ASAN 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define STRESS_ASAN 1
#    endif
#endif

#if defined(STRESS_ASAN)
// From the sanitizer runtime (GCC installs no header for them).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" void __sanitizer_purge_allocator();
#elif defined(__GLIBC__)
#    include <malloc.h>
#endif

namespace Stress {

// Open file descriptors of this process (the directory listing's own descriptor included,
// the same every time).
inline int openFdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                       .entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)
                       .size());
}

// Gives memory that is free but still held by the allocator back to the system, so that
// what remains resident is what is in use (plus fragmentation).
inline void releaseFreeMemory()
{
#if defined(STRESS_ASAN)
    __sanitizer_purge_allocator();  // also drains the quarantine of freed blocks
#elif defined(__GLIBC__)
    malloc_trim(0);
#endif
}

// Under AddressSanitizer the resident size is mostly the sanitizer's (shadow memory, freed
// blocks held back to catch use-after-free); its allocator's count of bytes in use is exact.
#if defined(STRESS_ASAN)
inline constexpr bool ResidentSizeIsMeaningful = false;
#else
inline constexpr bool ResidentSizeIsMeaningful = true;
#endif

// VmRSS from /proc/self/status, in KiB.
inline qint64 residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    // readAll(): a /proc file has no size, so atEnd() is true from the start.
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).simplified().split(' ').value(0).toLongLong();
    }
    return -1;
}

// Bytes the allocator has handed out and not had back.
inline qint64 heapInUse()
{
#if defined(STRESS_ASAN)
    return qint64(__sanitizer_get_current_allocated_bytes());
#elif defined(__GLIBC__)
    const struct mallinfo2 info = mallinfo2();
    return qint64(info.uordblks + info.hblkhd);
#else
    return -1;
#endif
}

// Text of code points of every UTF-8 length, JSON escapes and a NUL (which must travel as
// \u0000, never as a delimiter byte), starting at a point that depends on seed.
inline QString patternText(qint64 seed, qsizetype utf8Bytes)
{
    static const char32_t alphabet[] = {U'S',  U'o',      U'c',      U'k',          U'e',
                                        U't',  U' ',      U'"',      U'\\',         U'\n',
                                        U'\0', U'\u00e9', U'\u20ac', U'\U0001F600', U'I',
                                        U'p',  U'c',      U'/',      U'\u00df',     U'\u4e2d'};
    constexpr qsizetype n = sizeof alphabet / sizeof alphabet[0];
    QString text;
    text.reserve(utf8Bytes);
    qsizetype bytes = 0;
    for (qsizetype k = 0; bytes < utf8Bytes; ++k) {
        const char32_t c = alphabet[(seed + k * 7 + k / n) % n];
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        text.append(QStringView(QChar::fromUcs4(c)));
    }
    return text;
}

// tst_soak: the padding of data message seq, up to maxBytes of UTF-8; one in 250 is 64 KiB,
// so that a kill or a restart often falls in the middle of a frame.
inline QString soakPad(qint64 seq, int maxBytes)
{
    if (maxBytes <= 0)
        return {};
    return patternText(seq, seq % 250 == 125 ? 64 * 1024 : (seq * 131) % (maxBytes + 1));
}

// tst_ordering: message i of total, of which `large` are 1 MiB, evenly spread.
struct Ordering
{
    qint64 small = 0;
    int large = 0;
    static constexpr qsizetype LargeBytes = 1024 * 1024;

    qint64 total() const { return small + large; }
    bool isLarge(qint64 i) const
    {
        if (large <= 0)
            return false;
        const qint64 stride = total() / large;
        return i % stride == stride / 2 && i / stride < large;
    }
    QString topic(qint64 i) const
    {
        return isLarge(i) ? QStringLiteral("big") : QStringLiteral("o%1").arg(i % 7);
    }
    QVariant message(qint64 i) const
    {
        QVariantMap map;
        map.insert(QStringLiteral("i"), i);
        map.insert(QStringLiteral("s"),
                   isLarge(i) ? patternText(i, LargeBytes) : QStringLiteral("m%1").arg(i % 1000));
        return map;
    }
    // Empty if message i arrived as it was sent, else what is wrong.
    QString check(qint64 i, const QString &gotTopic, const QVariant &got) const
    {
        const QVariantMap map = got.toMap();
        if (gotTopic != topic(i) || map.value(QStringLiteral("i")).toLongLong() != i) {
            return QStringLiteral("expected message %1 (%2), got topic %3, index %4")
                    .arg(i)
                    .arg(topic(i), gotTopic, map.value(QStringLiteral("i")).toString());
        }
        const QString expected = message(i).toMap().value(QStringLiteral("s")).toString();
        if (map.size() != 2 || map.value(QStringLiteral("s")).toString() != expected)
            return QStringLiteral("message %1 (%2) arrived altered").arg(i).arg(topic(i));
        return {};
    }
};

}  // namespace Stress

#endif  // STRESSCOMMON_H

#ifndef IPCASCIISCAN_P_H
#define IPCASCIISCAN_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qalgorithms.h>
#include <QtCore/qglobal.h>

#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

#include <cstring>

// The JSON writer and reader's fast paths, shared.
namespace IpcAsciiScan {

// Word-at-a-time scans (SWAR): strings are mostly plain ASCII, and finding where that ends
// eight bytes (or four UTF-16 units) at a time is what makes large messages fast.
inline constexpr quint64 bytes(quint8 b)
{
    return 0x0101010101010101ULL * b;
}

inline constexpr quint64 hasZeroByte(quint64 v)
{
    return (v - bytes(0x01)) & ~v & bytes(0x80);
}

// The first byte at or after p that ends a plain JSON string run: '"', '\\', a control
// character or a non-ASCII byte.
inline const char *plainUtf8End(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // Signed: bytes >= 0x80 are negative, so "less than a space" catches them too.
        const __m128i special =
                _mm_or_si128(_mm_cmplt_epi8(v, space),
                             _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if (const int mask = _mm_movemask_epi8(special))
            return p + qCountTrailingZeroBits(uint(mask));
        p += 16;
    }
#endif
    while (end - p >= 8) {
        quint64 v;
        std::memcpy(&v, p, 8);
        const quint64 special = (v & bytes(0x80)) | ((v - bytes(0x20)) & ~v & bytes(0x80))
                | hasZeroByte(v ^ bytes('"')) | hasZeroByte(v ^ bytes('\\'));
        if (special)
            break;
        p += 8;
    }
    while (p < end) {
        const uchar c = uchar(*p);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ++p;
    }
    return p;
}

inline constexpr quint64 units(quint16 u)
{
    return 0x0001000100010001ULL * u;
}

inline constexpr quint64 hasZeroUnit(quint64 v)
{
    return (v - units(0x0001)) & ~v & units(0x8000);
}

// The same for UTF-16 text being written: the first unit that is not plain ASCII. The plain
// units before it are narrowed to bytes at out on the way, as far as that is cheap: the
// caller copies what is left of the run.
inline const char16_t *plainUtf16End(const char16_t *p, const char16_t *end, char *&out)
{
#if defined(__SSE2__)
    const __m128i high = _mm_set1_epi16(qint16(0xff80));
    const __m128i quote = _mm_set1_epi16('"');
    const __m128i backslash = _mm_set1_epi16('\\');
    const __m128i space = _mm_set1_epi16(0x20);
    while (end - p >= 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 8));
        const __m128i nonAscii = _mm_and_si128(_mm_or_si128(a, b), high);
        // Once all units are below 0x80, signed comparisons are safe.
        const __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmplt_epi16(a, space), _mm_cmplt_epi16(b, space)),
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(a, quote), _mm_cmpeq_epi16(b, quote)),
                             _mm_or_si128(_mm_cmpeq_epi16(a, backslash),
                                          _mm_cmpeq_epi16(b, backslash))));
        const bool allAscii =
                _mm_movemask_epi8(_mm_cmpeq_epi16(nonAscii, _mm_setzero_si128())) == 0xffff;
        if (!allAscii || _mm_movemask_epi8(special))
            break;
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out), _mm_packus_epi16(a, b));
        out += 16;
        p += 16;
    }
#endif
    while (end - p >= 4) {
        quint64 v;
        std::memcpy(&v, p, 8);
        const quint64 special = (v & units(0xff80)) | ((v - units(0x0020)) & ~v & units(0x8000))
                | hasZeroUnit(v ^ units('"')) | hasZeroUnit(v ^ units('\\'));
        if (special)
            break;
        p += 4;
    }
    while (p < end) {
        const char16_t c = *p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ++p;
    }
    return p;
}

}  // namespace IpcAsciiScan

#endif  // IPCASCIISCAN_P_H

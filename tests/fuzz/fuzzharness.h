#ifndef FUZZHARNESS_H
#define FUZZHARNESS_H

// The half of the fuzz targets that fuzz_ipcframe (JSON, delimited frames) and fuzz_ipccbor
// (CBOR, length-prefixed frames) share: reading the input and checking how
// IpcFrame::Decoder splits the stream.
//
// Input layout:
//   byte 0..1  maxFrameSize, little endian, modulo 4097 (0..4096)
//   byte 2..7  chunk plan, cycled: low 6 bits = chunk size (0 = an empty write); bit 6 =
//              after this write take at most one frame (frames pile up in the decoder, as
//              when a caller stops early) instead of all; bit 7 = write through
//              reserve()/commit() (with spare room) instead of append()
//   byte 8..   the byte stream a peer sends
// An input shorter than the header is a stream with the default plan (4096, 1-byte chunks).
//
// Checks, each an abort() on failure: the Decoder, fed in those chunks, yields exactly the
// frames (and TooLarge, and pending bytes) of a naive reference splitter of the framing, and
// so does one fed the whole stream at once; it never holds more than a frame can take
// without saying so; after clear() it holds nothing and splits again.

#include "ipcframe_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qvariant.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace IpcFuzz {

// Defined by each fuzz target: its name in failure messages, how failed() prints a detail,
// and how a frame's bytes are written into one.
extern const char *const FuzzerName;
QByteArray printableDetail(const QByteArray &detail);
QByteArray showFrameBytes(const QByteArray &frame);

// Prints FuzzerName: what (and the detail) to stderr and aborts.
[[noreturn]] void failed(const char *what, const QByteArray &detail = QByteArray());

struct Input
{
    qint64 maxFrameSize = 4096;
    const uint8_t *plan = nullptr;  // planSize bytes; none: 1-byte chunks
    size_t planSize = 0;
    QByteArrayView stream;  // what the peer sends
    bool hasHeader = false;
};

Input readInput(const uint8_t *data, size_t size);

struct Split
{
    std::vector<QByteArray> frames;
    bool tooLarge = false;
    qsizetype pending = 0;
};

// The containers of decoded values, item by item: whether every item of v (a list or map)
// passes shaped(); whether two lists, or two maps with the same keys, hold items same()
// calls equal, in order. Values that are not lists or maps pass and are equal.
bool allItems(const QVariant &v, bool (*shaped)(const QVariant &));
bool sameItems(const QVariant &a, const QVariant &b,
               bool (*same)(const QVariant &, const QVariant &));

// Splits input's stream with decoders of that framing, checks them against the reference
// splitter, and returns the frames.
Split checkSplitting(const Input &input, IpcCodec::Framing framing);

}  // namespace IpcFuzz

#endif  // FUZZHARNESS_H

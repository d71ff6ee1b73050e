#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_ipcframe into corpus/ and of fuzz_ipccbor into
corpus-cbor/ (next to this script).

Each seed is the fuzzer's 8-byte header (maxFrameSize, little endian, then six chunk-plan
bytes: low 6 bits a chunk size, bit 6 take one frame only, bit 7 reserve()/commit() instead
of append(); see fuzz_ipcframe.cpp) followed by the byte stream: JSON frames delimited by
two NULs for fuzz_ipcframe, CBOR frames after a 4-byte big-endian length for fuzz_ipccbor.
Regression seeds (regress-*) are kept as they are; this script rewrites only the seed-* files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
OUT_CBOR = os.path.join(HERE, "corpus-cbor")
D = b"\0\0"


def header(max_frame=4096, plan=(1, 2, 3, 0x85, 7, 63)):
    return struct.pack("<H", max_frame) + bytes(plan)


def frame(text):
    return text.encode() if isinstance(text, str) else text


SEEDS = {
    "simple": frame('{"topic":"hello","message":"world"}') + D,
    "nested": frame('{"topic":"state","message":{"a":[1,2,{"b":[true,false,null]}],'
                    '"c":{},"d":[],"e":{"f":{"g":[[[]]]}}}}') + D,
    "unicode": frame('{"topic":"héllo wörld ✓","message":["ß","日本語","😀","a😀b",'
                     '"' + "x" * 20 + 'é' + "y" * 20 + '"]}') + D,
    "escapes": frame(r'{"topic":"t\"\\\/","message":"\b\f\n\r\t \u0000 \u001f \u00e9 '
                     r'\uD83D\uDE00 \ud800 lone \udc00 \u20AC"}') + D,
    "numbers": frame('{"topic":"n","message":[0,-0,1,-1,1.5,-1.5e-7,1E+21,1e21,1e-6,1e-7,'
                     '2.5E-3,123456789012345678,9007199254740993,9223372036854775807,'
                     '-9223372036854775808,9223372036854775808,-9223372036854775809,'
                     '12345678901234567890123,1e-400,5e-324,1.7976931348623157e308,'
                     '0.1,0.30000000000000004]}') + D,
    "empty-topic": frame('{"topic":"","message":1}') + D,
    "extra-keys": frame('{"id":7,"topic":"t","x":[1,{"y":2}],"message":null,"z":"w"}') + D,
    "progress-and-cancel": frame('{"topic":"work","message":0.5,"re":3,"progress":true}') + D
    + frame('{"topic":"socketipc.cancel","message":null,"cancel":3}') + D
    + frame('{"re":3,"progress":1,"cancel":"x","topic":"w","message":[]}') + D,
    "greeting": frame('{"topic":"socketipc.hello","message":{"retained":2}}') + D
    + frame('{"topic":"a","message":1}') + D
    + frame('{"topic":"socketipc.hello","message":{"retained":-1,"x":[]}}') + D
    + frame('{"topic":"socketipc.retained","message":{"cleared":"a"}}') + D,
    "missing-message": frame('{"topic":"undefined"}') + D,
    "whitespace": frame(' \t\r\n{ "topic" : "ws" ,\n "message" : [ 1 , { "a" : 2 } ] }\r\n ')
    + D,
    "duplicate-keys": frame('{"topic":"a","message":1,"topic":"b","message":{"k":1,"k":2}}')
    + D,
    "literals": frame('{"topic":"l","message":[true,false,null,"true"]}') + D,
    "long-strings": frame('{"topic":"' + "t" * 40 + '","message":"' + "a" * 100 + '\\n'
                          + "b" * 37 + '"}') + D,
    "several-frames": frame('{"topic":"a","message":1}') + D
    + frame('{"topic":"a","message":[2]}') + D
    + frame('{"topic":"b","message":{"c":"d"}}') + D,
    "split-delimiter": frame('{"topic":"a","message":1}') + D
    + frame('{"topic":"b","message":2}') + b"\0",
    "triple-nul": frame('{"topic":"a","message":1}') + b"\0\0\0"
    + frame('{"topic":"b","message":2}') + D + D,
    "empty-frames": D + D + frame('{"topic":"x"}') + D,
    "deep-valid": frame('{"topic":"deep","message":' + "[" * 500 + "]" * 500 + "}") + D,
    "deep-invalid": frame('{"topic":"deep","message":' + "[" * 600 + "]" * 600 + "}") + D,
    "bad-utf8": frame(b'{"topic":"a","message":"\xc0\x80"}') + D
    + frame(b'{"topic":"a","message":"\xed\xa0\x80"}') + D
    + frame(b'{"topic":"a","message":"\xf5\x80\x80\x80"}') + D
    + frame(b'{"topic":"\xe2\x82","message":1}') + D,
    "truncated": frame('{"topic":"a","message":1}') + D + frame('{"topic":"a","mess'),
    "invalid-shapes": frame("[1,2]") + D + frame('{"topic":1,"message":2}') + D
    + frame('{"message":2}') + D + frame('{"topic":"a","message":tru}') + D
    + frame('{"topic":"a","message":01}') + D + frame('{"topic":"a","message":"\\u12G4"}')
    + D + frame('{"topic":"a","message":"raw\ttab"}') + D
    + frame('{"topic":"a","message":1}x') + D + frame('{"topic":"a",}') + D,
}

# Seeds with their own headers: small limits (TooLarge, the boundary), other splits.
SPECIAL = {
    "too-large": header(16) + frame('{"topic":"much too long","message":1}') + D,
    "at-the-limit": header(len('{"topic":"a","message":1}'), (0x3f,) * 6)
    + frame('{"topic":"a","message":1}') + D + frame('{"topic":"a","message":12}') + D,
    "byte-by-byte-utf8": header(4096, (1, 1, 1, 1, 1, 0))
    + frame('{"topic":"ü","message":"日本😀"}') + D,
    "reserve-commit": header(4096, (0x83, 0x90, 0x81, 0xbf, 0x80, 0x05))
    + frame('{"topic":"r","message":[1,2,3]}') + D + frame('{"topic":"r"}') + D,
    "one-frame-at-a-time": header(4096, (0x7f, 0xff, 0x41, 0x40, 0xc2, 0x3f))
    + (frame('{"topic":"q","message":[1]}') + D) * 6,
    "value-only": header() + frame('[1,"two",{"three":3.0}]'),
    # Numbers whose magnitude is out of double's range only once the exponent is applied:
    # 1e321 written with a negative exponent (JSON.parse: Infinity; the codec's rule for
    # overflow: an error) and 1e-336 written with a positive one (JSON.parse: 0).
    "number-range-by-exponent": header()
    + frame('{"topic":"a","message":1' + "0" * 330 + 'e-10}') + D
    + frame('{"topic":"a","message":0.' + "0" * 340 + '1e+5}') + D,
}


# --- CBOR (fuzz_ipccbor) -------------------------------------------------------------------


class Raw(bytes):
    """CBOR written out by hand, inserted as it is."""


class Undefined:
    pass


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt, limit in ((24, ">B", 1 << 8), (25, ">H", 1 << 16), (26, ">I", 1 << 32)):
        if n < limit:
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def cbor(v):
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return b"\xf6"
    if isinstance(v, Undefined):
        return b"\xf7"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        return head(3, len(b)) + b
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def cframe(topic, message, **extra):
    """The contents of one frame: {"topic", "message", then the extension keys}."""
    return cbor({"topic": topic, "message": message, **extra})


def prefixed(contents):
    return struct.pack(">I", len(contents)) + contents


def nested_arrays(depth):
    return Raw(b"\x81" * depth + b"\x01")


CBOR_SEEDS = {
    "simple": prefixed(cframe("hello", "world")),
    "integers": prefixed(cframe("i", [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32,
                                      2**63 - 1, 2**63, 2**64 - 1, Raw(b"\x1b" + b"\0" * 7 + b"\1")])),
    # Regression: negative integers came back one lower (-1 as -2).
    "negative-integers": prefixed(cframe("n", [-1, -24, -25, -256, -257, -65537, -2**32 - 1,
                                               -2**63, Raw(b"\x3b" + b"\xff" * 8)])),
    "floats": prefixed(cframe("f", [0.1, -0.0, 1.5, float("inf"), float("-inf"), float("nan"),
                                    5e-324, 1.7976931348623157e308, Raw(b"\xf9\x3e\x00"),
                                    Raw(b"\xf9\x7c\x00"), Raw(b"\xf9\x7e\x00"),
                                    Raw(b"\xf9\x00\x01"), Raw(b"\xfa\x3f\xc0\x00\x00")])),
    "text-and-bytes": prefixed(cframe("héllo ✓ 😀", ["", "ß", "日本語", "a\0b", b"", b"\0\0\0",
                                                     bytes(range(256))])),
    "simple-values": prefixed(cframe("s", [True, False, None, Undefined()])),
    "containers": prefixed(cframe("c", {"a": [1, 2, {"b": [True, False, None]}], "c": {},
                                        "d": [], "e": {"f": {"g": [[[]]]}}, "": b"k"})),
    "undefined-message": prefixed(cframe("u", Undefined())),
    "missing-message": prefixed(cbor({"topic": "m"})),
    "request": prefixed(cframe("ask", [2, 3], id=5)),
    "reply": prefixed(cframe("ask", 5, re=5)),
    "error-reply": prefixed(cframe("ask", None, re=6,
                                   error={"code": "NoHandler", "message": "no handler"})),
    "every-field": prefixed(cframe("x", 0, id=1, re=2, error={"code": "Handler", "message": ""})),
    "lenient-fields": prefixed(cbor({"id": "7", "topic": "t", "re": 1.5, "x": [1, {"y": b"z"}],
                                     "message": 1, "error": "boom"}))
    + prefixed(cframe("t", 1, id=-3, re=2**64 - 1, error={"message": "no code"}))
    + prefixed(cframe("t", 1, error=None)),
    "key-order": prefixed(cbor({"message": [1], "re": 4, "topic": "late"})),
    "progress-and-cancel": prefixed(cframe("work", 0.5, re=3, progress=True))
    + prefixed(cframe("socketipc.cancel", None, cancel=3))
    + prefixed(cframe("work", 1, re=3, progress="yes", cancel=-1)),
    "greeting": prefixed(cframe("socketipc.hello", {"retained": 1}))
    + prefixed(cframe("a", 1))
    + prefixed(cframe("socketipc.retained", {"cleared": "a"})),
    "repeated-keys": prefixed(Raw(head(5, 4) + cbor("topic") + cbor("a") + cbor("message")
                                  + cbor(1) + cbor("topic") + cbor("b") + cbor("message")
                                  + cbor({"k": 1}))),
    "indefinite": prefixed(cframe("ind", [Raw(b"\x7f\x61a\x62bc\xff"), Raw(b"\x5f\x41\x01\x40\xff"),
                                          Raw(b"\x9f\x01\x9f\xff\xff"),
                                          Raw(b"\xbf\x61k\x01\xff"), Raw(b"\x7f\xff")])),
    "tags": prefixed(cframe("tag", [Raw(b"\xc0" + cbor("2013-03-21T20:04:00Z")),
                                    Raw(b"\xc1\x1a\x51\x4b\x67\xb0"),
                                    Raw(b"\xd8\x25\x50" + bytes(16)),
                                    Raw(b"\xd8\x20" + cbor("https://example.org/")),
                                    Raw(b"\xc6\xc6\xdb" + b"\xff" * 8 + b"\x01")])),
    "several-frames": prefixed(cframe("a", 1)) + prefixed(cframe("a", [2]))
    + prefixed(cframe("b", {"c": "d"})),
    "empty-frames": prefixed(b"") + prefixed(b"") + prefixed(cframe("x", None)),
    "deep-valid": prefixed(cframe("deep", nested_arrays(500))),
    "deep-invalid": prefixed(cframe("deep", nested_arrays(600))),
    "non-text-keys": prefixed(cframe("k", Raw(b"\xa1\x01\x02")))
    + prefixed(Raw(b"\xa3" + cbor("topic") + cbor("t") + cbor("message") + b"\x01\x01\x02")),
    "invalid-shapes": prefixed(cbor([1, 2])) + prefixed(cbor({"topic": 1, "message": 2}))
    + prefixed(cbor({"message": 2})) + prefixed(cbor({"topic": b"t", "message": 2}))
    + prefixed(cbor("topic")) + prefixed(b"\xf0") + prefixed(b"\x1c") + prefixed(b"\xff"),
    # Regression: data after the frame's map was ignored, not refused.
    "trailing-garbage": prefixed(cframe("a", 1) + b"\x00") + prefixed(cframe("a", 1) + b"\xff")
    + prefixed(cframe("a", 1) + cframe("b", 2)),
    # Regression: a bad byte after a complete item inside an array left the reader in error
    # with hasNext() true, and the decoder appended items up to the declared 2^31-1.
    "stream-error-in-array": prefixed(cframe("a", Raw(b"\x9a\x7f\xff\xff\xff\x40\xff")))
    + prefixed(cframe("a", Raw(b"\x81\x9a\x7f\xff\xff\xff\x60\x1c"))),
    "bad-utf8": prefixed(cframe("a", Raw(b"\x62\xc3\x28")))
    + prefixed(cframe("a", Raw(b"\x62\xc0\x80")))
    + prefixed(cframe("a", Raw(b"\x63\xed\xa0\x80")))
    + prefixed(cframe("a", Raw(b"\x64\xf4\x90\x80\x80")))
    + prefixed(Raw(b"\xa2" + cbor("topic") + b"\x61\xff" + cbor("message") + b"\x01")),
    "huge-declared-lengths": prefixed(cframe("h", Raw(b"\x7b" + b"\xff" * 8 + b"a")))
    + prefixed(cframe("h", Raw(b"\x5a\xff\xff\xff\xff\x00")))
    + prefixed(cframe("h", Raw(b"\x9b" + b"\xff" * 8 + b"\x01")))
    + prefixed(cframe("h", Raw(b"\xbb" + b"\xff" * 8 + b"\x61a\x01"))),
    "truncated": prefixed(cframe("a", 1)) + prefixed(cframe("a", "partial"))[:-3],
}

CBOR_SPECIAL = {
    "too-large": header(16) + prefixed(cframe("much too long", 1)),
    "huge-prefix": header() + prefixed(cframe("a", 1)) + b"\x7f\xff\xff\xff",
    "at-the-limit": header(len(cframe("a", 1)), (0x3f,) * 6) + prefixed(cframe("a", 1))
    + prefixed(cframe("a", 12)),
    "byte-by-byte": header(4096, (1, 1, 1, 1, 1, 0)) + prefixed(cframe("ü", "日本😀"))
    + prefixed(cframe("b", b"\0\0")),
    "reserve-commit": header(4096, (0x83, 0x90, 0x81, 0xbf, 0x80, 0x05))
    + prefixed(cframe("r", [1, 2, 3])) + prefixed(cbor({"topic": "r"})),
    "one-frame-at-a-time": header(4096, (0x7f, 0xff, 0x41, 0x40, 0xc2, 0x3f))
    + prefixed(cframe("q", [1])) * 6,
    # No prefix: the stream is decoded as one frame's contents, and as one value, too.
    "contents-only": header() + cframe("direct", {"k": [1, -1, 0.5, b"b"]}),
    "value-only": header() + cbor([1, "two", {"three": 3.0}, b"\0"]),
}


def write_seeds(out, seeds, special):
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.startswith("seed-"):
            os.remove(os.path.join(out, name))
    for name, stream in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(header() + stream)
    for name, data in special.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{len(seeds) + len(special)} seeds in {out}")


def main():
    write_seeds(OUT, SEEDS, SPECIAL)
    write_seeds(OUT_CBOR, CBOR_SEEDS, CBOR_SPECIAL)

if __name__ == "__main__":
    main()

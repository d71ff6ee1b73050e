// rawbench: the physical limit of the wire protocol on this machine.
//
// Plain C++17 + POSIX, no Qt, no JSON: AF_UNIX SOCK_STREAM, blocking read()/write(), frames are
// the exact JSON bytes followed by "\0\0" and the receiver only finds the delimiters (memchr,
// across read() boundaries).
//
//   rawbench W1|W2|W3|W4 [--count N]
//
// The driver is the server; it re-executes itself as the client(s)
// (`rawbench --role client W SOCKETPATH COUNT`), each of which reports its CPU time, peak RSS
// and timings as one JSON line on its stdout (a pipe to the driver). The driver prints exactly
// one JSON line on stdout; diagnostics go to stderr. Hard timeout: 120 s. What this driver shares
// with zmq/zmqbench.cpp is in ../common/benchcommon.h.

#include "benchcommon.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>

namespace {

using bench::die;

constexpr size_t kBatchBytes = 64 * 1024;  // what the streaming sender hands to one write()
constexpr size_t kReadBytes = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Frames: the payload text followed by "\0\0"

// Appends the frame for message i (delimiter included) at out, returns its length.
size_t writeSmallFrame(char *out, uint64_t i)
{
    char *p = bench::writeSmallText(out, i);
    *p++ = '\0';
    *p++ = '\0';
    return size_t(p - out);
}

constexpr size_t kLargeFrameBytes = bench::kLargeTextBytes + 2;

std::string largeFrame()
{
    std::string f = bench::largeText();
    f.push_back('\0');
    f.push_back('\0');
    return f;
}

// Counts "\0\0" delimiters in a byte stream fed in arbitrary pieces.
struct FrameCounter
{
    bool pendingNul = false;  // the last byte fed was a NUL not yet paired

    uint64_t feed(const char *b, size_t n)
    {
        uint64_t frames = 0;
        size_t pos = 0;
        if (pendingNul && n > 0) {
            pendingNul = false;
            if (b[0] == '\0') {
                ++frames;
                pos = 1;
            }
        }
        while (pos < n) {
            const void *q = std::memchr(b + pos, '\0', n - pos);
            if (!q)
                break;
            const size_t p = size_t(static_cast<const char *>(q) - b);
            if (p + 1 == n) {
                pendingNul = true;
                break;
            }
            if (b[p + 1] == '\0') {
                ++frames;
                pos = p + 2;
            } else {
                pos = p + 1;
            }
        }
        return frames;
    }
};

// ---------------------------------------------------------------------------------------------
// Blocking I/O helpers

void writeAll(int fd, const char *data, size_t len)
{
    while (len > 0) {
        const ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write: %s", std::strerror(errno));
        }
        data += n;
        len -= size_t(n);
    }
}

ssize_t readSome(int fd, char *buf, size_t cap)
{
    for (;;) {
        const ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("read: %s", std::strerror(errno));
        return n;
    }
}

sockaddr_un socketAddress(const char *path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (std::strlen(path) >= sizeof addr.sun_path)
        die("socket path too long: %s", path);
    std::strcpy(addr.sun_path, path);
    return addr;
}

// ---------------------------------------------------------------------------------------------
// Client side (a separate process)

int runClient(const std::string &workload, const char *path, uint64_t count)
{
    alarm(bench::kTimeoutSeconds);  // default action: terminate
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", std::strerror(errno));
    const sockaddr_un addr = socketAddress(path);
    if (connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        die("connect %s: %s", path, std::strerror(errno));
    bench::startCounting();  // the steady state, without start-up

    char extra[256] = "";
    if (workload == "W1") {
        std::vector<char> batch(kBatchBytes + bench::kMaxSmallFrame);
        size_t used = 0;
        for (uint64_t i = 0; i < count; ++i) {
            used += writeSmallFrame(batch.data() + used, i);
            if (used >= kBatchBytes) {
                writeAll(fd, batch.data(), used);
                used = 0;
            }
        }
        writeAll(fd, batch.data(), used);
    } else if (workload == "W4") {
        const std::string frame = largeFrame();
        for (uint64_t i = 0; i < count; ++i)
            writeAll(fd, frame.data(), frame.size());
    } else if (workload == "W2") {
        std::vector<double> rttUs(count);
        std::vector<char> buf(kReadBytes);
        char frame[bench::kMaxSmallFrame];
        FrameCounter counter;
        const int64_t start = bench::monotonicNs();
        for (uint64_t i = 0; i < count; ++i) {
            const int64_t t = bench::monotonicNs();
            writeAll(fd, frame, writeSmallFrame(frame, i));
            uint64_t got = 0;
            while (got == 0) {
                const ssize_t n = readSome(fd, buf.data(), buf.size());
                if (n == 0)
                    die("client: server closed the connection after %llu answers",
                        (unsigned long long)i);
                got = counter.feed(buf.data(), size_t(n));
            }
            if (got != 1)
                die("client: %llu answers to one request", (unsigned long long)got);
            rttUs[i] = double(bench::monotonicNs() - t) / 1e3;
        }
        const double seconds = double(bench::monotonicNs() - start) / 1e9;
        bench::formatLatencies(extra, sizeof extra, rttUs, seconds);
    } else if (workload == "W3") {
        std::vector<char> buf(kReadBytes);
        FrameCounter counter;
        uint64_t got = 0;
        while (got < count) {
            const ssize_t n = readSome(fd, buf.data(), buf.size());
            if (n == 0)
                die("client: server closed the connection after %llu frames",
                    (unsigned long long)got);
            got += counter.feed(buf.data(), size_t(n));
        }
        const int64_t finish = bench::monotonicNs();
        if (got != count)
            die("client: received %llu frames, expected %llu", (unsigned long long)got,
                (unsigned long long)count);
        std::snprintf(extra, sizeof extra, ",\"finish_ns\":%lld", (long long)finish);
    }
    close(fd);
    bench::printClientReport(extra);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Driver / server side

// Fails fast (instead of waiting for the hard timeout) if a client dies before connecting.
int acceptClient(int listenFd)
{
    for (;;) {
        pollfd p{listenFd, POLLIN, 0};
        const int r = poll(&p, 1, 200);
        if (r < 0 && errno != EINTR)
            die("poll: %s", std::strerror(errno));
        if (r > 0) {
            const int fd = accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                die("accept: %s", std::strerror(errno));
            return fd;
        }
        bench::failIfAChildDied("exited before connecting");
    }
}

}  // namespace

int main(int argc, char **argv)
{
    const bench::CommandLine cl = bench::start("rawbench", argc, argv);
    if (cl.client)
        return runClient(cl.workload, cl.target, cl.count);
    const std::string &workload = cl.workload;
    const uint64_t count = cl.count;
    const char *socketPath = bench::addTempFile("s.sock", sizeof(sockaddr_un::sun_path));

    const int listenFd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listenFd < 0)
        die("socket: %s", std::strerror(errno));
    const sockaddr_un addr = socketAddress(socketPath);
    if (bind(listenFd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        die("bind %s: %s", socketPath, std::strerror(errno));
    if (listen(listenFd, 64) < 0)
        die("listen: %s", std::strerror(errno));

    const int nClients = workload == "W3" ? bench::kBroadcastClients : 1;
    std::vector<bench::Child> children;
    for (int i = 0; i < nClients; ++i)
        children.push_back(bench::spawnClient(cl.self, workload, socketPath, count));

    double seconds = 0;
    int64_t t0 = 0;
    std::vector<int> conns;
    for (int i = 0; i < nClients; ++i)
        conns.push_back(acceptClient(listenFd));

    if (workload == "W1" || workload == "W4") {
        bench::startCounting();
        t0 = bench::monotonicNs();
        std::vector<char> buf(kReadBytes);
        FrameCounter counter;
        uint64_t got = 0;
        while (got < count) {
            const ssize_t n = readSome(conns[0], buf.data(), buf.size());
            if (n == 0)
                die("client closed the connection after %llu frames", (unsigned long long)got);
            got += counter.feed(buf.data(), size_t(n));
        }
        seconds = double(bench::monotonicNs() - t0) / 1e9;
        if (got != count)
            die("received %llu frames, expected %llu", (unsigned long long)got,
                (unsigned long long)count);
    } else if (workload == "W2") {
        bench::startCounting();
        // Echo every complete frame the moment it is complete.
        std::vector<char> buf(kReadBytes);
        size_t have = 0, scan = 0;
        uint64_t echoed = 0;
        while (echoed < count) {
            if (have == buf.size())
                buf.resize(buf.size() * 2);
            const ssize_t n = readSome(conns[0], buf.data() + have, buf.size() - have);
            if (n == 0)
                die("client closed the connection after %llu echoes", (unsigned long long)echoed);
            have += size_t(n);
            size_t start = 0;
            while (scan < have) {
                const void *q = std::memchr(buf.data() + scan, '\0', have - scan);
                if (!q) {
                    scan = have;
                    break;
                }
                const size_t p = size_t(static_cast<const char *>(q) - buf.data());
                if (p + 1 == have) {
                    scan = p;
                    break;
                }
                if (buf[p + 1] == '\0') {
                    writeAll(conns[0], buf.data() + start, p + 2 - start);
                    ++echoed;
                    start = scan = p + 2;
                } else {
                    scan = p + 1;
                }
            }
            std::memmove(buf.data(), buf.data() + start, have - start);
            have -= start;
            scan -= start;
        }
    } else {  // W3
        bench::startCounting();
        t0 = bench::monotonicNs();
        std::vector<char> batch(kBatchBytes + bench::kMaxSmallFrame);
        size_t used = 0;
        for (uint64_t i = 0; i < count; ++i) {
            used += writeSmallFrame(batch.data() + used, i);
            if (used >= kBatchBytes || i + 1 == count) {
                for (int fd : conns)
                    writeAll(fd, batch.data(), used);
                used = 0;
            }
        }
    }

    for (int fd : conns)
        close(fd);
    close(listenFd);
    std::vector<std::string> reports;
    for (const bench::Child &c : children)
        reports.push_back(bench::collectReport(c));
    const bench::Usage server = bench::selfUsage();
    bench::cleanupFiles();

    bench::printResult("raw", workload, count, nClients, seconds, t0, kLargeFrameBytes, reports,
                       server);
    return 0;
}

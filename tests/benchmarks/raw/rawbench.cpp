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
// one JSON line on stdout; diagnostics go to stderr. Hard timeout: 120 s.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

namespace {

constexpr int kTimeoutSeconds = 120;
constexpr int kBroadcastClients = 8;
constexpr size_t kLargeMessageBytes = 1u << 20;
constexpr size_t kBatchBytes = 64 * 1024;  // what the streaming sender hands to one write()
constexpr size_t kReadBytes = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Process bookkeeping, failure and the hard timeout

std::vector<pid_t> g_children;
char g_socketPath[sizeof(sockaddr_un::sun_path)] = {};
char g_tempDir[256] = {};

void cleanupFiles()
{
    if (g_socketPath[0])
        unlink(g_socketPath);
    if (g_tempDir[0])
        rmdir(g_tempDir);
}

void killChildren()
{
    for (pid_t pid : g_children)
        kill(pid, SIGKILL);
}

[[noreturn]] void die(const char *fmt, ...)
{
    std::fputs("rawbench: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    std::exit(1);
}

void onAlarm(int)
{
    static const char msg[] = "rawbench: hard timeout, giving up\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    _exit(124);
}

// ---------------------------------------------------------------------------------------------
// Clocks and resource usage

int64_t monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Usage
{
    double cpuUs;
    long maxRssKib;
};

// Peak resident memory of this process image: VmHWM starts over at exec, unlike ru_maxrss,
// which keeps the spawning parent's peak.
long peakRssKib()
{
    long kib = 0;
    if (FILE *status = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, status)) {
            if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                break;
        }
        std::fclose(status);
    }
    return kib;
}

Usage selfUsage()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return {cpu, peakRssKib()};
}

// ---------------------------------------------------------------------------------------------
// The payload: {"topic":"t","message":{"i":<i>,"s":"abcdefghij" x 6}}\0\0

const char kPrefix[] = "{\"topic\":\"t\",\"message\":{\"i\":";
const char kSuffix[] = ",\"s\":\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"}}";
constexpr size_t kMaxSmallFrame = sizeof kPrefix + sizeof kSuffix + 24;

// Appends the frame for message i (delimiter included) at out, returns its length.
size_t writeSmallFrame(char *out, uint64_t i)
{
    char *p = out;
    std::memcpy(p, kPrefix, sizeof kPrefix - 1);
    p += sizeof kPrefix - 1;
    p = std::to_chars(p, p + 24, i).ptr;
    std::memcpy(p, kSuffix, sizeof kSuffix - 1);
    p += sizeof kSuffix - 1;
    *p++ = '\0';
    *p++ = '\0';
    return size_t(p - out);
}

const char kLargePrefix[] = "{\"topic\":\"t\",\"message\":\"";
const char kLargeSuffix[] = "\"}";
constexpr size_t kLargeFrameBytes =
        sizeof kLargePrefix - 1 + kLargeMessageBytes + sizeof kLargeSuffix - 1 + 2;

std::string largeFrame()
{
    std::string f = kLargePrefix;
    f.append(kLargeMessageBytes, 'x');
    f += kLargeSuffix;
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

void printClientReport(const char *extra)
{
    const Usage u = selfUsage();
    std::printf("{\"cpu_us\":%.0f,\"maxrss_kib\":%ld%s}\n", u.cpuUs, u.maxRssKib, extra);
    std::fflush(stdout);
}

int runClient(const std::string &workload, const char *path, uint64_t count)
{
    alarm(kTimeoutSeconds);  // default action: terminate
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", std::strerror(errno));
    const sockaddr_un addr = socketAddress(path);
    if (connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        die("connect %s: %s", path, std::strerror(errno));

    char extra[256] = "";
    if (workload == "W1") {
        std::vector<char> batch(kBatchBytes + kMaxSmallFrame);
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
        char frame[kMaxSmallFrame];
        FrameCounter counter;
        const int64_t start = monotonicNs();
        for (uint64_t i = 0; i < count; ++i) {
            const int64_t t = monotonicNs();
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
            rttUs[i] = double(monotonicNs() - t) / 1e3;
        }
        const double seconds = double(monotonicNs() - start) / 1e9;
        std::sort(rttUs.begin(), rttUs.end());
        auto pct = [&](double p) {
            size_t rank = size_t(std::ceil(p * double(count)));
            return rttUs[std::min(count - 1, rank == 0 ? 0 : rank - 1)];
        };
        std::snprintf(extra, sizeof extra, ",\"seconds\":%.6f,\"p50_us\":%.1f,\"p99_us\":%.1f",
                      seconds, pct(0.50), pct(0.99));
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
        const int64_t finish = monotonicNs();
        if (got != count)
            die("client: received %llu frames, expected %llu", (unsigned long long)got,
                (unsigned long long)count);
        std::snprintf(extra, sizeof extra, ",\"finish_ns\":%lld", (long long)finish);
    }
    close(fd);
    printClientReport(extra);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Driver / server side

struct Child
{
    pid_t pid;
    int out;  // read end of the child's stdout
};

Child spawnClient(const std::string &self, const std::string &workload, uint64_t count)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        die("pipe: %s", std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    const std::string countStr = std::to_string(count);
    const char *argv[] = {self.c_str(), "--role",         "client", workload.c_str(),
                          g_socketPath, countStr.c_str(), nullptr};
    pid_t pid;
    const int rc =
            posix_spawn(&pid, self.c_str(), &fa, nullptr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0)
        die("spawn %s: %s", self.c_str(), std::strerror(rc));
    g_children.push_back(pid);
    return {pid, fds[0]};
}

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
        for (pid_t pid : g_children) {
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid)
                die("client %d exited before connecting (status %d)", int(pid), status);
        }
    }
}

// Reads the child's one-line report, waits for it and checks its exit status.
std::string collectReport(const Child &c)
{
    std::string line;
    char buf[512];
    for (;;) {
        const ssize_t n = read(c.out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        line.append(buf, size_t(n));
    }
    close(c.out);
    int status = 0;
    while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) { }
    g_children.erase(std::remove(g_children.begin(), g_children.end(), c.pid), g_children.end());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("client %d failed (status %d)", int(c.pid), status);
    if (line.empty() || line[0] != '{')
        die("client %d reported nothing usable: '%s'", int(c.pid), line.c_str());
    return line;
}

// The one number for `key` in a flat JSON report line written by printClientReport().
double reportValue(const std::string &line, const char *key)
{
    const std::string needle = std::string("\"") + key + "\":";
    const size_t at = line.find(needle);
    if (at == std::string::npos)
        die("client report lacks %s: %s", key, line.c_str());
    return std::strtod(line.c_str() + at + needle.size(), nullptr);
}

int64_t reportInteger(const std::string &line, const char *key)
{
    const std::string needle = std::string("\"") + key + "\":";
    const size_t at = line.find(needle);
    if (at == std::string::npos)
        die("client report lacks %s: %s", key, line.c_str());
    return std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
}

struct Result
{
    double seconds = 0;
    double p50 = -1, p99 = -1;
    double mibPerS = -1;
};

[[noreturn]] void usage()
{
    std::fputs("usage: rawbench W1|W2|W3|W4 [--count N]\n", stderr);
    std::exit(2);
}

}  // namespace

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && std::strcmp(argv[1], "--role") == 0) {
        if (argc != 6 || std::strcmp(argv[2], "client") != 0)
            usage();
        return runClient(argv[3], argv[4], std::strtoull(argv[5], nullptr, 10));
    }

    if (argc < 2)
        usage();
    const std::string workload = argv[1];
    uint64_t count;
    if (workload == "W1")
        count = 200000;
    else if (workload == "W2")
        count = 20000;
    else if (workload == "W3")
        count = 50000;
    else if (workload == "W4")
        count = 200;
    else
        usage();
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = std::strtoull(argv[++i], nullptr, 10);
        } else {
            usage();
        }
    }
    if (count == 0)
        usage();

    signal(SIGALRM, onAlarm);
    alarm(kTimeoutSeconds);

    char self[4096];
    const ssize_t selfLen = readlink("/proc/self/exe", self, sizeof self - 1);
    if (selfLen <= 0)
        die("readlink /proc/self/exe: %s", std::strerror(errno));
    self[selfLen] = '\0';

    const char *tmp = std::getenv("TMPDIR");
    std::snprintf(g_tempDir, sizeof g_tempDir, "%s/rawbench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_tempDir)) {
        g_tempDir[0] = '\0';
        die("mkdtemp: %s", std::strerror(errno));
    }
    const std::string socketPath = std::string(g_tempDir) + "/s.sock";
    if (socketPath.size() >= sizeof g_socketPath)
        die("socket path too long: %s", socketPath.c_str());
    std::memcpy(g_socketPath, socketPath.c_str(), socketPath.size() + 1);

    const int listenFd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listenFd < 0)
        die("socket: %s", std::strerror(errno));
    const sockaddr_un addr = socketAddress(g_socketPath);
    if (bind(listenFd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        die("bind %s: %s", g_socketPath, std::strerror(errno));
    if (listen(listenFd, 64) < 0)
        die("listen: %s", std::strerror(errno));

    const int nClients = workload == "W3" ? kBroadcastClients : 1;
    std::vector<Child> children;
    for (int i = 0; i < nClients; ++i)
        children.push_back(spawnClient(self, workload, count));

    Result res;
    int64_t t0 = 0;
    std::vector<int> conns;
    for (int i = 0; i < nClients; ++i)
        conns.push_back(acceptClient(listenFd));

    if (workload == "W1" || workload == "W4") {
        t0 = monotonicNs();
        std::vector<char> buf(kReadBytes);
        FrameCounter counter;
        uint64_t got = 0;
        while (got < count) {
            const ssize_t n = readSome(conns[0], buf.data(), buf.size());
            if (n == 0)
                die("client closed the connection after %llu frames", (unsigned long long)got);
            got += counter.feed(buf.data(), size_t(n));
        }
        res.seconds = double(monotonicNs() - t0) / 1e9;
        if (got != count)
            die("received %llu frames, expected %llu", (unsigned long long)got,
                (unsigned long long)count);
        if (workload == "W4")
            res.mibPerS = double(count) * double(kLargeFrameBytes) / 1048576.0 / res.seconds;
    } else if (workload == "W2") {
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
        t0 = monotonicNs();
        std::vector<char> batch(kBatchBytes + kMaxSmallFrame);
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
    for (const Child &c : children)
        reports.push_back(collectReport(c));
    const Usage server = selfUsage();
    cleanupFiles();

    double clientCpu = 0;
    long clientRss = 0;
    int64_t lastFinish = 0;
    for (const std::string &r : reports) {
        clientCpu = std::max(clientCpu, reportValue(r, "cpu_us"));
        clientRss = std::max(clientRss, long(reportInteger(r, "maxrss_kib")));
        if (workload == "W3")
            lastFinish = std::max(lastFinish, reportInteger(r, "finish_ns"));
    }
    if (workload == "W3")
        res.seconds = double(lastFinish - t0) / 1e9;
    if (workload == "W2") {
        res.seconds = reportValue(reports[0], "seconds");
        res.p50 = reportValue(reports[0], "p50_us");
        res.p99 = reportValue(reports[0], "p99_us");
    }
    const double deliveries = double(count) * double(nClients);

    std::string extra;
    char tmpBuf[128];
    if (res.p50 >= 0) {
        std::snprintf(tmpBuf, sizeof tmpBuf, ",\"p50_us\":%.1f,\"p99_us\":%.1f", res.p50, res.p99);
        extra += tmpBuf;
    }
    if (res.mibPerS >= 0) {
        std::snprintf(tmpBuf, sizeof tmpBuf, ",\"mib_per_s\":%.1f", res.mibPerS);
        extra += tmpBuf;
    }
    std::printf("{\"impl\":\"raw\",\"workload\":\"%s\",\"messages\":%llu,\"seconds\":%.6f,"
                "\"rate\":%.1f%s,\"cpu_us_per_msg\":{\"server\":%.4f,\"client\":%.4f},"
                "\"peak_rss_kib\":{\"server\":%ld,\"client\":%ld}}\n",
                workload.c_str(), (unsigned long long)count, res.seconds, deliveries / res.seconds,
                extra.c_str(), server.cpuUs / double(count), clientCpu / double(count),
                server.maxRssKib, clientRss);
    return 0;
}

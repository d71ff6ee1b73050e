// benchcommon.h: what the reference drivers (raw/rawbench.cpp, zmq/zmqbench.cpp) share.
//
// Header-only, plain C++17 + POSIX, no Qt. Both drivers work the same way: the driver is the
// server and re-executes itself as the client(s) (`NAME --role client W TARGET COUNT`), each of
// which reports its CPU time, peak RSS and timings as one flat JSON line on its stdout (a pipe to
// the driver). The driver prints exactly one JSON line on stdout; diagnostics go to stderr. Hard
// timeout: 120 s. Only the transport lives in the drivers themselves.

#ifndef BENCHCOMMON_H
#define BENCHCOMMON_H

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

#include <dirent.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

namespace bench {

inline constexpr int kTimeoutSeconds = 120;
inline constexpr int kBroadcastClients = 8;
inline constexpr size_t kLargeMessageBytes = 1u << 20;

// ---------------------------------------------------------------------------------------------
// Process bookkeeping, failure and the hard timeout

inline char g_program[32] = "bench";  // "rawbench", "zmqbench": prefixes every diagnostic
inline char g_timeoutMessage[64] = {};
inline std::vector<pid_t> g_children;
inline char g_tempDir[256] = {};
// Files in g_tempDir (the drivers' socket files), removed on any exit.
inline constexpr int kMaxTempFiles = 2;
inline char g_tempFiles[kMaxTempFiles][512] = {};

inline void cleanupFiles()
{
    for (const char *p : g_tempFiles)
        if (p[0])
            unlink(p);
    if (g_tempDir[0])
        rmdir(g_tempDir);
}

inline void killChildren()
{
    for (pid_t pid : g_children)
        kill(pid, SIGKILL);
}

[[noreturn]] inline void die(const char *fmt, ...)
{
    std::fprintf(stderr, "%s: ", g_program);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    // Not exit(): zmq's context may still hold sockets with unsent messages. Nothing else is
    // lost, since stdout, the only buffered stream, is flushed here.
    std::fflush(stdout);
    _exit(1);
}

inline void onAlarm(int)
{
    ssize_t ignored = write(STDERR_FILENO, g_timeoutMessage, std::strlen(g_timeoutMessage));
    (void)ignored;
    killChildren();
    for (pid_t pid : g_children)
        waitpid(pid, nullptr, 0);
    cleanupFiles();
    _exit(124);
}

// The driver's hard timeout: kills the clients, cleans up and exits with 124.
inline void armHardTimeout()
{
    signal(SIGALRM, onAlarm);
    alarm(kTimeoutSeconds);
}

// ---------------------------------------------------------------------------------------------
// Command line: NAME W1|W2|W3|W4 [--count N], or NAME --role client W TARGET COUNT

struct CommandLine
{
    bool client = false;
    std::string workload;
    const char *target = nullptr;  // client only: where to connect (a driver's TARGET)
    uint64_t count = 0;
    std::string self;  // driver only: this executable, to spawn the clients from
};

[[noreturn]] inline void usage()
{
    std::fprintf(stderr, "usage: %s W1|W2|W3|W4 [--count N]\n", g_program);
    std::exit(2);
}

inline CommandLine parseCommandLine(int argc, char **argv)
{
    CommandLine cl;
    if (argc >= 2 && std::strcmp(argv[1], "--role") == 0) {
        if (argc != 6 || std::strcmp(argv[2], "client") != 0)
            usage();
        cl.client = true;
        cl.workload = argv[3];
        cl.target = argv[4];
        cl.count = std::strtoull(argv[5], nullptr, 10);
        return cl;
    }

    if (argc < 2)
        usage();
    cl.workload = argv[1];
    if (cl.workload == "W1")
        cl.count = 200000;
    else if (cl.workload == "W2")
        cl.count = 20000;
    else if (cl.workload == "W3")
        cl.count = 50000;
    else if (cl.workload == "W4")
        cl.count = 200;
    else
        usage();
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            cl.count = std::strtoull(argv[++i], nullptr, 10);
        else
            usage();
    }
    if (cl.count == 0)
        usage();
    return cl;
}

// ---------------------------------------------------------------------------------------------
// Clocks and resource usage

inline int64_t monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Counts that hold on any machine, for the steady state: from startCounting() on, the system
// calls of every thread the process has then (the kernel's raw_syscalls:sys_enter tracepoint),
// those that change the heap's size (brk, mmap, munmap), and minor page faults (getrusage).
// The tracepoints need perf_event_open (root, or perf_event_paranoid <= 1): -1 without.
struct Counts
{
    int64_t syscalls = -1;
    int64_t heapSyscalls = -1;
    int64_t minorFaults = 0;
};

namespace detail {

struct Counters
{
    std::vector<int> syscalls;  // one descriptor per thread and tracepoint
    std::vector<int> heap;
    long faultsAtStart = 0;
};

inline Counters &counters()
{
    static Counters c;
    return c;
}

inline long tracepointId(const char *event)
{
    for (const char *root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"}) {
        const std::string path = std::string(root) + event + "/id";
        if (FILE *f = std::fopen(path.c_str(), "r")) {
            long id = -1;
            if (std::fscanf(f, "%ld", &id) != 1)
                id = -1;
            std::fclose(f);
            return id;
        }
    }
    return -1;
}

inline int openTracepoint(long id, pid_t tid)
{
    perf_event_attr attr{};
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = uint64_t(id);
    attr.disabled = 0;
    attr.exclude_hv = 1;
    return int(syscall(SYS_perf_event_open, &attr, tid, -1, -1, 0));
}

inline int64_t sum(const std::vector<int> &fds)
{
    if (fds.empty())
        return -1;
    int64_t total = 0;
    for (int fd : fds) {
        uint64_t value = 0;
        if (read(fd, &value, sizeof value) == ssize_t(sizeof value))
            total += int64_t(value);
    }
    return total;
}

inline long minorFaultsNow()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

}  // namespace detail

// Starts (or starts over) the counts, for the threads the process has now.
inline void startCounting()
{
    detail::Counters &c = detail::counters();
    for (int fd : c.syscalls)
        close(fd);
    for (int fd : c.heap)
        close(fd);
    c.syscalls.clear();
    c.heap.clear();
    const long all = detail::tracepointId("raw_syscalls/sys_enter");
    const long heapIds[] = {detail::tracepointId("syscalls/sys_enter_brk"),
                            detail::tracepointId("syscalls/sys_enter_mmap"),
                            detail::tracepointId("syscalls/sys_enter_munmap")};
    if (DIR *tasks = opendir("/proc/self/task")) {
        while (dirent *entry = readdir(tasks)) {
            const pid_t tid = pid_t(std::atoi(entry->d_name));
            if (tid <= 0)
                continue;
            if (all >= 0) {
                if (const int fd = detail::openTracepoint(all, tid); fd >= 0)
                    c.syscalls.push_back(fd);
            }
            for (long id : heapIds) {
                if (id < 0)
                    continue;
                if (const int fd = detail::openTracepoint(id, tid); fd >= 0)
                    c.heap.push_back(fd);
            }
        }
        closedir(tasks);
    }
    c.faultsAtStart = detail::minorFaultsNow();
}

// Since startCounting() (the counters keep running).
inline Counts countsSoFar()
{
    const detail::Counters &c = detail::counters();
    Counts counts;
    counts.syscalls = detail::sum(c.syscalls);
    counts.heapSyscalls = detail::sum(c.heap);
    counts.minorFaults = detail::minorFaultsNow() - c.faultsAtStart;
    return counts;
}

struct Usage
{
    double cpuUs;
    long maxRssKib;
    Counts counts;
};

// Peak resident memory of this process image: VmHWM starts over at exec, unlike ru_maxrss,
// which keeps the spawning parent's peak.
inline long peakRssKib()
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

inline Usage selfUsage()  // all threads of the process (zmq's I/O thread included)
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return {cpu, peakRssKib(), countsSoFar()};
}

// ---------------------------------------------------------------------------------------------
// The payload text: {"topic":"t","message":{"i":<i>,"s":"abcdefghij" x 6}} and, for W4,
// {"topic":"t","message":"x..."} with 1 MiB of x. The drivers add their own framing.

inline const char kPrefix[] = "{\"topic\":\"t\",\"message\":{\"i\":";
inline const char kSuffix[] =
        ",\"s\":\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"}}";
// Room for the text of any small message plus a 2-byte delimiter.
inline constexpr size_t kMaxSmallFrame = sizeof kPrefix + sizeof kSuffix + 24;

// Writes the text of small message i at out, returns its end.
inline char *writeSmallText(char *out, uint64_t i)
{
    char *p = out;
    std::memcpy(p, kPrefix, sizeof kPrefix - 1);
    p += sizeof kPrefix - 1;
    p = std::to_chars(p, p + 24, i).ptr;
    std::memcpy(p, kSuffix, sizeof kSuffix - 1);
    p += sizeof kSuffix - 1;
    return p;
}

inline const char kLargePrefix[] = "{\"topic\":\"t\",\"message\":\"";
inline const char kLargeSuffix[] = "\"}";
inline constexpr size_t kLargeTextBytes =
        sizeof kLargePrefix - 1 + kLargeMessageBytes + sizeof kLargeSuffix - 1;

inline std::string largeText()
{
    std::string f = kLargePrefix;
    f.append(kLargeMessageBytes, 'x');
    f += kLargeSuffix;
    return f;
}

// ---------------------------------------------------------------------------------------------
// Client side (a separate process)

// W2: formats the round trips (sorted here) and the run's duration for the client report.
inline void formatLatencies(char *extra, size_t size, std::vector<double> &rttUs, double seconds)
{
    const size_t count = rttUs.size();
    std::sort(rttUs.begin(), rttUs.end());
    auto pct = [&](double p) {
        size_t rank = size_t(std::ceil(p * double(count)));
        return rttUs[std::min(count - 1, rank == 0 ? 0 : rank - 1)];
    };
    std::snprintf(extra, size, ",\"seconds\":%.6f,\"p50_us\":%.1f,\"p99_us\":%.1f", seconds,
                  pct(0.50), pct(0.99));
}

// The client's one report line; extra is "" or ",\"key\":value...".
inline void printClientReport(const char *extra)
{
    const Usage u = selfUsage();
    std::printf("{\"cpu_us\":%.0f,\"maxrss_kib\":%ld,\"syscalls\":%lld,\"heap_syscalls\":%lld,"
                "\"minflt\":%lld%s}\n",
                u.cpuUs, u.maxRssKib, (long long)u.counts.syscalls,
                (long long)u.counts.heapSyscalls, (long long)u.counts.minorFaults, extra);
    std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Driver side

inline std::string selfExecutable()
{
    char self[4096];
    const ssize_t selfLen = readlink("/proc/self/exe", self, sizeof self - 1);
    if (selfLen <= 0)
        die("readlink /proc/self/exe: %s", std::strerror(errno));
    self[selfLen] = '\0';
    return self;
}

// Creates g_tempDir ($TMPDIR/NAME.XXXXXX), removed on any exit.
inline void makeTempDir()
{
    const char *tmp = std::getenv("TMPDIR");
    std::snprintf(g_tempDir, sizeof g_tempDir, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp",
                  g_program);
    if (!mkdtemp(g_tempDir)) {
        g_tempDir[0] = '\0';
        die("mkdtemp: %s", std::strerror(errno));
    }
}

// The first thing main() does, in the driver and in the clients: parses the command line and,
// for the driver, arms the hard timeout and creates g_tempDir.
inline CommandLine start(const char *program, int argc, char **argv)
{
    std::snprintf(g_program, sizeof g_program, "%s", program);
    std::snprintf(g_timeoutMessage, sizeof g_timeoutMessage, "%s: hard timeout, giving up\n",
                  program);
    signal(SIGPIPE, SIG_IGN);
    CommandLine cl = parseCommandLine(argc, argv);
    if (cl.client)
        return cl;
    armHardTimeout();
    cl.self = selfExecutable();
    makeTempDir();
    return cl;
}

// Registers g_tempDir/name (a socket file, shorter than maxLength) for removal on any exit and
// returns its path.
inline const char *addTempFile(const char *name, size_t maxLength)
{
    const std::string path = std::string(g_tempDir) + "/" + name;
    if (path.size() >= maxLength)
        die("socket path too long: %s", path.c_str());
    for (char *slot : g_tempFiles) {
        if (!slot[0]) {
            std::memcpy(slot, path.c_str(), path.size() + 1);
            return slot;
        }
    }
    die("too many temporary files");
}

struct Child
{
    pid_t pid;
    int out;  // read end of the child's stdout
};

// Starts `self --role client WORKLOAD TARGET COUNT` with its stdout on a pipe. posix_spawn, not
// a bare fork, because a library's threads (zmq's I/O threads) may already run in this process.
inline Child spawnClient(const std::string &self, const std::string &workload, const char *target,
                         uint64_t count)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        die("pipe: %s", std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    const std::string countStr = std::to_string(count);
    const char *argv[] = {self.c_str(), "--role",         "client", workload.c_str(),
                          target,       countStr.c_str(), nullptr};
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

// Fails fast (instead of waiting for the hard timeout) if a client has died; `what` says how
// ("exited early").
inline void failIfAChildDied(const char *what = "exited early")
{
    for (pid_t pid : g_children) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            die("client %d %s (status %d)", int(pid), what, status);
    }
}

// Reads the child's one-line report, waits for it and checks its exit status.
inline std::string collectReport(const Child &c)
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

// Where the value for `key` starts in a flat JSON report line written by printClientReport().
inline const char *reportField(const std::string &line, const char *key)
{
    const std::string needle = std::string("\"") + key + "\":";
    const size_t at = line.find(needle);
    if (at == std::string::npos)
        die("client report lacks %s: %s", key, line.c_str());
    return line.c_str() + at + needle.size();
}

inline double reportValue(const std::string &line, const char *key)
{
    return std::strtod(reportField(line, key), nullptr);
}

inline int64_t reportInteger(const std::string &line, const char *key)
{
    return std::strtoll(reportField(line, key), nullptr, 10);
}

// The counts of a result line: per message, each side (the busiest client for W3).
inline std::string countsJson(const Counts &server, const Counts &client, double messages)
{
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  ",\"syscalls_per_msg\":{\"server\":%.3f,\"client\":%.3f},"
                  "\"minflt_per_msg\":{\"server\":%.3f,\"client\":%.3f},"
                  "\"heap_syscalls\":{\"server\":%lld,\"client\":%lld}",
                  server.syscalls < 0 ? -1.0 : double(server.syscalls) / messages,
                  client.syscalls < 0 ? -1.0 : double(client.syscalls) / messages,
                  double(server.minorFaults) / messages, double(client.minorFaults) / messages,
                  (long long)server.heapSyscalls, (long long)client.heapSyscalls);
    return buf;
}

// Prints the driver's one result line. `seconds` is the server's own measurement (W1, W4; W2
// takes the client's, W3 runs from t0 to the last client's finish), `server` its usage with
// everything torn down, `largeFrameBytes` what one W4 message is on the wire.
inline void printResult(const char *impl, const std::string &workload, uint64_t count, int nClients,
                        double seconds, int64_t t0, size_t largeFrameBytes,
                        const std::vector<std::string> &reports, const Usage &server)
{
    double clientCpu = 0;
    long clientRss = 0;
    int64_t lastFinish = 0;
    Counts client;  // the busiest client's
    for (const std::string &r : reports) {
        client.syscalls = std::max<int64_t>(client.syscalls, reportInteger(r, "syscalls"));
        client.heapSyscalls =
                std::max<int64_t>(client.heapSyscalls, reportInteger(r, "heap_syscalls"));
        client.minorFaults = std::max<int64_t>(client.minorFaults, reportInteger(r, "minflt"));
        clientCpu = std::max(clientCpu, reportValue(r, "cpu_us"));
        clientRss = std::max(clientRss, long(reportInteger(r, "maxrss_kib")));
        if (workload == "W3")
            lastFinish = std::max(lastFinish, reportInteger(r, "finish_ns"));
    }
    std::string extra;
    char buf[128];
    if (workload == "W3")
        seconds = double(lastFinish - t0) / 1e9;
    if (workload == "W2") {
        seconds = reportValue(reports[0], "seconds");
        std::snprintf(buf, sizeof buf, ",\"p50_us\":%.1f,\"p99_us\":%.1f",
                      reportValue(reports[0], "p50_us"), reportValue(reports[0], "p99_us"));
        extra += buf;
    }
    if (workload == "W4") {
        std::snprintf(buf, sizeof buf, ",\"mib_per_s\":%.1f",
                      double(count) * double(largeFrameBytes) / 1048576.0 / seconds);
        extra += buf;
    }
    const double deliveries = double(count) * double(nClients);
    std::printf("{\"impl\":\"%s\",\"workload\":\"%s\",\"messages\":%llu,\"seconds\":%.6f,"
                "\"rate\":%.1f%s,\"cpu_us_per_msg\":{\"server\":%.4f,\"client\":%.4f},"
                "\"peak_rss_kib\":{\"server\":%ld,\"client\":%ld}%s}\n",
                impl, workload.c_str(), (unsigned long long)count, seconds, deliveries / seconds,
                extra.c_str(), server.cpuUs / double(count), clientCpu / double(count),
                server.maxRssKib, clientRss, countsJson(server.counts, client, double(count)).c_str());
}

}  // namespace bench

#endif  // BENCHCOMMON_H

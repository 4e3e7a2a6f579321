import Foundation

/// Output of one run of the built `strata` binary.
public struct CommandOutput {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var all: String { stdout + stderr }
}

/// Runs `.build/debug/strata` (built by `swift build` before `swift test`) with posix_spawn and waitpid.
public enum StrataBinary {
    public static var path: String { repositoryRoot + "/.build/debug/strata" }

    /// `workingDirectory` applies to the child only (the test process's directory is shared by parallel tests).
    public static func run(_ arguments: [String], environment extra: [String: String] = [:], workingDirectory: String? = nil) throws -> CommandOutput {
        try start(arguments, environment: extra, workingDirectory: workingDirectory).wait()
    }

    /// A running `strata` process.
    public struct Running {
        public let pid: pid_t
        let dir: String

        public func signal(_ signo: Int32) { kill(pid, signo) }

        /// What it has printed on stdout so far.
        public var stdoutSoFar: String { (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "" }

        /// Waits (up to `seconds`) until stdout holds a line containing `text`; returns that line.
        public func waitForLine(containing text: String, seconds: Double = 20) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let line = stdoutSoFar.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { return nil }   // it ended without printing it
                usleep(10_000)
            }
            return nil
        }

        public func wait() throws -> CommandOutput {
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return CommandOutput(status: code,
                                 stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
                                 stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
        }
    }

    /// Starts `strata` without waiting for it.
    public static func start(_ arguments: [String], environment extra: [String: String] = [:], workingDirectory: String? = nil) throws -> Running {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw NSError(domain: "strata-tests", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path) is missing: run `swift build` before `swift test`"])
        }
        let dir = NSTemporaryDirectory() + "strata-out-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var env = ProcessInfo.processInfo.environment
        // Tests decide the connection explicitly.
        for k in ["STRATA_DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "DBT_PROFILES_DIR"] { env[k] = nil }
        env.merge(extra) { $1 }
        let command = workingDirectory.map { ["/usr/bin/env", "-C", $0, path] } ?? [path]
        let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0)=\($1)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        // a child starts as from a shell: no signal blocked (a test thread's mask would otherwise be inherited)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        guard rc == 0 else { throw NSError(domain: "strata-tests", code: Int(rc)) }
        return Running(pid: pid, dir: dir)
    }
}

/// A plain HTTP GET over a socket (the docs server's tests): status line and body.
public func httpGet(host: String = "127.0.0.1", port: UInt16, path: String) throws -> (status: String, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    inet_pton(AF_INET, host, &address.sin_addr)
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw NSError(domain: "strata-tests", code: 2, userInfo: [NSLocalizedDescriptionKey: "cannot connect to \(host):\(port)"]) }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    return (String(parts[0].split(separator: "\r\n").first ?? ""), parts.dropFirst().joined(separator: "\r\n\r\n"))
}

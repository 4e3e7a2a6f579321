import Foundation

/// Runs a program and waits for it with waitpid. Foundation's Process is not used here: it notices exit through a
/// descriptor that a daemon started by the child (the PostgreSQL server) inherits, and then never sees the exit.
enum ChildProcess {
    /// Runs `path` with `arguments` from the root directory (server tools fail in a working directory that is gone
    /// or unreadable by the server user), stdin from /dev/null and stdout+stderr appended to `outputPath`.
    static func run(_ path: String, _ arguments: [String], outputPath: String) throws -> Int32 {
        // GNU env's -C changes directory before exec; posix_spawn has no portable chdir action here
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/env") {
            return try spawn("/usr/bin/env", ["-C", "/", path] + arguments, outputPath: outputPath)
        }
        return try spawn(path, arguments, outputPath: outputPath)
    }

    private static func spawn(_ path: String, _ arguments: [String], outputPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server daemon outlives us: it must not inherit our descriptors (pipes of whoever ran Strata, say).
        for fd in 3..<Int32(min(Int(sysconf(Int32(_SC_OPEN_MAX))), 4096)) {
            let flags = fcntl(fd, F_GETFD)
            if flags != -1 && flags & FD_CLOEXEC == 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw ServerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { throw ServerError("waiting for \(path) failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

import Foundation
import Basics
import Warehouse

/// A private PostgreSQL cluster that Strata starts itself under a folder (default `<project>/.strata/postgres`).
/// It listens only on a Unix socket in that folder, trusts local connections, and stays up between commands.
public struct LocalServer: Sendable {
    public let directory: URL
    /// Tests trade durability for speed (fsync off); a user's server keeps fsync on.
    public let durable: Bool
    public static let superuser = "postgres"
    public static let port = 5432

    public init(directory: URL, durable: Bool = true) {
        self.directory = directory.standardizedFileURL
        self.durable = durable
    }

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var logFile: URL { directory.appendingPathComponent("server.log") }

    /// Unix socket paths are limited to 107 bytes; long project paths get a socket folder under /tmp.
    public var socketDirectory: URL {
        let candidate = directory.appendingPathComponent("run")
        if candidate.path.utf8.count + 16 < 100 { return candidate }
        return URL(fileURLWithPath: "/tmp/strata-\(SHA256.hex(directory.path).prefix(16))")
    }

    public enum Status: Sendable, Equatable {
        case notInitialized
        case stopped
        case running(pid: Int32)
        /// The data folder was copied from another project's (`cp -r` with `.strata/`): its pid file names that
        /// server's data folder. Not this project's server, whatever that one is doing; starting adopts the copy.
        case copied(from: String)
    }

    public func conninfo(database: String) -> String {
        PostgresAdapter.keywordString([("host", socketDirectory.path), ("port", String(Self.port)),
                                       ("user", Self.superuser), ("dbname", database)])
    }

    public var status: Status {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else { return .notInitialized }
        guard let pidText = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8) else { return .stopped }
        let lines = pidText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // the pid file's second line is the data folder of the server that wrote it
        if lines.count > 1, !lines[1].isEmpty, URL(fileURLWithPath: lines[1]).standardizedFileURL.path != dataDirectory.path {
            return .copied(from: lines[1])
        }
        guard let pid = lines.first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }), kill(pid, 0) == 0 || errno == EPERM else { return .stopped }
        return .running(pid: pid)
    }

    /// Initializes and starts the cluster if needed, creates `database` if missing, and returns its connection string.
    public func ensureRunning(database: String, log: (String) -> Void = { _ in }) throws -> String {
        try withDirectoryLock {
            switch status {
            case .running: break
            case .notInitialized:
                log("Initializing a private PostgreSQL in \(directory.path)")
                try initialize()
                try start()
            case .stopped:
                try start()
            case .copied(let other):
                log("This project's .strata/ was copied from another project's (\(other)): starting a server of its own on the copied data; the other project's server is not touched")
                try adoptCopy()
                try start()
            }
        }
        try ensureDatabase(database)
        return conninfo(database: database)
    }

    public func stop() throws {
        guard case .running = status else { return }
        let pgCtl = try Self.binary("pg_ctl")
        try runAsServerUser(pgCtl, ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"], what: "stop the private PostgreSQL")
    }

    // MARK: internals

    private func ensureDatabase(_ name: String) throws {
        let conn = try PostgresConnection(conninfo: conninfo(database: "postgres"))
        defer { conn.close() }
        let exists = try conn.execute("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [name]).rows.count > 0
        if !exists {
            do {
                try conn.execute("CREATE DATABASE \(SQLDialect.postgres.quote(name))")
            } catch let e as WarehouseError where e.sqlState == "42P04" {
                // created concurrently by another process: fine
            }
        }
    }

    private func initialize() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        if fm.fileExists(atPath: dataDirectory.path) { try fm.removeItem(at: dataDirectory) }
        try prepareOwnership()
        let initdb = try Self.binary("initdb")
        try runAsServerUser(initdb, ["-D", dataDirectory.path, "-U", Self.superuser, "-A", "trust", "-E", "UTF8",
                                     "--locale=C", "--no-sync", "--no-instructions"], what: "initialize the private PostgreSQL")
        var conf = """

        # --- written by Strata: a private, socket-only development server ---
        listen_addresses = ''
        unix_socket_directories = '\(socketDirectory.path)'
        port = \(Self.port)
        max_connections = 100
        shared_buffers = 128MB
        synchronous_commit = off

        """
        if !durable { conf += "fsync = off\nfull_page_writes = off\n" }
        let confURL = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: confURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(conf.utf8))
        try handle.close()
    }

    /// A copied data folder becomes this project's: the other server's pid file goes (it describes that server,
    /// not this folder), and the socket folder is this project's (a later line in postgresql.conf wins).
    private func adoptCopy() throws {
        let fm = FileManager.default
        try? fm.removeItem(at: dataDirectory.appendingPathComponent("postmaster.pid"))
        // the copied socket and its lock file are the other server's too
        for name in (try? fm.contentsOfDirectory(atPath: socketDirectory.path)) ?? [] where name.hasPrefix(".s.PGSQL.") {
            try? fm.removeItem(at: socketDirectory.appendingPathComponent(name))
        }
        let confURL = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: confURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n# --- written by Strata: this copy's own socket folder ---\nunix_socket_directories = '\(socketDirectory.path)'\n".utf8))
        try handle.close()
        // a copy belongs to whoever copied it, with the copier's modes: the server wants its own files, private
        chmod(dataDirectory.path, 0o700)
        if isRoot, let pw = getpwnam(Self.superuser) {
            let (uid, gid) = (pw.pointee.pw_uid, pw.pointee.pw_gid)
            chown(dataDirectory.path, uid, gid)
            let files = FileManager.default.enumerator(atPath: dataDirectory.path)
            while let relative = files?.nextObject() as? String { chown(dataDirectory.appendingPathComponent(relative).path, uid, gid) }
        }
    }

    private func start() throws {
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try prepareOwnership()
        let pgCtl = try Self.binary("pg_ctl")
        // A stale pid file from a crash is handled by pg_ctl itself.
        try runAsServerUser(pgCtl, ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "start"], what: "start the private PostgreSQL")
    }

    private var isRoot: Bool { geteuid() == 0 }

    /// PostgreSQL refuses to run as root: as root, hand the folders to the `postgres` user.
    private func prepareOwnership() throws {
        guard isRoot else { return }
        guard let pw = getpwnam(Self.superuser) else {
            throw ServerError("running as root, but there is no 'postgres' user to run the server as (apt-get install -y postgresql creates it)")
        }
        let uid = pw.pointee.pw_uid, gid = pw.pointee.pw_gid
        for url in [directory, socketDirectory] {
            chown(url.path, uid, gid)
        }
        if !FileManager.default.fileExists(atPath: logFile.path) { _ = FileManager.default.createFile(atPath: logFile.path, contents: nil) }
        chown(logFile.path, uid, gid)
        if FileManager.default.fileExists(atPath: dataDirectory.path) { chown(dataDirectory.path, uid, gid) }
        // The server user must be able to reach the folder through every parent.
        var p = directory.deletingLastPathComponent()
        while p.path != "/" {
            var st = stat()
            if stat(p.path, &st) == 0, st.st_mode & 0o001 == 0, st.st_uid != uid {
                throw ServerError("the 'postgres' user cannot reach \(directory.path): \(p.path) is not searchable by others; move the project, run `chmod o+x \(p.path)`, or set STRATA_DATABASE_URL")
            }
            p = p.deletingLastPathComponent()
        }
    }

    private func runAsServerUser(_ binary: String, _ args: [String], what: String) throws {
        var executable = binary, arguments = args
        if isRoot {
            executable = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
            arguments = ["-u", Self.superuser, "--", binary] + args
        }
        let outputURL = directory.appendingPathComponent("ctl.log")
        try? FileManager.default.removeItem(at: outputURL)
        let status = try ChildProcess.run(executable, arguments, outputPath: outputURL.path)
        guard status == 0 else {
            var text = ((try? String(contentsOf: outputURL, encoding: .utf8)) ?? "").trimmedWhitespace
            if let logText = try? String(contentsOf: logFile, encoding: .utf8) {
                text += "\n" + logText.split(separator: "\n").suffix(5).joined(separator: "\n")
            }
            throw ServerError("could not \(what) (exit \(status)):\n\(text)")
        }
    }

    /// Serializes setup between concurrent Strata processes with an exclusive file lock.
    private func withDirectoryLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lockPath = directory.appendingPathComponent(".lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw ServerError("cannot open \(lockPath)") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Finds a server binary on PATH, then in Debian's /usr/lib/postgresql/<version>/bin (newest first).
    public static func binary(_ name: String) throws -> String {
        let fm = FileManager.default
        let root = "/usr/lib/postgresql"
        if let versions = try? fm.contentsOfDirectory(atPath: root) {
            for v in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
                let p = "\(root)/\(v)/bin/\(name)"
                if fm.isExecutableFile(atPath: p) { return p }
            }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if fm.isExecutableFile(atPath: p) { return p }
        }
        throw ServerError("PostgreSQL server binaries not found (\(name)); install them with `apt-get install -y postgresql`, or point Strata at a server with --database-url")
    }
}

/// A failure managing the private server.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

import Basics
import CLibPQ
import Foundation
import Warehouse

/// A libpq connection. Not thread-safe: one worker uses it at a time (`cancel` is the exception).
public final class PostgresConnection: WarehouseConnection, @unchecked Sendable {
    private var conn: OpaquePointer?
    private let cancelLock = NSLock()
    private var cancelHandle: OpaquePointer?

    /// Connects with a `postgresql://` URL or a libpq keyword string (`host=… dbname=…`).
    public init(conninfo: String) throws {
        guard let c = PQconnectdb(conninfo) else {
            throw WarehouseError(kind: .connection, message: "could not allocate a connection")
        }
        guard PQstatus(c) == CONNECTION_OK else {
            let msg = String(cString: PQerrorMessage(c)).trimmedWhitespace
            PQfinish(c)
            throw WarehouseError(kind: .connection, sqlState: msg.contains("password authentication failed") ? "28P01" : nil,
                                 message: msg.isEmpty ? "could not connect" : msg)
        }
        conn = c
        cancelHandle = PQgetCancel(c)
        // Notices (e.g. "relation does not exist, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    deinit { close() }

    public func close() {
        cancelLock.withLock {
            if let h = cancelHandle { PQfreeCancel(h); cancelHandle = nil }
        }
        if let c = conn { PQfinish(c); conn = nil }
    }

    public func cancel() {
        cancelLock.withLock {
            guard let h = cancelHandle else { return }
            var buf = [CChar](repeating: 0, count: 256)
            _ = PQcancel(h, &buf, 256)
        }
    }

    /// Server process id of this session (for tests that terminate it).
    public var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// Whether the session is still usable (a terminated backend or a restarted server makes it unusable).
    public var isOpen: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Whether the connection is encrypted with SSL.
    public var isEncrypted: Bool { conn.map { PQsslInUse($0) == 1 } ?? false }

    private func liveConnection() throws -> OpaquePointer {
        guard let c = conn else { throw WarehouseError(kind: .connection, message: "connection is closed") }
        return c
    }

    @discardableResult
    public func execute(_ sql: String, parameters: [String?]) throws -> QueryResult {
        let c = try liveConnection()
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(c, sql)
        } else {
            // Bind as text; libpq copies the values during the call.
            var cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
            defer { cStrings.forEach { free($0) } }
            result = cStrings.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { ptr in
                    PQexecParams(c, sql, Int32(parameters.count), nil, ptr, nil, nil, 0)
                }
            }
        }
        guard let res = result else { throw connectionError(c) }
        defer { PQclear(res) }
        switch PQresultStatus(res) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return QueryResult(affectedRows: affected(res), commandTag: String(cString: PQcmdStatus(res)))
        case PGRES_TUPLES_OK:
            let nrows = Int(PQntuples(res)), ncols = Int(PQnfields(res))
            let columns = (0..<ncols).map { String(cString: PQfname(res, Int32($0))) }
            let types = (0..<ncols).map { UInt32(PQftype(res, Int32($0))) }
            var rows: [[String?]] = []
            rows.reserveCapacity(nrows)
            for r in 0..<nrows {
                var row: [String?] = []
                row.reserveCapacity(ncols)
                for f in 0..<ncols {
                    if PQgetisnull(res, Int32(r), Int32(f)) == 1 { row.append(nil) }
                    else { row.append(String(cString: PQgetvalue(res, Int32(r), Int32(f)))) }
                }
                rows.append(row)
            }
            var result = QueryResult(columns: columns, rows: rows, affectedRows: nrows, commandTag: String(cString: PQcmdStatus(res)))
            result.columnTypes = types
            return result
        case PGRES_COPY_IN:
            // Not expected here: finish the copy so the connection stays usable.
            _ = PQputCopyEnd(c, "COPY FROM STDIN must use copyIn")
            while let r = PQgetResult(c) { PQclear(r) }
            throw WarehouseError(kind: .protocolViolation, message: "COPY FROM STDIN must be run with copyIn")
        default:
            throw statementError(res, c)
        }
    }

    public func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int {
        let c = try liveConnection()
        guard let res = PQexec(c, sql) else { throw connectionError(c) }
        let status = PQresultStatus(res)
        guard status == PGRES_COPY_IN else {
            defer { PQclear(res) }
            if status == PGRES_FATAL_ERROR { throw statementError(res, c) }
            throw WarehouseError(kind: .copy, message: "statement did not start a COPY FROM STDIN")
        }
        PQclear(res)
        var failure: Error?
        for chunk in chunks {
            let rc = chunk.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { PQputCopyData(c, $0, Int32(buf.count)) }
            }
            if rc != 1 { failure = connectionError(c); break }
        }
        _ = PQputCopyEnd(c, failure == nil ? nil : "client error")
        var rows = 0
        var serverError: WarehouseError?
        while let r = PQgetResult(c) {
            if PQresultStatus(r) == PGRES_COMMAND_OK { rows = affected(r) ?? 0 }
            else if serverError == nil { serverError = statementError(r, c) }
            PQclear(r)
        }
        if let serverError { throw serverError }
        if let failure { throw failure }
        return rows
    }

    private func affected(_ res: OpaquePointer) -> Int? {
        let s = String(cString: PQcmdTuples(res))
        return s.isEmpty ? nil : Int(s)
    }

    private func field(_ res: OpaquePointer, _ code: UInt8) -> String? {
        guard let p = PQresultErrorField(res, Int32(code)) else { return nil }
        return String(cString: p)
    }

    private func statementError(_ res: OpaquePointer, _ c: OpaquePointer) -> WarehouseError {
        let primary = field(res, UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(res)).trimmedWhitespace
        let state = field(res, UInt8(ascii: "C"))
        let lost = PQstatus(c) != CONNECTION_OK
        let message = primary.isEmpty || lost ? connectionMessage(c) : primary
        return WarehouseError(kind: lost ? .connection : .statement, sqlState: state,
                              message: lost ? "lost the connection to the server: \(message)" : message,
                              detail: field(res, UInt8(ascii: "D")), hint: lost ? "the statement did not complete; nothing it did was committed" : field(res, UInt8(ascii: "H")),
                              position: field(res, UInt8(ascii: "P")).flatMap { Int($0) },
                              context: field(res, UInt8(ascii: "W")))
    }

    /// libpq's message for a failed connection, on one line ("server closed the connection unexpectedly", …).
    private func connectionMessage(_ c: OpaquePointer) -> String {
        let text = String(cString: PQerrorMessage(c)).trimmedWhitespace
        var line = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? text
        for prefix in ["FATAL:", "ERROR:"] where line.hasPrefix(prefix) { line = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        return line
    }

    private func connectionError(_ c: OpaquePointer) -> WarehouseError {
        WarehouseError(kind: .connection, message: connectionMessage(c).isEmpty ? "connection lost" : connectionMessage(c))
    }
}

/// Connects to PostgreSQL with one connection string.
public struct PostgresAdapter: WarehouseAdapter {
    public let conninfo: String
    public let retry: ConnectRetry
    public var dialect: SQLDialect { .postgres }

    public init(conninfo: String, retry: ConnectRetry = ConnectRetry()) {
        self.conninfo = conninfo
        self.retry = retry
    }

    public func connect() throws -> any WarehouseConnection { try open() }

    /// A PostgreSQL session, opened with the retry policy (for callers that need libpq facts such as encryption).
    public func open() throws -> PostgresConnection {
        try retry.run { try PostgresConnection(conninfo: conninfo) }
    }

    /// libpq's parse of a URL or keyword string into keywords (no connection is made).
    public static func parseConninfo(_ conninfo: String) throws -> [String: String] {
        var err: UnsafeMutablePointer<CChar>?
        guard let opts = PQconninfoParse(conninfo, &err) else {
            let msg = err.map { String(cString: $0) } ?? "invalid connection string"
            if let err { PQfreemem(err) }
            throw WarehouseError(kind: .connection, message: "invalid connection string: " + msg.trimmedWhitespace)
        }
        defer { PQconninfoFree(opts) }
        var out: [String: String] = [:]
        var p = opts
        while let kw = p.pointee.keyword {
            if let v = p.pointee.val { out[String(cString: kw)] = String(cString: v) }
            p += 1
        }
        return out
    }

    /// Builds a keyword string from parts, quoting values as libpq expects.
    public static func keywordString(_ parts: [(String, String)]) -> String {
        parts.map { k, v in
            let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "\(k)='\(escaped)'"
        }.joined(separator: " ")
    }
}

/// Retries connecting when the failure may pass (the server is starting, restarting, or out of connection slots;
/// the network refused or timed out), with exponential backoff; never when it cannot (authentication, a database
/// or role that does not exist, a malformed connection string). Bounded: `retries` extra attempts.
public struct ConnectRetry: Sendable {
    public var retries: Int
    public var initialDelay: Double
    public var maxDelay: Double
    /// Waits between attempts (injected by tests).
    public var sleep: @Sendable (Double) -> Void

    public init(retries: Int = 1, initialDelay: Double = 0.25, maxDelay: Double = 5, sleep: @escaping @Sendable (Double) -> Void = { usleep(useconds_t($0 * 1_000_000)) }) {
        self.retries = max(0, retries)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
    }

    public func run<T>(_ connect: () throws -> T) throws -> T {
        var delay = initialDelay
        var attempt = 0
        while true {
            do {
                return try connect()
            } catch let e as WarehouseError where attempt < retries && Self.isTransient(e) {
                attempt += 1
                sleep(delay)
                delay = min(maxDelay, delay * 2)
            } catch var e as WarehouseError where attempt > 0 {
                e.message += " (after \(attempt + 1) attempts)"
                throw e
            }
        }
    }

    /// Connection failures worth another attempt, by libpq's message (it reports no SQLSTATE before a session).
    public static func isTransient(_ e: WarehouseError) -> Bool {
        guard e.kind == .connection else { return false }
        let m = e.message.lowercased()
        let permanent = ["password authentication failed", "does not exist", "no pg_hba.conf entry", "invalid connection", "invalid uri",
                         "invalid sslmode", "certificate", "role", "permission denied", "authentication"]
        if permanent.contains(where: m.contains) { return false }
        let transient = ["connection refused", "no such file or directory", "timeout expired", "the database system is starting up",
                         "the database system is shutting down", "the database system is in recovery mode", "too many clients",
                         "too many connections", "could not translate host name", "server closed the connection", "connection reset",
                         "network is unreachable", "could not connect", "terminating connection"]
        return transient.contains(where: m.contains)
    }
}

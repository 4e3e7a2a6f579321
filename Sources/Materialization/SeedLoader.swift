import Foundation
import Basics
import Compilation
import Contracts
import ProjectModel
import Warehouse

/// Loads a CSV seed into a table with COPY FROM STDIN, built aside and swapped in like any table.
public struct SeedLoader: Sendable {
    public let adapter: any WarehouseAdapter
    public let projectRoot: String

    public init(adapter: any WarehouseAdapter, projectRoot: String) {
        self.adapter = adapter
        self.projectRoot = projectRoot
    }

    /// Column names as they will be in the table: `quote_columns: false` folds them the way PostgreSQL folds
    /// unquoted names (to lower case); either way they are quoted in SQL.
    func columnNames(_ seed: SeedInput, _ header: [String]) -> [String] {
        seed.spec.quoteColumns ? header : header.map { $0.lowercased() }
    }

    /// Reads and checks the seed: the table (header, row count, types) and the mapped file for COPY to stream.
    public func read(_ node: SeedInput) throws -> (CSVTable, [String], MappedFile) {
        let (table, types, _, file) = try readWithConversions(node)
        return (table, types, file)
    }

    /// `read`, and for a dbt project's seed the columns COPY cannot load as dbt does: column index → the expression
    /// that converts the column, loaded as text, to its type.
    func readWithConversions(_ node: SeedInput) throws -> (CSVTable, [String], [Int: String], MappedFile) {
        let path = projectRoot + "/" + node.path
        guard let file = MappedFile(path: path) else {
            throw Diagnostic(code: .unreadableSeed, "cannot read seed file \(node.path)")
        }
        let bom = file.bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0   // byte-order mark
        file.start = bom
        let table = try CSVTable.parse(UnsafeBufferPointer(rebasing: file.bytes[bom...]), path: node.path, delimiter: node.spec.delimiter,
                                       keepRows: false, dbtTypes: node.spec.dbtTypes, release: { file.release(upTo: bom + $0) })
        var types = table.dbt?.types ?? table.inferredTypes()
        let names = columnNames(node, table.header)
        var conversions: [Int: String] = [:]
        if let dbt = table.dbt {
            for i in types.indices { if let c = dbt.conversion(for: i, column: adapter.dialect.quote(names[i])) { conversions[i] = c } }
        }
        for o in node.spec.columnTypes {
            guard let i = table.header.firstIndex(of: o.column) else {
                throw Diagnostic(code: .unknownSeedColumn, "column_types names column '\(o.column)', which \(node.path) does not have", at: o.location)
            }
            types[i] = o.type
            conversions[i] = nil
        }
        return (table, types, conversions, file)
    }

    /// Loads one seed on `connection`; returns rows loaded. Unchanged columns: TRUNCATE and COPY into the same table
    /// in one transaction (readers wait, then see the new rows). Changed columns, no table yet, or `fullRefresh`:
    /// build a new table aside and swap it in, keeping dependent views.
    public func load(_ node: SeedInput, on connection: any WarehouseConnection, fullRefresh: Bool = false) throws -> Int {
        try load(node, on: connection, fullRefresh: fullRefresh, around: RelationSwap.Around())
    }

    /// `around`: the seed's hooks and grants, run inside its load transaction.
    /// `referenced` resolves the models a contract's foreign keys point at.
    func load(_ node: SeedInput, on connection: any WarehouseConnection, fullRefresh: Bool, around: RelationSwap.Around,
              referenced: (String) -> Relation? = { _ in nil }) throws -> Int {
        let relation = node.relation
        let (table, types, inferredConversions, file) = try readWithConversions(node)
        var conversions = inferredConversions
        let dialect = adapter.dialect
        let swap = RelationSwap(connection: connection, dialect: dialect)
        let names = columnNames(node, table.header)
        let delimiter = node.spec.delimiter
        let target = dialect.qualified(relation.schema, relation.identifier)
        let staging = RelationSwap.stagingName(relation.identifier)
        // The table the seed should be: its columns in table order, how to create it aside, the constraint renames
        // after the swap, and what a failed load reports. Plainly: the file's columns with their inferred types.
        var wanted = zip(names, types).map { IncrementalLoad.Column(name: $0, type: $1) }
        // columns COPY cannot load as dbt does are loaded as text and converted after (`DbtSeedTypes`)
        var create = "CREATE TABLE \(dialect.qualified(relation.schema, staging)) (\(wanted.enumerated().map { "\(dialect.quote($1.name)) \(conversions[$0] == nil ? $1.type : "text")" }.joined(separator: ", ")))"
        var renames: [(from: String, to: String)] = []
        var failure: (WarehouseError) -> Error = { RelationSwap.StatementFailure(error: $0, bodyOffset: nil) }
        if let contract = node.contract {
            // a contracted seed: the file has the contract's columns, which take the contract's types and constraints
            let declared = contract.columns.map(\.name)
            guard Set(names) == Set(declared), names.count == declared.count, !contract.ordered || names == declared else {
                throw ContractViolation(message: "breaks contract '\(contract.name)': the file's columns are \(names.joined(separator: ", ")), the contract's \(declared.joined(separator: ", "))",
                                        sqlState: nil, location: contract.location)
            }
            wanted = contract.columns.map { IncrementalLoad.Column(name: $0.name, type: $0.dataType) }
            conversions = [:]
            let ddl = ContractSQL(dialect: dialect).createTable(contract, schema: relation.schema, staging: staging, final: relation.identifier, referenced: referenced)
            create = ddl.create
            renames = ddl.renames
            failure = { e in
                ContractViolation(message: "violates contract '\(contract.name)': \(e.message.replacingOccurrences(of: staging, with: relation.identifier))\(e.detail.map { " (\($0))" } ?? "")",
                                  sqlState: e.sqlState, location: contract.location)
            }
        }
        if !fullRefresh, conversions.isEmpty, try WarehouseCatalog(connection).exists(target) {
            let existing = try IncrementalLoad(connection: connection, dialect: dialect).columns(of: target)
            if existing.map(\.name) == wanted.map(\.name), try sameTypes(existing, wanted, on: connection) {
                // the same table: truncate and reload in one transaction (a contract's constraints check the new rows)
                return try connection.transaction {
                    try around.before()
                    do {
                        try connection.execute("TRUNCATE \(target)")
                        let rows = try copy(into: target, names: names, delimiter: delimiter, table: table, file: file, on: connection)
                        try around.after()
                        return rows
                    } catch let e as WarehouseError {
                        throw failure(e)
                    }
                }
            }
        }
        let rows = try swap.build(.table, relation: relation, renames: renames, around: around) { stagingQualified in
            do {
                try connection.execute(create)
                let rows = try copy(into: stagingQualified, names: names, delimiter: delimiter, table: table, file: file, on: connection)
                if !conversions.isEmpty {
                    let changes = conversions.keys.sorted().map { i in "ALTER COLUMN \(dialect.quote(names[i])) TYPE \(types[i]) USING \(conversions[i]!)" }
                    try connection.execute("ALTER TABLE \(stagingQualified) \(changes.joined(separator: ", "))")
                }
                return rows
            } catch let e as WarehouseError {
                throw failure(e)
            }
        }
        return rows ?? table.rowCount
    }

    /// Streams the file's data rows into `relation` with COPY, in 1 MiB chunks. Unquoted empty fields are NULL.
    private func copy(into relation: String, names: [String], delimiter: UInt8, table: CSVTable, file: MappedFile, on connection: any WarehouseConnection) throws -> Int {
        let dialect = adapter.dialect
        let quotedNames = names.map(dialect.quote).joined(separator: ", ")
        let chunkSize = 1 << 20
        let bytes = file.bytes, start = file.start
        let chunks = stride(from: start + table.dataOffset, to: bytes.count, by: chunkSize).lazy.map { offset -> [UInt8] in
            defer { file.release(upTo: offset) }   // what COPY has sent is not needed again
            return Array(bytes[offset..<min(offset + chunkSize, bytes.count)])
        }
        let delimiterOption = delimiter == UInt8(ascii: ",") ? "" : ", DELIMITER \(dialect.literal(String(UnicodeScalar(delimiter))))"
        return try connection.copyIn("COPY \(relation) (\(quotedNames)) FROM STDIN WITH (FORMAT csv\(delimiterOption))", chunks: AnySequence(chunks))
    }

    /// Whether the table's column types are the ones the seed asks for (compared as PostgreSQL spells them).
    private func sameTypes(_ existing: [IncrementalLoad.Column], _ wanted: [IncrementalLoad.Column], on connection: any WarehouseConnection) throws -> Bool {
        for (e, w) in zip(existing, wanted) {
            let canonical = try connection.execute("SELECT format_type(to_regtype($1), NULL)", parameters: [w.type]).scalar
            // format_type drops a type's modifiers, so compare the full spelling when the seed gives one
            if e.type != w.type && e.type != canonical && !(w.type.contains("(") && e.type.replacingOccurrences(of: " ", with: "") == w.type.replacingOccurrences(of: " ", with: "")) {
                return false
            }
        }
        return true
    }

    /// A diagnostic for a failed seed, pointing at the CSV line when COPY names one.
    /// The 1-based character column where field `index` of the row starting at `line` begins.
    static func column(ofField index: Int, line: Int, in bytes: [UInt8], delimiter: UInt8) -> Int {
        var i = 0, l = 1
        while l < line, i < bytes.count { if bytes[i] == 0x0A { l += 1 }; i += 1 }
        let lineStart = i
        var field = 0, quoted = false
        while i < bytes.count, field < index {
            let b = bytes[i]
            if b == 0x22 { quoted.toggle() } else if b == delimiter && !quoted { field += 1 } else if b == 0x0A && !quoted { break }
            i += 1
        }
        return String(decoding: bytes[lineStart..<i], as: UTF8.self).unicodeScalars.count + 1
    }

    public func diagnostic(for error: Error, node: SeedInput, table: CSVTable?) -> Diagnostic {
        let fileStart = SourceLocation(file: node.path, line: 1, column: 1)
        switch error {
        case let d as Diagnostic: return d
        case let d as DiagnosticError: return d.diagnostics.first ?? Diagnostic(code: .unexpectedSeedError, "seed '\(node.name)' failed", at: fileStart)
        case let f as RelationSwap.StatementFailure:
            var location = fileStart
            // COPY context reads: COPY x, line 3, column amount: "abc"
            if let ctx = f.error.context, let r = ctx.range(of: "line ") {
                let digits = ctx[r.upperBound...].prefix { $0.isNumber }
                if let n = Int(digits), let table, n >= 1, n <= table.rowCount {
                    var column = 1
                    // "…, column amount: …" names the field; find where it starts on that line
                    if let c = ctx.range(of: ", column "), let name = ctx[c.upperBound...].split(separator: ":").first,
                       let index = columnNames(node, table.header).firstIndex(of: String(name)),
                       let bytes = FileManager.default.contents(atPath: projectRoot + "/" + node.path) {
                        column = Self.column(ofField: index, line: table.line(ofRow: n), in: [UInt8](bytes), delimiter: node.spec.delimiter)
                    }
                    location = SourceLocation(file: node.path, line: table.line(ofRow: n), column: column)
                }
            }
            var notes: [Diagnostic.Note] = []
            if let ctx = f.error.context { notes.append(.init("context: \(ctx)")) }
            notes.append(.init("\(node.relation.description) was not replaced: what was there before, if anything, is as it was"))
            return Diagnostic(code: .seedLoadFailed, "seed '\(node.name)' failed: \(f.error.message)", at: location, notes: notes)
        default:
            return Diagnostic(code: .unexpectedSeedError, "seed '\(node.name)' failed: \(error)", at: fileStart)
        }
    }
}

/// A file mapped read-only into memory. Reading it costs no copy; `release(upTo:)` gives the pages already read
/// back to the kernel, so streaming a large file keeps memory flat.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Where the content starts (after a byte-order mark).
    var start = 0
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        length = Int(st.st_size)
        if length == 0 {
            base = nil
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        _ = madvise(p, length, MADV_SEQUENTIAL)
        base = p
        bytes = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: length)
    }

    /// Drops the pages before `offset` (whole pages only); they are read again from the file if touched.
    func release(upTo offset: Int) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = min(offset, length) / page * page
        if end > 0 { _ = madvise(base, end, MADV_DONTNEED) }
    }

    deinit { if let base { munmap(base, length) } }
}

/// What loading one seed needs: its file, the table it becomes, how the file is read, and its contract.
public struct SeedInput: Sendable {
    public var name: String
    /// Project-relative path of the CSV file.
    public var path: String
    public var relation: Relation
    public var spec: SeedSpec
    public var contract: Contract?
    public init(name: String, path: String, relation: Relation, spec: SeedSpec, contract: Contract? = nil) {
        self.name = name
        self.path = path
        self.relation = relation
        self.spec = spec
        self.contract = contract
    }
}

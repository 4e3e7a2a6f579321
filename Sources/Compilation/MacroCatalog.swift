import Basics
import ProjectModel
import Templating

/// A macro as the manifest lists it (`macros` and `depends_on.macros`): dbt's unique id, package and its text.
public struct MacroEntry: Sendable {
    public var uniqueID: String
    public var name: String
    public var package: String
    /// Relative to its package's root (dbt's `path` and `original_file_path`).
    public var path: String
    /// The `{% macro %}…{% endmacro %}` block as written.
    public var sql: String
}

/// Every template macro the project can call, by definition: dbt's `macro.<package>.<name>` ids for what renders
/// record, and the manifest's entries.
struct MacroCatalog: Sendable {
    let ids: [ObjectIdentifier: String]
    let entries: [MacroEntry]

    init(_ environment: Environment, project: Project) {
        var ids: [ObjectIdentifier: String] = [:]
        var entries: [MacroEntry] = []
        func add(_ name: String, _ def: MacroDefinition) {
            guard ids[ObjectIdentifier(def)] == nil else { return }
            let path = def.source.path
            let (package, relative): (String, String)
            if let p = project.packages.first(where: { path.hasPrefix($0.prefix) }) { (package, relative) = (p.name, String(path.dropFirst(p.prefix.count))) }
            else if path.hasPrefix("<") { (package, relative) = ("dbt", "macros/generic_test_sql") }
            else { (package, relative) = (project.name, path) }
            let id = "macro.\(package).\(name)"
            ids[ObjectIdentifier(def)] = id
            entries.append(MacroEntry(uniqueID: id, name: name, package: package, path: relative, sql: Self.block(def)))
        }
        for (name, def) in environment.macros { add(name, def) }
        for (_, macros) in environment.namespacedMacros { for (name, def) in macros { add(name, def) } }
        self.ids = ids
        self.entries = entries.sorted { $0.uniqueID < $1.uniqueID }
    }

    /// The unique ids of the macros a render called (sorted, each once).
    func ids(of macros: [MacroDefinition]) -> [String] {
        Array(Set(macros.compactMap { ids[ObjectIdentifier($0)] })).sorted()
    }

    /// The definition's text, from its `{% macro` to the end of its `{% endmacro %}`.
    static func block(_ def: MacroDefinition) -> String {
        let utf8 = Array(def.source.text.utf8)
        guard def.offset < utf8.count else { return "" }
        // the definition's offset is its keyword's: the block starts at the `{%` before it
        var start = def.offset
        while start > 0, !(utf8[start - 1] == UInt8(ascii: "{") && utf8[start] == UInt8(ascii: "%")) { start -= 1 }
        if start > 0 { start -= 1 }
        let end = Array("end\(def.kind)".utf8)
        var i = def.offset
        while i + end.count <= utf8.count {
            if Array(utf8[i..<(i + end.count)]) == end {
                var j = i + end.count
                while j + 1 < utf8.count, !(utf8[j] == UInt8(ascii: "%") && utf8[j + 1] == UInt8(ascii: "}")) { j += 1 }
                return String(decoding: utf8[start..<min(utf8.count, j + 2)], as: UTF8.self)
            }
            i += 1
        }
        return String(decoding: utf8[start...], as: UTF8.self)
    }
}

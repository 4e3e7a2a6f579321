import Basics
import DependencyGraph
import ProjectModel
import Templating

/// What a `ref()` names: a model, seed or snapshot, maybe in a package (`ref('pkg', 'm')`), maybe a version of a
/// versioned model (`ref('m', v=2)`).
struct RefName: Hashable, Sendable {
    var name: String
    var package: String?
    var version: String?

    /// From a call's literal arguments: `['m']` or `['pkg', 'm']`, and its `v=`/`version=` keyword.
    init(literal args: [String], version: Value?) {
        self.init(name: args.last!, package: args.count == 2 ? args[0] : nil, version: version.map(\.stringValue))
    }

    init(name: String, package: String? = nil, version: String? = nil) {
        self.name = name
        self.package = package
        self.version = version
    }

    /// As written: `ref('pkg', 'm', v=2)`.
    var written: String {
        "ref(" + ([package, name].compactMap { $0 }.map { "'\($0)'" } + (version.map { ["v=\($0)"] } ?? [])).joined(separator: ", ") + ")"
    }
}

extension Compiler {
    /// `ref(…)` and `source(…)` for one render. Arguments are checked and resolved the same way in every context;
    /// the callbacks decide what the template gets (a relation, a CTE name) and record what the caller needs.
    func refAndSource(resolver: NameResolver,
                      ref resolved: @escaping @Sendable (_ id: NodeID, _ ref: RefName, _ site: CallSite) throws -> Value,
                      source resolvedSource: @escaping @Sendable (_ id: NodeID, _ source: String, _ table: String, _ site: CallSite) throws -> Value)
        -> [String: Value] {
        [
            "ref": .function(Function("ref") { args, site in
                let names = args.positional.compactMap(\.asString)
                guard names.count == args.positional.count, (1...2).contains(names.count) else {
                    throw site.error("ref() takes a model name, or a package and a model name", code: .unknownRef)
                }
                // ref('m', v=2) / ref('m', version=2): a version of a versioned model
                let version = (args.keyword.first { $0.0 == "v" || $0.0 == "version" }?.1).map { $0.stringValue }
                let ref = RefName(name: names.last!, package: names.count == 2 ? names[0] : nil, version: version)
                return try resolved(try resolver.ref(ref, at: site.location), ref, site)
            }),
            "source": .function(Function("source") { args, site in
                guard let s = args.argument(0, "source_name")?.asString, let t = args.argument(1, "table_name")?.asString else {
                    throw site.error("source() takes a source name and a table name", code: .unknownSource)
                }
                return try resolvedSource(resolver.source(s, t, at: site.location), s, t, site)
            }),
        ]
    }
}

import Basics
import DependencyGraph
import ProjectModel
import Templating

extension Compiler {
    /// `ref(…)` and `source(…)` for one render. Arguments are checked and resolved the same way in every context;
    /// the callbacks decide what the template gets (a relation, a CTE name) and record what the caller needs.
    func refAndSource(resolver: NameResolver,
                      ref resolved: @escaping @Sendable (_ id: NodeID, _ name: String, _ package: String?, _ site: CallSite) throws -> Value,
                      source resolvedSource: @escaping @Sendable (_ id: NodeID, _ source: String, _ table: String, _ site: CallSite) throws -> Value)
        -> [String: Value] {
        [
            "ref": .function(Function("ref") { args, site in
                let names = args.positional.compactMap(\.asString)
                guard names.count == args.positional.count, (1...2).contains(names.count) else {
                    throw site.error("ref() takes a model name, or a package and a model name", code: .unknownRef)
                }
                let package = names.count == 2 ? names[0] : nil
                let id = try resolver.ref(names.last!, package: package, at: site.location)
                return try resolved(id, names.last!, package, site)
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

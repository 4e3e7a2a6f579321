import Basics
import DependencyGraph
import ProjectModel
import Warehouse

/// Joins contracts to the compiled project: each contract to the models it governs (contract files, and dbt's
/// `contract: {enforced: true}` in model properties), checks what can be checked without a database, adds the
/// graph edges foreign keys imply, and adds one test node per verification (`test_type: contract`), so `strata test`,
/// `strata test contracts` and `strata build` run them like any other test.
public struct ContractResolver: Sendable {
    public let project: Project
    public let dialect: SQLDialect

    public init(project: Project, dialect: SQLDialect = .postgres) {
        self.project = project
        self.dialect = dialect
    }

    /// Every contract, with the dbt model contracts derived from the compiled configs.
    public func contracts(in compiled: CompiledProject) throws -> [Contract] {
        var bag = DiagnosticBag()
        var out = project.contracts
        let fileGoverned = Set(project.contracts.flatMap { $0.models.map(\.value) })
        for id in compiled.nodes.keys.sorted() {
            // read here, in the pass that turns it into a contract
            guard compiled.nodes[id]?.kind == .model, compiled.nodes[id]?.config["contract"]?["enforced"]?.asBool == true else { continue }
            let node = compiled.nodes[id]!
            let file = project.models.first { $0.name == node.name }
            let where_ = file?.properties?.location ?? SourceLocation(file: node.path, line: 1, column: 1)
            if fileGoverned.contains(node.name) {
                bag.append(Diagnostic(code: .twoContractKinds, "model '\(node.name)' has an enforced dbt contract and is also governed by a contract file; keep one",
                                      at: where_))
                continue
            }
            if let c = bag.capture({ try dbtContract(node, properties: file?.properties, at: where_) }) { out.append(c) }
        }
        try bag.throwIfErrors()
        return out
    }

    func dbtContract(_ node: CompiledNode, properties: ModelProperties?, at location: SourceLocation) throws -> Contract {
        guard !node.columns.isEmpty else {
            throw Diagnostic(code: .dbtContractColumns, "model '\(node.name)' enforces a contract but declares no columns: list them with a data_type each in its properties YAML",
                             at: location)
        }
        var bag = DiagnosticBag()
        var contract = Contract(name: node.name, origin: .dbtModel, path: location.file, location: location, description: node.description,
                                models: [Located(node.name, at: location)])
        for c in node.columns {
            guard let type = c.dataType, !type.isEmpty else {
                bag.append(Diagnostic(code: .dbtContractColumns, "model '\(node.name)' enforces a contract, so column '\(c.name)' needs a data_type", at: c.location ?? location))
                continue
            }
            bag.capture { try ContractColumn.validateTypeSyntax(type, at: c.dataTypeLocation ?? c.location) }
            contract.columns.append(ContractColumn(name: c.name, dataType: type, description: c.description, constraints: c.constraints,
                                                   location: c.location, dataTypeLocation: c.dataTypeLocation))
        }
        for k in properties?.constraints ?? [] {
            switch k.kind {
            case .primaryKey: contract.primaryKey = Located(k.columns, at: k.location)
            case .unique: contract.unique.append(Located(k.columns, at: k.location))
            case .check: contract.checks.append(Located(k.expression ?? "true", at: k.location))
            case .notNull:
                for name in k.columns {
                    if let i = contract.columns.firstIndex(where: { $0.name == name }) { contract.columns[i].nullable = false }
                    else { bag.append(unknownColumn(name, in: contract, at: k.location)) }
                }
            case .foreignKey:
                guard k.columns.count == 1, let i = contract.columns.firstIndex(where: { $0.name == k.columns[0] }) else {
                    bag.append(Diagnostic(code: .modelForeignKeyColumns, "a model-level foreign_key needs exactly one of the model's columns in `columns:`", at: k.location))
                    continue
                }
                contract.columns[i].constraints.append(k)
            case .acceptedValues: break
            }
        }
        try bag.throwIfErrors()
        return contract
    }

    /// Attaches contracts to their models and adds the contract checks as test nodes. Reports every problem at once.
    /// A pass of `Compiler.compile()`: every compiled project has been through it.
    func attach(to compiled: inout CompiledProject) throws {
        let contracts = try contracts(in: compiled)
        guard !contracts.isEmpty else { return }
        var bag = DiagnosticBag()
        // contracts govern models and seeds
        let models = Dictionary(compiled.nodes.values.filter { $0.kind == .model || $0.kind == .seed }.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        var governedBy: [NodeID: Contract] = [:]
        for contract in contracts {
            for m in contract.models {
                guard let id = models[m.value] else {
                    var msg = "contract '\(contract.name)' governs model '\(m.value)', which does not exist"
                    if let s = Suggestion.closest(to: m.value, in: models.keys) { msg += "; did you mean '\(s)'?" }
                    bag.append(Diagnostic(code: .contractModelMissing, msg, at: m.location))
                    continue
                }
                if let other = governedBy[id] {
                    bag.append(Diagnostic(code: .twoContracts, "model '\(m.value)' is governed by two contracts, '\(other.name)' and '\(contract.name)'", at: m.location,
                                          notes: [.init("the other contract", at: other.location)]))
                    continue
                }
                if compiled.nodes[id]!.isEphemeral {
                    bag.append(Diagnostic(code: .contractOnEphemeral, "contract '\(contract.name)' governs '\(m.value)', an ephemeral model: it has no relation to hold a contract", at: m.location))
                    continue
                }
                if case .microbatch? = compiled.nodes[id]!.model?.materialization {
                    bag.append(Diagnostic(code: .contractOnMicrobatch, "contract '\(contract.name)' governs '\(m.value)', a microbatch model: contracts on microbatch models are not supported yet", at: m.location))
                    continue
                }
                governedBy[id] = contract
            }
            validateColumns(contract, bag: &bag)
        }
        // Foreign keys: the referenced model must be contracted and declare the column unique; it is built first.
        var graph = compiled.graph
        for (id, contract) in governedBy.sorted(by: { $0.key < $1.key }) {
            for c in contract.columns {
                for k in c.constraints where k.kind == .foreignKey {
                    guard let model = k.referencedModel, let column = k.referencedColumn else { continue }
                    guard let parentID = models[model] else {
                        var msg = "foreign key on '\(c.name)' points at model '\(model)', which does not exist"
                        if let s = Suggestion.closest(to: model, in: models.keys) { msg += "; did you mean '\(s)'?" }
                        bag.append(Diagnostic(code: .invalidForeignKey, msg, at: k.location))
                        continue
                    }
                    guard let parentContract = governedBy[parentID] else {
                        bag.append(Diagnostic(code: .invalidForeignKey, "foreign key on '\(c.name)' points at '\(model)', which has no contract: a foreign key needs the referenced column declared primary_key or unique in the referenced model's contract",
                                              at: k.location))
                        continue
                    }
                    let keyed = parentContract.primaryKeyColumns == [column] || ContractSQL(dialect: dialect).uniqueSets(parentContract).contains([column])
                    guard parentContract.column(column) != nil, keyed else {
                        bag.append(Diagnostic(code: .invalidForeignKey, "foreign key on '\(c.name)' points at \(model).\(column), which contract '\(parentContract.name)' does not declare primary_key or unique",
                                              at: k.location))
                        continue
                    }
                    if parentID != id, !graph.ancestors(of: id).contains(parentID) {
                        graph.add(Edge(from: parentID, to: id, location: k.location))
                    }
                }
            }
            let node = compiled.nodes[id]!
            if node.model?.materialization == .view, contract.columns.contains(where: { !$0.constraints.isEmpty || $0.notNull }) || contract.primaryKey != nil || !contract.unique.isEmpty {
                compiled.warnings.append(Diagnostic(.warning, code: .contractOnView, "'\(node.name)' is a view: PostgreSQL cannot hold constraints on views, so contract '\(contract.name)' checks its rows with `strata test contracts` instead of enforcing them",
                                                    at: contract.location))
            }
        }
        try bag.throwIfErrors()
        for (id, contract) in governedBy { compiled.nodes[id]!.contract = contract }
        for (id, contract) in governedBy.sorted(by: { $0.key < $1.key }) {
            for (check, deps) in checks(for: compiled.nodes[id]!, contract: contract, compiled: compiled) {
                compiled.nodes[check.id] = check
                graph.add(check.graphNode)
                graph.add(Edge(from: id, to: check.id, location: contract.location))
                for d in deps where d != id { graph.add(Edge(from: d, to: check.id, location: contract.location)) }
            }
        }
        // foreign keys may have added edges: the order must still exist (a cycle is reported with its edges)
        try compiled.replaceGraph(graph)
    }

    func validateColumns(_ contract: Contract, bag: inout DiagnosticBag) {
        func check(_ name: String, _ loc: SourceLocation?) {
            if contract.column(name) == nil { bag.append(unknownColumn(name, in: contract, at: loc)) }
        }
        if let pk = contract.primaryKey { pk.value.forEach { check($0, pk.location) } }
        for u in contract.unique { u.value.forEach { check($0, u.location) } }
        for rule in contract.quality {
            switch rule.kind {
            case .unique(let cols): cols.forEach { check($0, rule.location) }
            case .nullFraction(let column, _): check(column, rule.location)
            case .rowCount, .expression: break
            }
        }
        if let f = contract.freshness { check(f.column, f.location) }
    }

    func unknownColumn(_ name: String, in contract: Contract, at loc: SourceLocation?) -> Diagnostic {
        var msg = "contract '\(contract.name)' has no column '\(name)'"
        if let s = Suggestion.closest(to: name, in: contract.columns.map(\.name)) { msg += "; did you mean '\(s)'?" }
        return Diagnostic(code: .contractColumnMissing, msg, at: loc)
    }

    /// The verification test nodes for one contracted model, each with the nodes it reads besides the model.
    func checks(for node: CompiledNode, contract: Contract, compiled: CompiledProject) -> [(CompiledNode, [NodeID])] {
        guard let relation = node.relation else { return [] }
        let sql = ContractSQL(dialect: dialect)
        let referenced = { (model: String) -> Relation? in compiled.model(named: model)?.relation }
        var out: [(CompiledNode, [NodeID])] = []
        func add(_ check: String, _ query: String, severity: String = "error", warnIf: String = "!=0", errorIf: String = "!=0", deps: [NodeID] = []) {
            let name = "contract_\(node.name)_\(check)"
            let testName = "contract_\(check.split(separator: "_").first.map(String.init) ?? check)"
            // the manifest's config says what the payload says
            let config: [String: ConfigValue] = [
                "severity": .string(severity), "warn_if": .string(warnIf), "error_if": .string(errorIf), "test_type": .string("contract"),
                "test_name": .string(testName), "tested_node": .string(node.id.rawValue),
                "contract": .string(contract.name), "tags": .list([.string("contract")]),
            ]
            let judgement = TestJudgement(severity: TestJudgement.Severity(rawValue: severity) ?? .error, warnIf: warnIf, errorIf: errorIf)
            let n = CompiledNode(id: NodeID("test.\(project.name).\(name)"), name: name, path: contract.path, relation: nil,
                                 description: "contract '\(contract.name)': \(check.replacingOccurrences(of: "_", with: " "))",
                                 tags: ["contract"], config: config, rawSQL: query, compiledSQL: query, checksum: SHA256.hex(query),
                                 compiledPath: "\(project.name)/contracts/\(name).sql",
                                 payload: .contractCheck(ContractCheckSpec(contractName: contract.name, contractLocation: contract.location, testName: testName,
                                                                           testedNode: node.id, judgement: judgement)))
            out.append((n, deps))
        }
        add("schema", sql.schemaDrift(contract, relation: relation))
        let fkParents = contract.columns.flatMap(\.constraints).compactMap { $0.referencedModel }.compactMap { m in
            compiled.model(named: m)?.id
        }
        if let q = sql.constraints(contract, relation: relation, isView: node.model?.materialization == .view, referenced: referenced) {
            add("constraints", q, deps: node.model?.materialization == .view ? fkParents : [])
        }
        for (i, rule) in contract.quality.enumerated() {
            let label = rule.name.map { Self.slug($0) } ?? "quality_\(i + 1)"
            add(label, sql.quality(rule, relation: relation), severity: rule.severity)
        }
        if let f = contract.freshness {
            let (q, severity, warnIf, errorIf) = sql.freshness(f, relation: relation)
            add("freshness", q, severity: severity, warnIf: warnIf, errorIf: errorIf)
        }
        return out
    }

    static func slug(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}


import Basics
import Compilation
import Contracts
import ProjectModel
import Warehouse

/// Builds contracted models: tables are created with the contract's column types and constraints and then filled
/// (a violation fails the build and the old relation stays); views are compared with the contract before the swap.
struct ContractedBuild {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    func buildTable(_ step: PlanStep, binding: ContractBinding, swap: RelationSwap, around: RelationSwap.Around) throws -> Int? {
        let contract = binding.contract
        let relation = step.relation
        let staging = RelationSwap.stagingName(relation.identifier)
        let sql = ContractSQL(dialect: dialect)
        let ddl = sql.createTable(contract, schema: relation.schema, staging: staging, final: relation.identifier) { model in
            binding.referenced[model]
        }
        do {
            return try swap.build(.table, relation: relation, renames: ddl.renames, around: around) { _ in
                do {
                    try connection.execute(ddl.create)
                } catch let e as WarehouseError {
                    throw ContractViolation(message: "contract '\(contract.name)': cannot create the table: \(e.message)", sqlState: e.sqlState, location: contract.location)
                }
                let (prefix, suffix) = sql.insert(into: staging, schema: relation.schema, columns: ddl.columns)
                do {
                    return try connection.execute(prefix + step.sql + suffix).affectedRows
                } catch let e as WarehouseError where e.sqlState?.hasPrefix("23") == true {
                    // integrity constraint violation: name the constraint as the final table will carry it
                    var message = e.message.replacingOccurrences(of: staging, with: relation.identifier)
                    if let d = e.detail { message += " (\(d))" }
                    throw ContractViolation(message: "violates contract '\(contract.name)': \(message)", sqlState: e.sqlState, location: contract.location)
                } catch let e as WarehouseError {
                    throw RelationSwap.StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
                }
            }
        }
    }

    /// Names and types of a contracted view, checked on the new view before it replaces the old one.
    func verifyView(_ qualifiedName: String, contract: Contract, step: PlanStep) throws {
        let actual = try ContractShape.columns(of: qualifiedName, on: connection)
        let (expected, unknown) = try ContractShape.expected(contract, on: connection)
        if let u = ContractShape.unknownTypeDiagnostics(unknown, contract: contract).first { throw u }
        let problems = ContractShape.compare(actual: actual, expected: expected, ordered: contract.ordered)
        guard let first = problems.first else { return }
        throw ContractViolation(message: "breaks contract '\(contract.name)': " + problems.map(\.description).joined(separator: "; "), sqlState: nil,
                                location: contract.column(first.column)?.location ?? contract.location)
    }
}

/// A contracted model that does not keep its contract; the build fails and the previous relation stays.
struct ContractViolation: Error {
    var message: String
    var sqlState: String?
    var location: SourceLocation?
}

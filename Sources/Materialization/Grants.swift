import Basics
import Compilation
import ProjectModel
import Warehouse

/// dbt's `grants: {select: [reporter, analyst]}`: after a build, each privilege named is held by exactly the
/// roles listed — granted to those missing it and revoked from others. Privileges not named are left as they are
/// (the swap carries the old relation's grants over).
struct Grants {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    /// `grants` were checked when compiling: each privilege is a table privilege.
    func apply(_ grants: [Grant], to relation: Relation) throws {
        let target = dialect.qualified(relation.schema, relation.identifier)
        let current = try WarehouseCatalog(connection).grantees(of: target)
        for grant in grants {
            let privilege = grant.privilege
            let wanted = Set(grant.roles)
            let holders = Set(current.filter { $0.privilege == privilege }.map(\.role))
            for role in holders.subtracting(wanted).sorted() {
                try connection.execute("REVOKE \(privilege.uppercased()) ON \(target) FROM \(dialect.quote(role))")
            }
            for role in wanted.subtracting(holders).sorted() {
                try connection.execute("GRANT \(privilege.uppercased()) ON \(target) TO \(dialect.quote(role))")
            }
        }
    }
}

import Foundation
import GatewayCore

/// What a staff member may do in the console: read, act on the data (replay, mark resolved), or manage accounts
/// and keys. Each role includes the ones before it.
public enum StaffRole: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    /// In the order of the cases.
    public static func < (lhs: StaffRole, rhs: StaffRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// In French, for lists and pages.
    public var label: String {
        switch self {
        case .viewer: "lecture"
        case .operator: "opérateur (rejeu, résolution)"
        case .admin: "administrateur (comptes, clés)"
        }
    }
}

/// A staff account as stored: the password only as its bcrypt hash.
public struct StaffAccount: Sendable, Codable, Equatable {
    public var id: Int64
    public var login: String
    public var displayName: String
    public var role: StaffRole
    public var passwordHash: String
    public var createdAt: String
    public var disabledAt: String?

    public var isActive: Bool { disabledAt == nil }
}

/// Why an account cannot be created.
public enum StaffAccountError: Error, Equatable, CustomStringConvertible {
    case loginTaken(String)
    case invalidLogin(String)
    /// The password's problems, in French.
    case weakPassword([String])

    public var description: String {
        switch self {
        case .loginTaken(let login): "L'identifiant « \(login) » existe déjà."
        case .weakPassword(let problems): problems.joined(separator: " ")
        case .invalidLogin(let login):
            "Identifiant « \(login) » invalide : 3 à 64 caractères parmi a-z, 0-9, point, tiret, tiret bas."
        }
    }
}

/// The staff's console accounts, on the store's database (SQLite or PostgreSQL).
public struct SQLStaffRepository: Sendable {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// `jdupont`, `marie.martin`: lower-case letters, digits, `.`, `-`, `_`, 3 to 64 of them.
    public static func isValidLogin(_ login: String) -> Bool {
        (3...64).contains(login.utf8.count)
            && login.utf8.allSatisfy { byte in
                (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 46 || byte == 45 || byte == 95
            }
    }

    /// Creates an account with an already computed password hash.
    @discardableResult
    public func add(login: String, displayName: String, role: StaffRole, passwordHash: String) throws -> StaffAccount {
        guard Self.isValidLogin(login) else { throw StaffAccountError.invalidLogin(login) }
        return try database.write { db in
            let taken: Bool =
                try db.fetchValue("SELECT EXISTS (SELECT 1 FROM staff_account WHERE login = ?)", [login]) ?? false
            if taken { throw StaffAccountError.loginTaken(login) }
            let now = GatewayStore.now()
            try db.execute(
                """
                INSERT INTO staff_account (login, display_name, role, password_hash, created_at)
                VALUES (?, ?, ?, ?, ?)
                """, [login, displayName, role.rawValue, passwordHash, now])
            let id: Int64 = try db.fetchValue("SELECT id FROM staff_account WHERE login = ?", [login]) ?? 0
            return StaffAccount(
                id: id, login: login, displayName: displayName, role: role, passwordHash: passwordHash,
                createdAt: now, disabledAt: nil)
        }
    }

    /// The account with `login`, active or not.
    public func account(login: String) throws -> StaffAccount? {
        try database.read { db in
            try db.fetchOne("SELECT * FROM staff_account WHERE login = ?", [login]).map(Self.account)
        }
    }

    /// Every account, disabled ones included, oldest first.
    public func accounts() throws -> [StaffAccount] {
        try database.read { db in
            try db.fetchAll("SELECT * FROM staff_account ORDER BY id").map(Self.account)
        }
    }

    /// Disables an active account; false when no active account has this login.
    @discardableResult
    public func disable(login: String) throws -> Bool {
        try database.write { db in
            try db.execute(
                "UPDATE staff_account SET disabled_at = ? WHERE login = ? AND disabled_at IS NULL",
                [GatewayStore.now(), login]) > 0
        }
    }

    /// Replaces an account's password hash (a reset by an administrator); false when the login is unknown.
    @discardableResult
    public func setPasswordHash(login: String, _ hash: String) throws -> Bool {
        try database.write { db in
            try db.execute("UPDATE staff_account SET password_hash = ? WHERE login = ?", [hash, login]) > 0
        }
    }

    static func account(_ row: SQLRow) -> StaffAccount {
        StaffAccount(
            id: row["id"], login: row["login"], displayName: row["display_name"],
            role: StaffRole(rawValue: row["role"]) ?? .viewer, passwordHash: row["password_hash"],
            createdAt: row["created_at"], disabledAt: row["disabled_at"])
    }
}

import GatewayCore
import GatewayStore
import HummingbirdBcrypt

/// Staff passwords: the rule they follow, and their bcrypt hash (hummingbird-auth's HummingbirdBcrypt). Only the
/// hash is stored; checking one costs about a quarter of a second at the default cost, which slows a guesser down.
public enum StaffPasswords {
    /// bcrypt's cost (2^12 rounds).
    public static let defaultCost: UInt8 = 12
    /// The shortest password accepted.
    public static let minimumLength = 12

    /// What is wrong with a password, in French; empty when it is accepted. Long enough, not the login, not one
    /// character repeated: the rest is left to the person (ANSSI's advice favours length over composition rules).
    public static func problems(_ password: String, login: String) -> [String] {
        var problems: [String] = []
        if password.count < minimumLength {
            problems.append("Mot de passe trop court : \(minimumLength) caractères au moins.")
        }
        if !login.isEmpty && password.lowercased().contains(login.lowercased()) {
            problems.append("Le mot de passe ne doit pas contenir l'identifiant.")
        }
        if Set(password).count < 4 {
            problems.append("Le mot de passe doit mêler au moins 4 caractères différents.")
        }
        if password.utf8.count > 72 {
            problems.append("Mot de passe trop long pour bcrypt : 72 octets au plus.")
        }
        return problems
    }

    /// The bcrypt hash (`$2b$12$…`) of `password`.
    public static func hash(_ password: String, cost: UInt8 = defaultCost) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` matches `hash`.
    public static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}

/// Creating and disabling a staff account, audited: what `users add|disable` and the console's « Comptes » page do.
public enum StaffAccounts {
    /// Checks the password (`StaffPasswords.problems`), stores the account with its bcrypt hash, audits it.
    @discardableResult
    public static func add(
        login: String, displayName: String, role: StaffRole, password: String, actor: String,
        staff: SQLStaffRepository, access: any AccessRepository, cost: UInt8 = StaffPasswords.defaultCost
    ) throws -> StaffAccount {
        let problems = StaffPasswords.problems(password, login: login)
        guard problems.isEmpty else { throw StaffAccountError.weakPassword(problems) }
        let account = try staff.add(
            login: login, displayName: displayName, role: role,
            passwordHash: StaffPasswords.hash(password, cost: cost))
        try access.audit(
            AuditEntry(
                actor: actor, partner: nil, action: "staff-account-created", subjectKind: .account,
                subject: account.login, purpose: "gestion des comptes (\(role.rawValue))"))
        return account
    }

    /// Disables an active account and audits it; false when no active account has this login.
    public static func disable(
        login: String, actor: String, staff: SQLStaffRepository, access: any AccessRepository
    ) throws -> Bool {
        guard try staff.disable(login: login) else { return false }
        try access.audit(
            AuditEntry(
                actor: actor, partner: nil, action: "staff-account-disabled", subjectKind: .account, subject: login,
                purpose: "gestion des comptes"))
        return true
    }
}

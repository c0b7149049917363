import ArgumentParser
import Foundation
import GatewayCore
import GatewayServer
import GatewayStore

#if canImport(Glibc)
    import Glibc
#endif

/// The département staff's console accounts, apart from partners' API keys: bcrypt-hashed passwords, roles.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract:
            "Comptes du personnel pour la console (mots de passe gardés hachés par bcrypt) : créer, lister, désactiver.",
        subcommands: [Add.self, List.self, Disable.self])

    /// Reads a password: with a prompt and no echo on a terminal, else the first line of the standard input.
    static func readPassword(prompt: String) throws -> String {
        if isatty(STDIN_FILENO) == 1, let typed = getpass(prompt) {
            return String(cString: typed)
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("Mot de passe attendu sur l'entrée standard (une ligne).")
        }
        return line
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract:
                "Crée un compte ; le mot de passe est lu sur l'entrée standard (ou demandé sans écho sur un terminal).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Identifiant (a-z, 0-9, point, tiret, tiret bas ; 3 à 64 caractères).")
        var login: String

        @Option(help: "Nom affiché dans la console et le journal d'audit.")
        var name: String

        @Option(help: "viewer (lecture), operator (rejeu, résolution) ou admin (comptes, clés).")
        var role: String

        func run() throws {
            _ = common.bootstrapLogging()
            guard let staffRole = StaffRole(rawValue: role) else {
                throw ValidationError("--role : viewer, operator ou admin (pas « \(role) »).")
            }
            guard SQLStaffRepository.isValidLogin(login) else {
                throw ValidationError(StaffAccountError.invalidLogin(login).description)
            }
            let password = try Users.readPassword(prompt: "Mot de passe de \(login) : ")
            let problems = StaffPasswords.problems(password, login: login)
            guard problems.isEmpty else { throw ValidationError(problems.joined(separator: " ")) }
            let store = try storeOptions.open()
            let account: StaffAccount
            do {
                account = try StaffAccounts.add(
                    login: login, displayName: name, role: staffRole, password: password, actor: "cli",
                    staff: store.staff, access: store.access)
            } catch let error as StaffAccountError {
                Output.error(error.description)
                throw ExitCode(1)
            }
            Output.line("Compte \(account.login) créé (\(staffRole.label)).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Les comptes (identifiant, nom, rôle, dates), jamais le mot de passe.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "table, csv ou json.")
        var format: Tabular.Format = .table

        func run() throws {
            _ = common.bootstrapLogging()
            let accounts = try storeOptions.open().staff.accounts()
            try Tabular(
                columns: ["identifiant", "nom", "role", "cree_le", "desactive_le"],
                rows: accounts.map {
                    [$0.login, $0.displayName, $0.role.rawValue, $0.createdAt, $0.disabledAt ?? ""]
                }
            ).write(format)
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable",
            abstract: "Désactive un compte : il ne peut plus se connecter ; il reste au journal.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "Identifiant du compte.")
        var login: String

        func run() throws {
            _ = common.bootstrapLogging()
            let store = try storeOptions.open()
            guard try StaffAccounts.disable(login: login, actor: "cli", staff: store.staff, access: store.access) else {
                Output.error("Aucun compte actif « \(login) ».")
                throw ExitCode(1)
            }
            Output.line("Compte \(login) désactivé.")
        }
    }
}

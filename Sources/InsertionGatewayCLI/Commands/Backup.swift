import ArgumentParser
import Foundation
import GatewayStore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract:
            "Copie la base SQLite dans un nouveau fichier pendant que la passerelle tourne (API de sauvegarde en ligne de SQLite)."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Fichier de la copie (il ne doit pas exister).")
    var to: String

    func run() throws {
        _ = common.bootstrapLogging()
        guard storeOptions.exists() else { throw ValidationError("Base introuvable : \(storeOptions.store)") }
        do {
            try storeOptions.open().backup(to: to)
        } catch let error as StoreFailure {
            Output.error(error.description)
            throw ExitCode(1)
        }
        Output.line("Base copiée : \(to)")
    }
}

import ArgumentParser
import Foundation
import GatewayCore
import GatewayStore

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract:
            "Efface les données personnelles au-delà de la durée de conservation, en gardant ce que comptent les indicateurs."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Date limite (AAAA-MM-JJ) : ce qui s'est terminé ou a été reçu avant est effacé.")
    var before: String

    @Flag(help: "Compter sans rien effacer.")
    var dryRun = false

    @Option(help: "Motif, écrit au journal d'audit.")
    var purpose = "durée de conservation échue"

    @Flag(help: "Sortie JSON.")
    var json = false

    func run() throws {
        let logger = common.bootstrapLogging()
        let day = try runDay(before, option: "--before")
        let store = try storeOptions.open()
        let counts = dryRun ? try store.retention.purgePreview(before: day) : try store.retention.purge(before: day)
        if !dryRun {
            try store.access.audit(
                AuditEntry(
                    actor: "cli", partner: nil, action: "purge", subjectKind: .store, subject: "before:\(day.iso)",
                    purpose: purpose))
            logger.info(
                "purge done",
                metadata: [
                    "before": "\(day.iso)", "accompaniments": "\(counts.accompanimentsAnonymised)",
                    "people": "\(counts.peopleErased)", "households": "\(counts.householdsErased)",
                ])
        }
        if json {
            try Output.json(counts)
        } else {
            Output.line(
                (dryRun ? "Purge (simulation) " : "Purge ") + "avant le \(day.iso) : "
                    + "\(counts.accompanimentsAnonymised) accompagnement(s) anonymisé(s), "
                    + "\(counts.peopleErased) personne(s) et \(counts.householdsErased) foyer(s) effacé(s), "
                    + "\(counts.partnerRecordsDeleted) enregistrement(s) partenaires et "
                    + "\(counts.identifiersDeleted) identifiant(s) supprimé(s), "
                    + "\(counts.quarantineEmptied) enregistrement(s) brut(s) de quarantaine vidé(s), "
                    + "\(counts.keptFilesDeleted) fichier(s) refusé(s) supprimé(s).")
        }
    }
}

extension People {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "Tout ce que la passerelle détient sur une personne (droit d'accès), en JSON, non masqué ; l'accès est journalisé."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(name: .shortAndLong, help: "Fichier JSON à écrire (par défaut la sortie standard).")
        var out: String?

        @Option(help: "Motif, écrit au journal d'audit.")
        var purpose = "droit d'accès de la personne"

        @Argument(
            help: "Numéro de personne, NIR (13 ou 15 caractères), identifiant France Travail, ou ORGANISME:matricule.")
        var id: String

        func run() throws {
            _ = common.bootstrapLogging()
            let store = try storeOptions.open()
            let found = try store.people.findPeople(id)
            guard found.count == 1, let person = found.first, let data = try store.people.personExport(person) else {
                Output.error(
                    found.isEmpty
                        ? "Aucune personne connue sous cet identifiant."
                        : "Plusieurs personnes sous cet identifiant : donner un numéro de personne (people show).")
                throw ExitCode(1)
            }
            try store.access.audit(
                AuditEntry(
                    actor: "cli", partner: nil, action: "people-export", subjectKind: .person,
                    subject: "person:\(person)", purpose: purpose))
            if let out {
                try data.write(to: URL(fileURLWithPath: out))
                Output.error("Export de la personne n° \(person) écrit : \(out)")
            } else {
                Output.write(data + Data("\n".utf8))
            }
        }
    }
}

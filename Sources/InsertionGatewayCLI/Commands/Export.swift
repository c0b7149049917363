import ArgumentParser
import Foundation
import GatewayFormats
import GatewayStore

extension ExportTable {
    /// The table's French name, accepted as well as the English one (`export foyers`).
    var french: String {
        switch self {
        case .households: "foyers"
        case .people: "personnes"
        case .statusChanges: "changements"
        case .quarantine: "quarantaine"
        case .files: "registre"
        case .partnerRecords: "enregistrements-partenaires"
        case .links: "liens"
        case .proposals: "propositions"
        case .anomalies: "anomalies"
        }
    }

    /// The table named `name` in English or in French; otherwise a French error naming the nearest table.
    static func named(_ name: String) throws -> ExportTable {
        let key = name.lowercased()
        if let table = allCases.first(where: { $0.rawValue == key || $0.french == key }) { return table }
        let names = allCases.flatMap { [$0.french, $0.rawValue] }
        let hint = Suggestion.nearest(to: key, in: names).map { " Vouliez-vous dire « \($0) » ?" } ?? ""
        throw ValidationError(
            "Table « \(name) » inconnue.\(hint) Tables : \(allCases.map { "\($0.french) (\($0.rawValue))" }.joined(separator: ", "))."
        )
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Exporte une table de la base (foyers, personnes, changements, quarantaine, registre, enregistrements des partenaires, liens, propositions) en CSV ou JSON."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv
    }

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Argument(
        help: ArgumentHelp(
            "Ce qu'il faut exporter, en français ou en anglais : foyers (households), personnes (people), changements (status-changes), quarantaine (quarantine), registre (files), enregistrements-partenaires (partner-records), liens (links), propositions (proposals), anomalies.",
            valueName: "table"))
    var tableName: String

    @Option(help: "Format : json ou csv.")
    var format: Format = .csv

    @Option(name: .shortAndLong, help: "Fichier de sortie (par défaut la sortie standard).")
    var output: String?

    func run() throws {
        _ = common.bootstrapLogging()
        let table = try ExportTable.named(tableName)
        guard storeOptions.exists() else {
            throw ValidationError("Base introuvable : \(storeOptions.store)")
        }
        let store = try storeOptions.open()
        switch format {
        case .csv:
            var options = CSVWriterOptions()
            options.writeBOM = output != nil
            let writer: CSVWriter
            if let output {
                writer = try CSVWriter(path: output, options: options)
            } else {
                writer = CSVWriter(handle: FileHandle.standardOutput, options: options)
            }
            try store.export(table) { row in try writer.write(row: row) }
            try writer.finish()
        case .json:
            let sink = try JSONArraySink(path: output)
            var header: [String] = []
            try store.export(table) { row in
                if header.isEmpty {
                    header = row
                    return
                }
                try sink.write(object: zip(header, row).map { ($0, $1) })
            }
            try sink.finish()
        }
    }
}

import ArgumentParser
import Foundation
import GatewayFormats
import GatewayStore

extension ExportTable: ExpressibleByArgument {}

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
        help:
            "Ce qu'il faut exporter : households, people, status-changes, quarantine, files, partner-records, links, proposals."
    )
    var table: ExportTable

    @Option(help: "Format : json ou csv.")
    var format: Format = .csv

    @Option(name: .shortAndLong, help: "Fichier de sortie (par défaut la sortie standard).")
    var output: String?

    func run() throws {
        _ = common.bootstrapLogging()
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

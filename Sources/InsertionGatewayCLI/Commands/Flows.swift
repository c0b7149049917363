import ArgumentParser
import Foundation
import GatewayMapping

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Liste les flux déclarés dans les mappings, et vérifie les mappings.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        _ = common.bootstrapLogging()
        let flows: [String: FlowMapping]
        do {
            flows = try MappingLoader.loadAll(directory: common.mappings)
        } catch let error as MappingError {
            Output.error("Mappings invalides :\n" + error.description)
            throw ExitCode(2)
        }
        for flow in flows.values.sorted(by: { $0.id < $1.id }) {
            for layout in [flow] + flow.variants {
                Output.line(
                    "\(layout.id)\t\(layout.variant ?? "-")\t\(layout.partner)\t\(layout.format.rawValue)\t\(layout.record.entity.name)\t\(layout.title)"
                )
            }
        }
    }
}

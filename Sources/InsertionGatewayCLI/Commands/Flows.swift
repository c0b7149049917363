import ArgumentParser
import Foundation
import GatewayMapping

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
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
            Output.line(
                "\(flow.id)\t\(flow.partner)\t\(flow.format.rawValue)\t\(flow.record.entity.name)\t\(flow.title)")
        }
    }
}

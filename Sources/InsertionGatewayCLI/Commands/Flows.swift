import ArgumentParser
import Foundation
import GatewayMapping

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract:
            "Liste les flux déclarés dans les mappings, et vérifie les mappings, les programmes et les structures.")

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
        // The programmes and structures are checked too: a structure running a fiche outside its territory is
        // refused here, before any exchange or report reads them.
        let directory = common.mappings
        let hasProgrammes = [ProgrammeLoader.programmesFile, ProgrammeLoader.structuresFile].contains {
            FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0))
        }
        if hasProgrammes {
            do {
                _ = try ProgrammeLoader.load(directory: directory)
            } catch {
                Output.error("Programmes ou structures invalides :\n" + error.description)
                throw ExitCode(2)
            }
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

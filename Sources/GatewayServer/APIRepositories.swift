import GatewayMapping
import GatewayPipeline
import GatewayStore
import Logging

/// The parts of the store the API uses: the ledger (pushes, status, quarantine, notices), partner records
/// (notices, followed cases), the exchange journal (status, replays) and the keys and audit log. The lookups of
/// people and the purge stay with the CLI.
public struct APIRepositories: Sendable {
    public var ledger: any LedgerRepository
    public var partnerRecords: any PartnerRecordRepository
    public var exchanges: any ExchangeRepository
    public var access: any AccessRepository

    public init(
        ledger: any LedgerRepository, partnerRecords: any PartnerRecordRepository,
        exchanges: any ExchangeRepository, access: any AccessRepository
    ) {
        self.ledger = ledger
        self.partnerRecords = partnerRecords
        self.exchanges = exchanges
        self.access = access
    }

    /// The store's repositories the API uses.
    public init(_ store: GatewayStore) {
        self.init(
            ledger: store.ledger, partnerRecords: store.partnerRecords, exchanges: store.exchanges,
            access: store.access)
    }

    func replayer(flows: [String: FlowMapping], logger: Logger) -> Replayer {
        Replayer(flows: flows, ledger: ledger, exchanges: exchanges, access: access, logger: logger)
    }

    func outbound(flows: [String: FlowMapping]) -> Outbound {
        Outbound(flows: flows, ledger: ledger, partnerRecords: partnerRecords, exchanges: exchanges, access: access)
    }
}

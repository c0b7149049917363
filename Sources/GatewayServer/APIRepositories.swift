import GatewayMapping
import GatewayPipeline
import GatewayStore
import Logging

/// The parts of the store the API uses: the ledger (pushes, status, quarantine, notices), partner records
/// (notices, followed cases), the exchange journal (status, replays), the keys and audit log, and for the staff
/// console its accounts and the people lookups. The purge stays with the CLI.
public struct APIRepositories: Sendable {
    public var ledger: any LedgerRepository
    public var partnerRecords: any PartnerRecordRepository
    public var exchanges: any ExchangeRepository
    public var access: any AccessRepository
    /// The console's staff accounts.
    public var staff: SQLStaffRepository
    /// The people as partners see them: the console's person pages (each read audited).
    public var people: any PeopleRepository

    public init(
        ledger: any LedgerRepository, partnerRecords: any PartnerRecordRepository,
        exchanges: any ExchangeRepository, access: any AccessRepository, staff: SQLStaffRepository,
        people: any PeopleRepository
    ) {
        self.ledger = ledger
        self.partnerRecords = partnerRecords
        self.exchanges = exchanges
        self.access = access
        self.staff = staff
        self.people = people
    }

    /// The store's repositories the API and the console use.
    public init(_ store: GatewayStore) {
        self.init(
            ledger: store.ledger, partnerRecords: store.partnerRecords, exchanges: store.exchanges,
            access: store.access, staff: store.staff, people: store.people)
    }

    func replayer(flows: [String: FlowMapping], logger: Logger) -> Replayer {
        Replayer(flows: flows, ledger: ledger, exchanges: exchanges, access: access, logger: logger)
    }

    func outbound(flows: [String: FlowMapping]) -> Outbound {
        Outbound(flows: flows, ledger: ledger, partnerRecords: partnerRecords, exchanges: exchanges, access: access)
    }
}

import Foundation
import GatewayCore

extension ImportSession {
    /// Marks quarantined record `id` applied by the replay `runID`, linked to what it became.
    public func resolveQuarantined(id: Int64, runID: Int64?) throws {
        var partnerRecord: Int64?
        if let (entity, key) = lastPartnerRecord {
            partnerRecord = try db.fetchValue(
                "SELECT id FROM partner_record WHERE entity = ? AND business_key = ?", [entity, key])
        }
        try db.execute(
            """
            UPDATE quarantine SET status = 'reprocessed', resolution = 'reprocessed', resolved_at = ?,
            replay_run_id = ?, applied_household_id = ?, applied_partner_record_id = ?, waiting_for = NULL
            WHERE id = ? AND status IN ('open', 'waiting')
            """, [GatewayStore.now(), runID, lastHousehold, partnerRecord, id])
    }

    /// Keeps quarantined record `id` with the errors a replay found (waiting when `waitingFor` names what it waits
    /// for); nothing is written when they are those it had.
    public func keepQuarantined(id: Int64, issues: [ValidationIssue], waitingFor: String?) throws {
        let encoded = String(decoding: try GatewayStore.encoder.encode(issues), as: UTF8.self)
        try db.execute(
            """
            UPDATE quarantine SET issues = ?, status = ?, waiting_for = ? WHERE id = ?
            AND (issues <> ? OR status <> ? OR COALESCE(waiting_for, '') <> ?)
            """,
            [
                encoded, waitingFor == nil ? "open" : "waiting", waitingFor, id, encoded,
                waitingFor == nil ? "open" : "waiting", waitingFor ?? "",
            ])
    }
}

import Foundation

/// Who holds a claim: this host, this process, and a random part so that a reused process id is not mistaken
/// for the same gateway.
public struct GatewayOwner: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let pid: Int32
    public let nonce: String

    public init() {
        host = ProcessInfo.processInfo.hostName
        pid = getpid()
        nonce = String(UUID().uuidString.prefix(8)).lowercased()
    }

    public var description: String { "\(host)/\(pid)/\(nonce)" }

    /// A folder name for this gateway's temporary files.
    public var folderName: String { "\(pid)-\(nonce)" }

    /// True when `owner` names a gateway of this host whose process is no longer running (killed or ended): its
    /// claims can be taken over at once, without waiting for their lease.
    public static func isGone(_ owner: String) -> Bool {
        let parts = owner.split(separator: "/")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]) else {
            return false
        }
        if owner == current.description { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Whether a temporary folder (`pid-nonce`) belongs to a process that is gone.
    static func folderIsStale(_ name: String) -> Bool {
        guard let dash = name.firstIndex(of: "-"), let pid = Int32(name[..<dash]) else { return false }
        if name == current.folderName { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The owner of this process.
    public static let current = GatewayOwner()
}

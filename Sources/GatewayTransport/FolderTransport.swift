import Foundation

/// A local (or mounted) folder.
public struct FolderTransport: Transport {
    public let path: String

    public init(path: String) { self.path = path }

    public var label: String { "folder:\(path)" }
    public var clockIsLocal: Bool { true }

    func full(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func list() throws -> [RemoteFile] {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: path)
        } catch {
            throw TransportError(.unreachable, "dossier illisible : \(path)")
        }
        var files: [RemoteFile] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            var info = stat()
            guard stat(full(name), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let stamp = "\(info.st_mtim.tv_sec).\(String(format: "%09ld", info.st_mtim.tv_nsec))"
            files.append(RemoteFile(name: name, size: Int64(info.st_size), modified: stamp))
        }
        return files
    }

    public func download(_ name: String, to localPath: String) throws -> Int64 {
        let manager = FileManager.default
        try? manager.removeItem(atPath: localPath)
        do {
            try manager.copyItem(atPath: full(name), toPath: localPath)
        } catch {
            if !manager.fileExists(atPath: full(name)) { throw TransportError(.notFound, "\(name) absent") }
            throw TransportError(.local, "copie impossible de \(name) : \(error.localizedDescription)")
        }
        let size = (try? manager.attributesOfItem(atPath: localPath)[.size] as? NSNumber)?.int64Value
        return size ?? 0
    }

    public func upload(_ localPath: String, as name: String) throws {
        let manager = FileManager.default
        try ensureFolder(path)
        let temporary = full(temporaryUploadName(name))
        try? manager.removeItem(atPath: temporary)
        do {
            try manager.copyItem(atPath: localPath, toPath: temporary)
        } catch {
            throw TransportError(.local, "écriture impossible dans \(path) : \(error.localizedDescription)")
        }
        try renameNoReplace(temporary, full(name), name: name)
    }

    public func move(_ name: String, toFolder folder: String, as newName: String) throws {
        let target = folder.hasPrefix("/") ? folder : full(folder)
        try ensureFolder(target)
        try renameNoReplace(full(name), (target as NSString).appendingPathComponent(newName), name: newName)
    }

    public func delete(_ name: String) throws {
        guard unlink(full(name)) == 0 else {
            if errno == ENOENT { throw TransportError(.notFound, "\(name) absent") }
            throw TransportError(.refused, "suppression impossible de \(name) (errno \(errno))")
        }
    }

    private func ensureFolder(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw TransportError(.local, "dossier impossible à créer : \(folder)")
        }
    }

    /// link(2) then unlink(2): the target is never replaced, and the rename is atomic on one file system.
    private func renameNoReplace(_ from: String, _ to: String, name: String) throws {
        if link(from, to) == 0 {
            unlink(from)
            return
        }
        switch errno {
        case EEXIST: throw TransportError(.alreadyExists, "\(name) existe déjà : pas de remplacement")
        case ENOENT: throw TransportError(.notFound, "\((from as NSString).lastPathComponent) absent")
        default:
            // A file system without hard links: check, then rename.
            if FileManager.default.fileExists(atPath: to) {
                throw TransportError(.alreadyExists, "\(name) existe déjà : pas de remplacement")
            }
            guard rename(from, to) == 0 else {
                throw TransportError(.refused, "renommage impossible vers \(name) (errno \(errno))")
            }
        }
    }
}

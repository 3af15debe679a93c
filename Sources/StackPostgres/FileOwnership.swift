import Foundation
import StackCore

/// Creates a directory (and its parents) and hands it to `owner` when given.
func makeDirectory(_ path: String, owner: String?, mode: Int) throws {
    let fm = FileManager.default
    if !fm.fileExists(atPath: path) {
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }
    try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    if let owner { try chown(path, to: owner) }
}

/// Gives a file or directory to a user (and that user's primary group).
func chown(_ path: String, to user: String) throws {
    guard let entry = getpwnam(user) else { throw StackError("STACK-P002", "no user named \(user)") }
    guard Foundation.chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
        throw StackError("STACK-P009", "cannot give \(path) to user \(user): \(String(cString: strerror(errno)))")
    }
}

import Foundation

/// Resident memory and CPU time of a process, from `/proc/<pid>`.
struct ProcessSample {
    /// Resident set size in bytes.
    var residentBytes: Int
    /// User + system CPU seconds so far.
    var cpuSeconds: Double

    static func take(pid: Int32) throws -> ProcessSample {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rssLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        let kilobytes = Int(rssLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
        let rest = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = ((Double(rest[11]) ?? 0) + (Double(rest[12]) ?? 0)) / ticks
        return ProcessSample(residentBytes: kilobytes * 1024, cpuSeconds: cpu)
    }
}

import Foundation
import Synchronization

/// What the sandbox launcher can do on this machine, and the cgroup it uses for process limits.
enum Sandbox {
    /// The launcher's `--probe` answer, asked once.
    struct Abilities: Sendable {
        var network: Bool
        var filesystem: Bool
        var root: Bool
    }

    private static let probed = Mutex<[String: Abilities]>([:])

    static func abilities(launcher: String) -> Abilities? {
        if let known = probed.withLock({ $0[launcher] }) { return known }
        let (status, text) = HostPaths.capture([launcher, "--probe"])
        guard status == 0 else { return nil }
        let data = Data(text.utf8)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Bool] else { return nil }
        let abilities = Abilities(network: object["network"] ?? false, filesystem: object["filesystem"] ?? false, root: object["root"] ?? false)
        probed.withLock { $0[launcher] = abilities }
        return abilities
    }

    /// Loud start-up warnings for protection this machine cannot give (the launcher then
    /// refuses to start the plugin rather than run it unconfined).
    static func warnings(for function: FunctionConfiguration, paths: HostPaths) -> [String] {
        guard let policy = function.sandbox, let launcher = paths.sandbox else { return [] }
        guard let abilities = abilities(launcher: launcher) else {
            return ["sandbox: \(launcher) --probe failed; function \(function.name) will not start"]
        }
        var warnings: [String] = []
        if !policy.network && !abilities.network {
            warnings.append("sandbox: this kernel does not allow a new network namespace here; function \(function.name), which must have no network, will not start")
        }
        if policy.readOnlyFileSystem && !abilities.filesystem {
            warnings.append("sandbox: this kernel does not allow a private mount namespace here; function \(function.name), which must not write outside its scratch directory, will not start")
        }
        if policy.processes != nil && abilities.root && pidsCgroupRoot == nil {
            warnings.append("sandbox: running as root without a writable pids cgroup, so the process limit of function \(function.name) is NOT enforced (RLIMIT_NPROC does not bind root)")
        }
        return warnings
    }

    /// The cgroup v1 pids hierarchy, when this process may create groups in it (root only;
    /// RLIMIT_NPROC binds everyone else).
    static let pidsCgroupRoot: String? = {
        let root = "/sys/fs/cgroup/pids"
        let probe = "\(root)/statesman-probe-\(getpid())"
        guard geteuid() == 0, mkdir(probe, 0o755) == 0 else { return nil }
        rmdir(probe)
        return root
    }()

    static func pidsCgroup(name: String) -> String? {
        pidsCgroupRoot.map { "\($0)/\(name)" }
    }

    /// Removes a scratch directory or an emptied cgroup. The directory that holds this
    /// process's scratch directories goes with the last of them (`rmdir` leaves it while
    /// another worker's is in it).
    static func remove(_ path: String) {
        if path.hasPrefix("/sys/fs/cgroup/") {
            rmdir(path)
        } else {
            try? FileManager.default.removeItem(atPath: path)
            rmdir((path as NSString).deletingLastPathComponent)
        }
    }

    /// Makes a worker's scratch directory and the process's directory above it. That one may
    /// vanish between the two steps (the last worker of another host in this process was
    /// removed): then the whole path is made again.
    static func makeScratch(_ path: String) {
        for _ in 0..<3 {
            if (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil { return }
        }
    }
}

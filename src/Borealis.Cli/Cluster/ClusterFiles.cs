using System.Text.Json;
using System.Text.Json.Serialization;
using Borealis.Volume;

namespace Borealis.Cli.Cluster;

/// <summary>
/// The files of an embedded cluster's data directory:
/// <code>
/// DIR/cluster.json         what the cluster is made of (written once, at the first `up`)
/// DIR/run/state.json       what the supervisor is running now (rewritten on every change)
/// DIR/run/supervisor.lock  held (exclusively) by the running `borealis up`
/// DIR/logs/ROLE-ID.log     each process's stdout and stderr
/// DIR/storage/node-ID/     one storage node's data
/// DIR/volume.json          the volume's initial layout (written at the first `up`; the writer creates the volume from it)
/// DIR/layout/              the volume's layout store (volume-ID.json), kept current by the writer
/// DIR/instance/writer-ID/  the writer instance's own files
/// DIR/password             the superuser's password, one line, mode 0600
/// </code>
/// </summary>
public sealed class ClusterFiles(string dataDir)
{
    public string DataDir { get; } = Path.GetFullPath(dataDir);
    public string ConfigPath => Path.Combine(DataDir, "cluster.json");
    public string RunDir => Path.Combine(DataDir, "run");
    public string StatePath => Path.Combine(RunDir, "state.json");
    public string LockPath => Path.Combine(RunDir, "supervisor.lock");
    public string LogDir => Path.Combine(DataDir, "logs");
    public string StorageDir(uint nodeId) => Path.Combine(DataDir, "storage", $"node-{nodeId}");
    public string LayoutDir => Path.Combine(DataDir, "layout");
    public string InitialLayoutPath => Path.Combine(DataDir, "volume.json");
    public string InstanceDir(uint id) => Path.Combine(DataDir, "instance", $"writer-{id}");
    public string PasswordPath => Path.Combine(DataDir, "password");

    /// <summary>Writes the password file (replacing any) readable and writable by its owner only (0600).</summary>
    public void SavePassword(string password)
    {
        string tmp = PasswordPath + ".tmp";
        File.Delete(tmp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var fs = new FileStream(tmp, options))
        {
            fs.Write(System.Text.Encoding.UTF8.GetBytes(password + "\n"));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, PasswordPath, overwrite: true);
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public ClusterConfig? LoadConfig()
        => File.Exists(ConfigPath) ? JsonSerializer.Deserialize<ClusterConfig>(File.ReadAllText(ConfigPath), Json) : null;

    public void SaveConfig(ClusterConfig config) => WriteAtomic(ConfigPath, JsonSerializer.Serialize(config, Json));

    public RunState? LoadState()
    {
        try
        {
            return File.Exists(StatePath) ? JsonSerializer.Deserialize<RunState>(File.ReadAllText(StatePath), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void SaveState(RunState state) => WriteAtomic(StatePath, JsonSerializer.Serialize(state, Json));

    /// <summary>Readers see the old or the new file, never half of one (see <see cref="AtomicFile"/>).</summary>
    public static void WriteAtomic(string path, string contents) => AtomicFile.Replace(path, System.Text.Encoding.UTF8.GetBytes(contents));
}

public sealed class ClusterConfig
{
    public int Version { get; set; } = 1;
    public DateTimeOffset Created { get; set; }
    public List<StorageNodeConfig> StorageNodes { get; set; } = [];
    /// <summary>The writer instance; null in a cluster.json written before instances existed (added at the next `up`).</summary>
    public InstanceConfig? Writer { get; set; }
}

public sealed class InstanceConfig
{
    public uint Id { get; set; } = 1;
    public int Port { get; set; } = 5432;
    public string User { get; set; } = "postgres";
    public ulong VolumeId { get; set; } = 1;
}

public sealed class StorageNodeConfig
{
    public uint Id { get; set; }
    public string Az { get; set; } = "";
    public int Port { get; set; }
}

public enum ProcessState { Starting, Running, Restarting, Stopping, Stopped, Failed }

public sealed class RunState
{
    public int SupervisorPid { get; set; }
    public DateTimeOffset Updated { get; set; }
    public List<ProcessStatus> Processes { get; set; } = [];
}

public sealed class ProcessStatus
{
    public string Role { get; set; } = "";
    public string Id { get; set; } = "";
    public string Az { get; set; } = "";
    public int Pid { get; set; }
    public int Port { get; set; }
    public ProcessState State { get; set; }
    public int Restarts { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public string Log { get; set; } = "";
}

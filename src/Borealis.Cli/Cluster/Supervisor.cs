using System.Diagnostics;
using System.Net.Sockets;

namespace Borealis.Cli.Cluster;

/// <summary>What to run for one supervised process.</summary>
public sealed record ProcessSpec(string Role, string Id, string Az, int Port, IReadOnlyList<string> Args);

/// <summary>
/// Runs the processes of an embedded cluster as children, restarts any that exits while the
/// cluster is up (with backoff), keeps DIR/run/state.json current for `borealis status`, and on
/// shutdown sends SIGTERM to every child and SIGKILL to those still alive after a grace period.
/// Threading: one monitor task per child; state changes go through <see cref="_lock"/>.
/// </summary>
public sealed class Supervisor(ClusterFiles files, TextWriter console)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly Lock _lock = new();
    private readonly List<Child> _children = [];
    private volatile bool _stopping;

    private int _batches;

    private sealed class Child(ProcessSpec spec, ProcessStatus status, int batch)
    {
        /// <summary>Which <see cref="StartAsync"/> call started it; <see cref="StopAsync"/> stops later batches first.</summary>
        public int Batch { get; } = batch;
        public ProcessSpec Spec { get; } = spec;
        public ProcessStatus Status { get; } = status;
        public Process? Process { get; set; }
        public Task? Monitor { get; set; }
    }

    /// <summary>Starts every process and waits until each accepts TCP connections on its port.</summary>
    public async Task StartAsync(IEnumerable<ProcessSpec> specs, TimeSpan readyTimeout, CancellationToken ct)
    {
        int batch = Interlocked.Increment(ref _batches);
        foreach (var spec in specs)
        {
            var status = new ProcessStatus
            {
                Role = spec.Role, Id = spec.Id, Az = spec.Az, Port = spec.Port, State = ProcessState.Starting,
                Log = Path.Combine(files.LogDir, $"{spec.Role}-{spec.Id}.log"),
            };
            var child = new Child(spec, status, batch);
            lock (_lock) _children.Add(child);
            Launch(child);
            child.Monitor = Task.Run(() => MonitorAsync(child));
        }
        SaveState();
        var deadline = DateTime.UtcNow + readyTimeout;
        foreach (var child in Snapshot())
        {
            while (!await IsAcceptingAsync(child.Spec.Port, ct))
            {
                ct.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{child.Spec.Role} {child.Spec.Id} did not accept connections on port {child.Spec.Port} within {readyTimeout.TotalSeconds:F0} s; see {child.Status.Log}");
                await Task.Delay(100, ct);
            }
            lock (_lock) child.Status.State = ProcessState.Running;
        }
        SaveState();
    }

    private List<Child> Snapshot()
    {
        lock (_lock) return [.. _children];
    }

    private void Launch(Child child)
    {
        Directory.CreateDirectory(files.LogDir);
        var psi = new ProcessStartInfo
        {
            FileName = SelfExecutable.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in SelfExecutable.PrefixArgs) psi.ArgumentList.Add(a);
        foreach (var a in child.Spec.Args) psi.ArgumentList.Add(a);
        psi.Environment[SupervisedChild.EnvironmentVariable] = "1";
        var log = new StreamWriter(new FileStream(child.Status.Log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"--- {DateTimeOffset.Now:O} supervisor starts: {string.Join(' ', psi.ArgumentList)}");
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.Exited += (_, _) => { lock (log) log.Flush(); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        lock (_lock)
        {
            child.Process = p;
            child.Status.Pid = p.Id;
            child.Status.StartedAt = DateTimeOffset.Now;
        }
    }

    private async Task MonitorAsync(Child child)
    {
        // The first restart after a crash is immediate (a writer must be back within a second);
        // a process that keeps dying is restarted with doubling delays up to 10 s.
        var backoff = TimeSpan.Zero;
        while (true)
        {
            var p = child.Process!;
            await p.WaitForExitAsync();
            var ranFor = DateTimeOffset.Now - (child.Status.StartedAt ?? DateTimeOffset.Now);
            if (_stopping)
            {
                lock (_lock) child.Status.State = ProcessState.Stopped;
                SaveState();
                return;
            }
            int code = p.ExitCode;
            lock (_lock)
            {
                child.Status.State = ProcessState.Restarting;
                child.Status.Restarts++;
            }
            SaveState();
            console.WriteLine($"{child.Spec.Role} {child.Spec.Id} (pid {p.Id}) exited with code {code}; restarting in {backoff.TotalMilliseconds:F0} ms");
            if (ranFor > TimeSpan.FromMinutes(1)) backoff = TimeSpan.Zero;
            if (backoff > TimeSpan.Zero) await Task.Delay(backoff);
            backoff = TimeSpan.FromMilliseconds(Math.Clamp(backoff.TotalMilliseconds * 2, 200, 10_000));
            if (_stopping) continue;
            Launch(child);
            SaveState();
            var since = Stopwatch.StartNew();
            for (int i = 0; i < 600 && !_stopping; i++)
            {
                if (await IsAcceptingAsync(child.Spec.Port, CancellationToken.None))
                {
                    console.WriteLine($"{child.Spec.Role} {child.Spec.Id} (pid {child.Process!.Id}) accepts connections again {since.ElapsedMilliseconds} ms after its restart");
                    break;
                }
                if (child.Process!.HasExited) break;
                await Task.Delay(50);
            }
            lock (_lock) if (!child.Process!.HasExited) child.Status.State = ProcessState.Running;
            SaveState();
        }
    }

    public static async Task<bool> IsAcceptingAsync(int port, CancellationToken ct)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(500);
        try
        {
            await s.ConnectAsync("127.0.0.1", port, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }

    public void SaveState()
    {
        RunState state;
        lock (_lock)
        {
            state = new RunState
            {
                SupervisorPid = Environment.ProcessId,
                Updated = DateTimeOffset.Now,
                Processes = [.. _children.Select(c => Clone(c.Status))],
            };
        }
        lock (files) files.SaveState(state);
    }

    private static ProcessStatus Clone(ProcessStatus s) => new()
    {
        Role = s.Role, Id = s.Id, Az = s.Az, Pid = s.Pid, Port = s.Port, State = s.State, Restarts = s.Restarts, StartedAt = s.StartedAt, Log = s.Log,
    };

    /// <summary>SIGTERM to every child (the latest batch first), then SIGKILL after the grace period; waits for all to exit.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        var children = Snapshot();
        lock (_lock) foreach (var c in children) c.Status.State = ProcessState.Stopping;
        SaveState();
        // Later batches first: the writer stops (and stops writing) before the storage nodes it writes to.
        foreach (var batch in children.GroupBy(c => c.Batch).OrderByDescending(g => g.Key))
        {
            foreach (var c in batch)
                if (c.Process is { HasExited: false } p) Posix.Signal(p.Id, Posix.SIGTERM);
            var deadline = DateTime.UtcNow + StopGrace;
            foreach (var c in batch)
            {
                var p = c.Process;
                if (p is null) continue;
                var left = deadline - DateTime.UtcNow;
                if (left > TimeSpan.Zero)
                {
                    using var cts = new CancellationTokenSource(left);
                    try { await p.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
                }
                if (!p.HasExited)
                {
                    console.WriteLine($"{c.Spec.Role} {c.Spec.Id} did not stop within {StopGrace.TotalSeconds:F0} s; killing it");
                    p.Kill();
                    await p.WaitForExitAsync();
                }
            }
        }
        lock (_lock) foreach (var c in children) c.Status.State = ProcessState.Stopped;
        SaveState();
    }
}

/// <summary>How to start another copy of this program: the apphost, or `dotnet borealis.dll`.</summary>
public static class SelfExecutable
{
    public static string Path { get; }
    public static IReadOnlyList<string> PrefixArgs { get; }

    static SelfExecutable()
    {
        string exe = Environment.ProcessPath ?? "borealis";
        if (System.IO.Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            Path = exe;
            PrefixArgs = [typeof(SelfExecutable).Assembly.Location];
        }
        else
        {
            Path = exe;
            PrefixArgs = [];
        }
    }
}

/// <summary>
/// A supervised child stops when its supervisor is gone, even after a kill -9 of the supervisor:
/// the supervisor holds the write end of the child's stdin (never written), so the child reads
/// end-of-file exactly when the supervisor exits.
/// </summary>
public static class SupervisedChild
{
    public const string EnvironmentVariable = "BOREALIS_SUPERVISED";

    /// <summary>If this process runs under `borealis up`, cancels <paramref name="stop"/> when the supervisor exits.</summary>
    public static void StopWhenSupervisorExits(CancellationTokenSource stop)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) != "1") return;
        _ = Task.Run(async () =>
        {
            var buffer = new byte[256];
            try
            {
                await using var stdin = Console.OpenStandardInput();
                while (await stdin.ReadAsync(buffer, stop.Token) > 0) { }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
            try { await stop.CancelAsync(); } catch (ObjectDisposedException) { }
        });
    }
}

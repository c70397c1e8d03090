using System.Diagnostics;

namespace Borealis.Cluster.Tests;

/// <summary>Starts the real `borealis` program (built next to the tests) as a child process.</summary>
public static class BorealisBinary
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        string dir = AppContext.BaseDirectory;
        string dll = Path.Combine(dir, "borealis.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("borealis.dll is not next to the tests; is Borealis.Cli referenced?", dll);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}

/// <summary>
/// A child process whose output lines are kept (for failure messages) and can be waited on.
/// Kill() is kill -9 (SIGKILL) by pid.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource<string>? _waiter;
    private Func<string, bool>? _match;

    public ChildProcess(ProcessStartInfo psi)
    {
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_lock) return string.Join('\n', _lines.TakeLast(200)); }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            _lines.Add(line);
            if (_match is not null && _match(line))
            {
                _waiter!.TrySetResult(line);
                _match = null;
            }
        }
    }

    /// <summary>Waits for an output line matching <paramref name="match"/> (including lines already seen).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        Task<string> t;
        lock (_lock)
        {
            foreach (var l in _lines) if (match(l)) return l;
            _waiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _match = match;
            t = _waiter.Task;
        }
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(t, exited, Task.Delay(timeout));
        if (done == t) return await t;
        throw new TimeoutException($"process {Pid} {(done == exited ? $"exited ({_process.ExitCode})" : "timed out")} before the expected line. Output:\n{Output}");
    }

    public void Kill9()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public void Signal(int sig)
    {
        if (!_process.HasExited) _ = Posix.Kill(_process.Id, sig);
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public void Dispose()
    {
        try { Kill9(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>One `borealis storage` process in its own directory, restartable on the same port.</summary>
public sealed class NodeProcess(uint nodeId, string az, string dataDir, int port, bool eagerCoalescing = true) : IDisposable
{
    public uint NodeId { get; } = nodeId;
    public string Az { get; } = az;
    public string DataDir { get; } = dataDir;
    public int Port { get; } = port;
    public string Endpoint => $"127.0.0.1:{Port}";
    public ChildProcess? Process { get; private set; }
    public bool IsRunning => Process is { HasExited: false };

    public async Task StartAsync()
    {
        Process?.Dispose();
        // Eager coalescing (every half second, whatever the size) keeps the GC, re-hydration and
        // scrub paths busy in tests; the default lazy policy is exercised where a test asks for it.
        string[] coalesce = eagerCoalescing ? ["--coalesce-min-bytes", "0"] : [];
        Process = new ChildProcess(BorealisBinary.StartInfo(["storage", "--node-id", NodeId.ToString(), "--az", Az, "--data-dir", DataDir, "--listen", Endpoint, .. coalesce]));
        await Process.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
    }

    /// <summary>kill -9.</summary>
    public void Kill() => Process?.Kill9();

    public void Dispose() => Process?.Dispose();
}

internal static partial class Posix
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    internal static partial int Kill(int pid, int sig);
    public const int SIGTERM = 15;
    public const int SIGSTOP = 19;
    public const int SIGCONT = 18;
}

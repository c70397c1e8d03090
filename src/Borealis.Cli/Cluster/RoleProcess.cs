using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Borealis.Cli.Cluster;

/// <summary>
/// What every role process (`borealis storage`, `borealis instance`) shares: SIGTERM/SIGINT and
/// the supervisor's exit cancel <see cref="Token"/> (the synchronous Invoke in Program does not
/// cancel the action's token on signals); logs go to stderr as single lines; one `… ready` line
/// on stdout once the role accepts connections, then it runs until stopped.
/// </summary>
internal sealed class RoleProcess : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm;
    private readonly PosixSignalRegistration _sigint;

    public RoleProcess(LogLevel level, CancellationToken invocationCt)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(invocationCt);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        SupervisedChild.StopWhenSupervisorExits(_stop);
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }

    public CancellationToken Token => _stop.Token;
    public ILoggerFactory LoggerFactory { get; }

    private void OnSignal(PosixSignalContext c)
    {
        c.Cancel = true;
        _stop.Cancel();
    }

    /// <summary>Prints the ready line, then waits until a signal or the supervisor's exit stops the process.</summary>
    public async Task AnnounceReadyAndWaitAsync(string readyLine)
    {
        Console.Out.WriteLine(readyLine);
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        LoggerFactory.Dispose();
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}

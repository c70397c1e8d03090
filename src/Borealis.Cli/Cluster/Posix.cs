using System.Runtime.InteropServices;

namespace Borealis.Cli.Cluster;

internal static partial class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    public static bool Signal(int pid, int sig) => pid > 0 && KillNative(pid, sig) == 0;

    /// <summary>True if a process with this pid exists (signal 0 probes without sending).</summary>
    public static bool IsAlive(int pid) => pid > 0 && (KillNative(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */);
}

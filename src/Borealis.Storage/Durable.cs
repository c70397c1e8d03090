using System.Runtime.InteropServices;

namespace Borealis.Storage;

/// <summary>
/// The node's only ways to make bytes durable. Every fsync goes through here so a test can
/// inject a failure (<see cref="FailNextSync"/>) and unit tests can turn syncing off.
/// </summary>
internal sealed partial class Durable(bool sync)
{
    private volatile bool _failNext;

    public bool Enabled { get; } = sync;

    /// <summary>Test hook: the next fsync throws an IOException as a failing disk would.</summary>
    public void FailNextSync() => _failNext = true;

    public void Sync(FileStream fs)
    {
        if (_failNext)
        {
            _failNext = false;
            throw new IOException("injected fsync failure");
        }
        if (Enabled) fs.Flush(flushToDisk: true);
    }

    /// <summary>
    /// fdatasync (Linux): the data and the metadata needed to read it back (the file size), but
    /// not timestamps — what an append-only log needs, and cheaper under concurrent syncs.
    /// </summary>
    public void SyncData(FileStream fs)
    {
        if (_failNext)
        {
            _failNext = false;
            throw new IOException("injected fsync failure");
        }
        if (!Enabled) return;
        if (!OperatingSystem.IsLinux())
        {
            fs.Flush(flushToDisk: true);
            return;
        }
        fs.Flush(flushToDisk: false);
        bool added = false;
        var handle = fs.SafeFileHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Fdatasync((int)handle.DangerousGetHandle()) != 0)
                throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fsync of a directory, so a create, rename or unlink in it survives a crash (best effort off Linux/macOS).</summary>
    public void SyncDirectory(string dir)
    {
        if (!Enabled || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        int fd = Open(dir, 0);
        if (fd < 0) return;
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Replaces <paramref name="path"/> atomically: write a temp file, fsync, rename over, fsync the directory.</summary>
    public void ReplaceFile(string path, ReadOnlySpan<byte> content)
    {
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            fs.Write(content);
            Sync(fs);
        }
        File.Move(tmp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
